//! Server-sent events out: framing (with the optional quirks) and delivery (with the optional
//! stream faults). Knows nothing about providers; flavours hand it a list of items.

use std::collections::VecDeque;
use std::io;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::StatusCode;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};

use crate::StreamQuirks;
use crate::state::OpenStream;

/// Pause between the two halves of a split write: long enough for hyper to flush the first half
/// as its own TCP segment.
const SPLIT_PAUSE: Duration = Duration::from_millis(2);
/// Pause before cutting a connection, so what was written before reaches the client first.
const CUT_PAUSE: Duration = Duration::from_millis(30);

/// One thing to send on a stream.
#[derive(Debug, Clone)]
pub(crate) enum SseItem {
    Event {
        name: Option<&'static str>,
        data: String,
        /// Carries generated content (a text or argument delta); stream cuts count these.
        content: bool,
    },
    /// A comment line; the text follows the `:` verbatim.
    Comment(&'static str),
}

impl SseItem {
    pub(crate) fn data(data: String) -> Self {
        SseItem::Event {
            name: None,
            data,
            content: false,
        }
    }

    pub(crate) fn content(data: String) -> Self {
        SseItem::Event {
            name: None,
            data,
            content: true,
        }
    }

    pub(crate) fn named(name: &'static str, data: String, content: bool) -> Self {
        SseItem::Event {
            name: Some(name),
            data,
            content,
        }
    }

    fn is_content(&self) -> bool {
        matches!(self, SseItem::Event { content: true, .. })
    }
}

/// How a body is delivered, as changed by stream faults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Delivery {
    /// Pause before every stream item but the first (`slow-stream-<ms>`).
    pub(crate) event_delay: Option<Duration>,
    /// Pause between the headers and the first byte of the body (`slow-first-event-<ms>`).
    pub(crate) first_delay: Option<Duration>,
    pub(crate) cut: Option<Cut>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cut {
    /// Close the connection mid-body (no final chunk): a transport error for the client.
    Abort,
    /// End the body cleanly but early: only the stream's own terminator is missing.
    Truncate,
    /// Like `Truncate`, after the flavour's in-band error event (added by the caller).
    Error,
    /// Stop sending but keep the connection open: the client sees silence, not an end.
    Stall,
}

enum Step {
    Write {
        delay: Duration,
        bytes: Bytes,
    },
    Fail {
        delay: Duration,
    },
    /// Never send anything more.
    Stall,
}

/// A 200 `text/event-stream` answer sending `items`.
pub(crate) fn response(
    content_type: &'static str,
    items: Vec<SseItem>,
    quirks: StreamQuirks,
    delivery: Delivery,
    open: OpenStream,
) -> Response {
    let mut response = Response::new(body(items, quirks, delivery, Some(open)));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn body(
    mut items: Vec<SseItem>,
    quirks: StreamQuirks,
    delivery: Delivery,
    open: Option<OpenStream>,
) -> Body {
    if delivery.cut.is_some() {
        items.truncate(cut_len(&items));
    }
    let event_delay = delivery.event_delay.unwrap_or_default();
    let first_delay = delivery.first_delay.unwrap_or_default();
    let mut steps = VecDeque::new();
    for (i, item) in items.iter().enumerate() {
        let delay = if i == 0 { first_delay } else { event_delay };
        let bytes = Bytes::from(encode(item, quirks));
        if quirks.split_writes && bytes.len() > 1 {
            let mid = bytes.len() / 2;
            steps.push_back(Step::Write {
                delay,
                bytes: bytes.slice(..mid),
            });
            steps.push_back(Step::Write {
                delay: SPLIT_PAUSE,
                bytes: bytes.slice(mid..),
            });
        } else {
            steps.push_back(Step::Write { delay, bytes });
        }
    }
    match delivery.cut {
        Some(Cut::Abort) => steps.push_back(Step::Fail { delay: CUT_PAUSE }),
        Some(Cut::Stall) => steps.push_back(Step::Stall),
        _ => {}
    }
    stream_body(steps, open)
}

/// A non-streamed body as the delivery says: after `first_delay`, and cut after half of it.
pub(crate) fn delivered_body(bytes: Bytes, delivery: Delivery) -> Body {
    let mut steps = VecDeque::new();
    let delay = delivery.first_delay.unwrap_or_default();
    let bytes = match delivery.cut {
        Some(_) => bytes.slice(..bytes.len() / 2),
        None => bytes,
    };
    steps.push_back(Step::Write { delay, bytes });
    match delivery.cut {
        Some(Cut::Abort) => steps.push_back(Step::Fail { delay: CUT_PAUSE }),
        Some(Cut::Stall) => steps.push_back(Step::Stall),
        _ => {}
    }
    stream_body(steps, None)
}

/// How many items survive a cut: everything up to the second content event (or the last one if
/// there are fewer), so the client has seen some content but no terminator.
pub(crate) fn cut_len(items: &[SseItem]) -> usize {
    let mut content = items
        .iter()
        .enumerate()
        .filter(|(_, it)| it.is_content())
        .map(|(i, _)| i);
    let first = content.next();
    match content.next().or(first) {
        Some(i) => i + 1,
        None => items.len().min(1),
    }
}

/// `open` lives inside the stream's state, so it is dropped when the body finishes or when the
/// client goes away and hyper drops the body.
fn stream_body(steps: VecDeque<Step>, open: Option<OpenStream>) -> Body {
    let stream = futures_util::stream::unfold((steps, open), |(mut steps, open)| async move {
        match steps.pop_front()? {
            Step::Write { delay, bytes } => {
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                Some((Ok(bytes), (steps, open)))
            }
            Step::Stall => {
                // Held until the client goes away and the body is dropped.
                std::future::pending::<()>().await;
                None
            }
            Step::Fail { delay } => {
                tokio::time::sleep(delay).await;
                // A body error makes hyper drop the connection without the final chunk.
                let cut =
                    io::Error::new(io::ErrorKind::ConnectionAborted, "mock fault: stream cut");
                Some((Err(cut), (steps, open)))
            }
        }
    });
    Body::from_stream(stream)
}

fn encode(item: &SseItem, quirks: StreamQuirks) -> Vec<u8> {
    let eol = if quirks.crlf { "\r\n" } else { "\n" };
    let mut out = String::new();
    match item {
        SseItem::Comment(text) => {
            out.push(':');
            out.push_str(text);
            out.push_str(eol);
            out.push_str(eol);
        }
        SseItem::Event { name, data, .. } => {
            if quirks.keepalive_comments {
                out.push_str(": keep-alive");
                out.push_str(eol);
                out.push_str(eol);
            }
            if let Some(name) = name {
                out.push_str("event: ");
                out.push_str(name);
                out.push_str(eol);
            }
            let split = if quirks.split_data_lines {
                split_point(data)
            } else {
                None
            };
            match split {
                Some(at) => {
                    out.push_str("data: ");
                    out.push_str(&data[..at]);
                    out.push_str(eol);
                    out.push_str("data: ");
                    out.push_str(&data[at..]);
                    out.push_str(eol);
                }
                None => {
                    out.push_str("data: ");
                    out.push_str(data);
                    out.push_str(eol);
                }
            }
            out.push_str(eol);
        }
    }
    out.into_bytes()
}

/// Byte index just after the first comma outside any JSON string, where a newline is allowed.
fn split_point(data: &str) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, b) in data.bytes().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b',' => return Some(i + 1),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_point_skips_commas_in_strings() {
        let data = r#"{"a":"x,\"y,","b":1}"#;
        let at = split_point(data).unwrap();
        assert_eq!(&data[..at], r#"{"a":"x,\"y,","#);
        let joined = format!("{}\n{}", &data[..at], &data[at..]);
        assert!(serde_json::from_str::<serde_json::Value>(&joined).is_ok());
        assert_eq!(split_point("[DONE]"), None);
    }

    #[test]
    fn encodes_quirks() {
        let item = SseItem::named("ping", r#"{"type":"ping","n":1}"#.into(), false);
        let plain = String::from_utf8(encode(&item, StreamQuirks::NONE)).unwrap();
        assert_eq!(plain, "event: ping\ndata: {\"type\":\"ping\",\"n\":1}\n\n");
        let odd = String::from_utf8(encode(&item, StreamQuirks::ALL)).unwrap();
        assert_eq!(
            odd,
            ": keep-alive\r\n\r\nevent: ping\r\ndata: {\"type\":\"ping\",\r\ndata: \"n\":1}\r\n\r\n"
        );
    }

    #[test]
    fn cut_keeps_two_content_events() {
        let items = vec![
            SseItem::data("role".into()),
            SseItem::content("a".into()),
            SseItem::Comment(" x"),
            SseItem::content("b".into()),
            SseItem::content("c".into()),
            SseItem::data("[DONE]".into()),
        ];
        assert_eq!(cut_len(&items), 4);
        assert_eq!(cut_len(&items[..2]), 2);
        assert_eq!(cut_len(&[SseItem::data("x".into())]), 1);
    }
}
