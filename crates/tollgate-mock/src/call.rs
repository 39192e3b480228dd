//! The life of one request before and after a flavour handler: read and record it, count the hit,
//! apply latency and faults, and stamp the flavour's standard headers on the answer.

use std::convert::Infallible;
use std::future::Future;

use axum::extract::Request;
use axum::response::Response;
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde::Serialize;
use serde_json::Value;

use crate::conn::ConnControl;
use crate::errors::{self, ErrorKind, default_message};
use crate::headers;
use crate::respond;
use crate::sse::{self, Cut, Delivery, SseItem};
use crate::state::App;
use crate::{Fault, Flavour, RecordedRequest};

/// Larger than any provider accepts (Anthropic: 32 MB), so size limits are the gateway's to test.
const MAX_BODY: usize = 64 * 1024 * 1024;

const BAD_JSON: &str =
    r#"{"id":"mock-broken","object":"chat.completion","choices":[{"index":0,"message":{"#;
const HTML_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\
<body><h1>Bad Gateway</h1><p>The upstream server returned an invalid response.</p></body></html>\n";

/// One request as a flavour handler sees it.
pub(crate) struct Call {
    pub(crate) app: App,
    pub(crate) flavour: Flavour,
    /// Server-wide request number, used in ids.
    pub(crate) seq: u64,
    pub(crate) method: http::Method,
    pub(crate) path: String,
    query: Option<String>,
    pub(crate) headers: HeaderMap,
    json: Option<Value>,
    conn: Option<ConnControl>,
    pub(crate) delivery: Delivery,
}

/// Runs `handler` for a request of `flavour`, with recording, faults and standard headers.
pub(crate) async fn entry<F, Fut>(
    app: App,
    flavour: Flavour,
    request: Request,
    handler: F,
) -> Response
where
    F: FnOnce(Call) -> Fut,
    Fut: Future<Output = Response>,
{
    let seq = app.next_seq();
    let (parts, body) = request.into_parts();
    app.count_hit(flavour);
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(body) => body,
        Err(_) => {
            let mut response = errors::error_status(
                flavour,
                seq,
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request body too large or unreadable.",
            );
            headers::decorate(flavour, seq, response.headers_mut());
            return response;
        }
    };
    let json = serde_json::from_slice::<Value>(&body).ok();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned());
    app.record(RecordedRequest {
        flavour,
        method: parts.method.clone(),
        path: path_and_query,
        headers: parts.headers.clone(),
        body,
        json: json.clone(),
    });

    let mut call = Call {
        flavour,
        seq,
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        json,
        conn: parts.extensions.get::<ConnControl>().cloned(),
        delivery: Delivery::default(),
        app,
    };
    if !call.app.options.latency.is_zero() {
        tokio::time::sleep(call.app.options.latency).await;
    }
    let faulted = match call.app.take_fault() {
        Some(fault) => call.apply_fault(fault).await,
        None => None,
    };
    let mut response = match faulted {
        Some(response) => response,
        None => handler(call).await,
    };
    headers::decorate(flavour, seq, response.headers_mut());
    response
}

async fn never() -> Infallible {
    std::future::pending().await
}

impl Call {
    /// Carries out a fault: an answer to send instead of the normal one, or `None` when the
    /// normal answer follows (possibly delayed or with a changed delivery).
    pub(crate) async fn apply_fault(&mut self, fault: Fault) -> Option<Response> {
        let fail = |kind| Some(self.error(kind, default_message(kind)));
        match fault {
            Fault::Fail500 => fail(ErrorKind::ServerError),
            Fault::Fail429 => fail(ErrorKind::RateLimited),
            Fault::Fail429RetryAfter(wait) => {
                let mut response = self.error(
                    ErrorKind::RateLimited,
                    default_message(ErrorKind::RateLimited),
                );
                headers::retry_after(self.flavour, wait, response.headers_mut());
                Some(response)
            }
            Fault::Fail529 => fail(ErrorKind::Overloaded),
            Fault::Fail400 => fail(ErrorKind::BadRequest),
            Fault::Fail401 => fail(ErrorKind::Unauthorized),
            Fault::Slow(delay) => {
                tokio::time::sleep(delay).await;
                None
            }
            Fault::SlowStream(delay) => {
                self.delivery.event_delay = Some(delay);
                None
            }
            Fault::SlowFirstEvent(delay) => {
                self.delivery.first_delay = Some(delay);
                None
            }
            Fault::StallStream => {
                self.delivery.cut = Some(Cut::Stall);
                None
            }
            Fault::CutStream => {
                self.delivery.cut = Some(Cut::Abort);
                None
            }
            Fault::TruncateStream => {
                self.delivery.cut = Some(Cut::Truncate);
                None
            }
            Fault::StreamError => {
                self.delivery.cut = Some(Cut::Error);
                None
            }
            Fault::BadJson => Some(respond::bytes(StatusCode::OK, respond::JSON, BAD_JSON)),
            Fault::WrongContentType => Some(respond::bytes(
                StatusCode::OK,
                "text/html; charset=utf-8",
                HTML_PAGE,
            )),
            Fault::Hang => match never().await {},
            Fault::Reset => {
                if let Some(conn) = &self.conn {
                    conn.reset();
                }
                match never().await {}
            }
            Fault::Status {
                status,
                body,
                headers,
            } => {
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let mut response = match body {
                    Some(body) => respond::bytes(status, respond::JSON, body),
                    None => errors::error_status(self.flavour, self.seq, status, "Mock fault."),
                };
                for (name, value) in headers {
                    if let (Ok(name), Ok(value)) =
                        (HeaderName::try_from(name), HeaderValue::try_from(value))
                    {
                        response.headers_mut().insert(name, value);
                    }
                }
                Some(response)
            }
        }
    }

    /// Counts the call for `model` and applies the fault the name selects, if any (see
    /// [`Fault::from_model`]).
    pub(crate) async fn model_fault(&mut self, model: &str) -> Option<Response> {
        self.app.count_model_hit(model);
        match Fault::from_model(model).or_else(|| Fault::flaky(model)) {
            Some(fault) => self.apply_fault(fault).await,
            None => None,
        }
    }

    pub(crate) fn error(&self, kind: ErrorKind, message: &str) -> Response {
        errors::error(self.flavour, self.seq, kind, message)
    }

    pub(crate) fn invalid(&self, message: &str) -> Response {
        self.error(ErrorKind::BadRequest, message)
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A query parameter, percent-decoded.
    pub(crate) fn query_param(&self, name: &str) -> Option<String> {
        let query = self.query.as_deref()?;
        query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key, true) == name).then(|| percent_decode(value, true))
        })
    }

    /// The `/`-separated segment `index` of the path (0 is the flavour name).
    pub(crate) fn path_segment(&self, index: usize) -> Option<String> {
        let raw = self.path.trim_start_matches('/').split('/').nth(index)?;
        Some(percent_decode(raw, false))
    }

    /// The body as a JSON object, or the flavour's 400.
    pub(crate) fn json_object(&self) -> Result<&serde_json::Map<String, Value>, Response> {
        match &self.json {
            Some(Value::Object(map)) => Ok(map),
            Some(_) => Err(self.invalid("The request body must be a JSON object.")),
            None => Err(self.invalid(
                "We could not parse the JSON body of your request. Expected a valid JSON object.",
            )),
        }
    }

    /// A 200 JSON answer, delivered as the faults say (a cut non-streamed body stops halfway).
    pub(crate) fn json<T: Serialize>(&self, content_type: &'static str, value: &T) -> Response {
        let bytes = respond::to_bytes(value);
        match self.delivery.cut {
            // Before any header is sent, a provider's failure is an ordinary error answer.
            Some(Cut::Error) => self.error(
                ErrorKind::ServerError,
                default_message(ErrorKind::ServerError),
            ),
            None if self.delivery.first_delay.is_none() => {
                respond::bytes(StatusCode::OK, content_type, bytes)
            }
            _ => {
                let mut response = Response::new(sse::delivered_body(bytes, self.delivery));
                response
                    .headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
                response
            }
        }
    }

    /// A 200 event stream sending `items` with the server's quirks and this call's faults.
    pub(crate) fn sse(&self, content_type: &'static str, mut items: Vec<SseItem>) -> Response {
        let mut delivery = self.delivery;
        if delivery.cut == Some(Cut::Error) {
            items.truncate(sse::cut_len(&items));
            items.push(errors::stream_error_event(self.flavour));
            // Already cut here; the body must keep the error event.
            delivery.cut = None;
        }
        let open = self.app.open_stream();
        sse::response(content_type, items, self.app.options.quirks, delivery, open)
    }
}

/// `%XX` decoding (and `+` as space in queries); invalid escapes are kept as-is.
fn percent_decode(raw: &str, plus_is_space: bool) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(percent_decode("a%20b+c", true), "a b c");
        assert_eq!(percent_decode("a+b", false), "a+b");
        assert_eq!(percent_decode("gemini%3A1", false), "gemini:1");
        assert_eq!(percent_decode("bad%zz%", true), "bad%zz%");
        assert_eq!(percent_decode("%4", true), "%4");
    }
}
