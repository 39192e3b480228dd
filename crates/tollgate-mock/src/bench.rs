//! The load-benchmark flavour: precomputed answers, no JSON parsing, no auth, no recording (only
//! a hit counter), so the mock is never the bottleneck of a gateway benchmark. Queued faults still
//! apply (through the normal, slower path) so a benchmark can inject failures.

use std::sync::LazyLock;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use bytes::Bytes;
use http::StatusCode;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};

use crate::Flavour;
use crate::call::{Call, entry};
use crate::errors::{ErrorKind, error};
use crate::respond::JSON;
use crate::sse::SseItem;
use crate::state::App;

const MAX_BODY: usize = 16 * 1024 * 1024;
const SSE: &str = "text/event-stream; charset=utf-8";

const COMPLETION: &str = concat!(
    r#"{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"mock-bench","#,
    r#""choices":[{"index":0,"message":{"role":"assistant","content":"echo: bench","refusal":null,"annotations":[]},"#,
    r#""logprobs":null,"finish_reason":"stop"}],"#,
    r#""usage":{"prompt_tokens":8,"completion_tokens":2,"total_tokens":10,"#,
    r#""prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"#,
    r#""completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"#,
    r#""service_tier":"default","system_fingerprint":"fp_mock"}"#
);

/// The stream's events; it always ends with a usage chunk, since gateways bill from it.
const STREAM_EVENTS: [&str; 6] = [
    r#"{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"mock-bench","system_fingerprint":"fp_mock","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}"#,
    r#"{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"mock-bench","system_fingerprint":"fp_mock","choices":[{"index":0,"delta":{"content":"echo: "},"logprobs":null,"finish_reason":null}],"usage":null}"#,
    r#"{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"mock-bench","system_fingerprint":"fp_mock","choices":[{"index":0,"delta":{"content":"bench"},"logprobs":null,"finish_reason":null}],"usage":null}"#,
    r#"{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"mock-bench","system_fingerprint":"fp_mock","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}"#,
    r#"{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"mock-bench","system_fingerprint":"fp_mock","choices":[],"usage":{"prompt_tokens":8,"completion_tokens":2,"total_tokens":10,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}"#,
    "[DONE]",
];

static STREAM_BODY: LazyLock<Bytes> = LazyLock::new(|| {
    let body: String = STREAM_EVENTS
        .iter()
        .map(|e| format!("data: {e}\n\n"))
        .collect();
    Bytes::from(body)
});

/// `POST /bench/v1/chat/completions`.
pub(crate) async fn chat(State(app): State<App>, request: Request) -> Response {
    if app.pending_faults() > 0 {
        return entry(app, Flavour::Bench, request, faulted).await;
    }
    app.count_hit(Flavour::Bench);
    let body = match axum::body::to_bytes(request.into_body(), MAX_BODY).await {
        Ok(body) => body,
        Err(_) => {
            let message = "Request body too large or unreadable.";
            return error(Flavour::Bench, 0, ErrorKind::BadRequest, message);
        }
    };
    if !app.options.latency.is_zero() {
        tokio::time::sleep(app.options.latency).await;
    }
    if wants_stream(&body) {
        fixed(SSE, STREAM_BODY.clone())
    } else {
        fixed(JSON, Bytes::from_static(COMPLETION.as_bytes()))
    }
}

/// Cheap substring test instead of parsing the body.
fn wants_stream(body: &[u8]) -> bool {
    memchr::memmem::find(body, br#""stream":true"#).is_some()
        || memchr::memmem::find(body, br#""stream": true"#).is_some()
}

fn fixed(content_type: &'static str, body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if content_type == SSE {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    response
}

/// The same answers through the normal path, once a fault that let the request through (slow,
/// stream cut) has been applied.
async fn faulted(call: Call) -> Response {
    let stream = call
        .json_object()
        .ok()
        .and_then(|b| b.get("stream")?.as_bool())
        == Some(true);
    if stream {
        let items = STREAM_EVENTS
            .iter()
            .enumerate()
            .map(|(i, e)| {
                // Events 1 and 2 carry the text.
                if i == 1 || i == 2 {
                    SseItem::content((*e).to_owned())
                } else {
                    SseItem::data((*e).to_owned())
                }
            })
            .collect();
        call.sse(SSE, items)
    } else {
        // Raw, so the body is byte-for-byte the fast path's.
        match serde_json::value::RawValue::from_string(COMPLETION.to_owned()) {
            Ok(body) => call.json(JSON, &body),
            Err(_) => call.error(ErrorKind::ServerError, "bench answer is not JSON"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_answers_are_valid_json() {
        assert!(serde_json::from_str::<serde_json::Value>(COMPLETION).is_ok());
        for event in &STREAM_EVENTS[..5] {
            assert!(
                serde_json::from_str::<serde_json::Value>(event).is_ok(),
                "{event}"
            );
        }
        assert!(wants_stream(br#"{"model":"x","stream": true}"#));
        assert!(!wants_stream(br#"{"model":"x","stream":false}"#));
    }
}
