use serde_json::{Value, json};
use tollgate_mock::{Flavour, MockOptions, MockServer, StreamQuirks};

use crate::common::*;

async fn both() -> (MockServer, MockServer) {
    let plain = mock().await;
    let odd = MockServer::start(MockOptions::default().with_quirks(StreamQuirks::ALL))
        .await
        .unwrap();
    (plain, odd)
}

/// Event payloads with the per-request fields (ids, timestamps) removed.
fn normalized(events: &[SseEvent]) -> Vec<(Option<String>, Value)> {
    events
        .iter()
        .map(|e| {
            let mut data = serde_json::from_str(&e.data).unwrap_or(Value::String(e.data.clone()));
            if let Some(obj) = data.as_object_mut() {
                obj.remove("id");
                obj.remove("created");
                if let Some(Value::Object(message)) = obj.get_mut("message") {
                    message.remove("id");
                }
                obj.remove("responseId");
            }
            (e.event.clone(), data)
        })
        .collect()
}

#[tokio::test]
async fn openai_quirks_decode_to_the_same_events() {
    let (plain, odd) = both().await;
    let (h, v) = bearer();
    let body = json!({"model": "m", "stream": true, "stream_options": {"include_usage": true},
        "messages": [{"role": "user", "content": "héllo, wörld: \"quoted\" text"}]});
    let a = stream(
        &format!("{}/chat/completions", plain.url(Flavour::OpenAi)),
        &[(h, &v)],
        &body,
    )
    .await;
    let b = stream(
        &format!("{}/chat/completions", odd.url(Flavour::OpenAi)),
        &[(h, &v)],
        &body,
    )
    .await;
    assert!(b.error.is_none());

    let raw = b.text();
    assert!(raw.contains("\r\n\r\n"));
    assert!(
        !raw.replace("\r\n", "").contains('\n'),
        "every line ends with CRLF"
    );
    assert!(
        sse_comments(&b.bytes())
            .iter()
            .any(|c| c.trim() == "keep-alive")
    );
    assert!(
        raw.contains(",\r\ndata: "),
        "JSON split over two data lines"
    );
    assert!(
        b.frames.iter().any(|f| !f.ends_with(b"\r\n\r\n")),
        "some event arrives in two writes"
    );
    assert!(b.frames.len() > a.frames.len());

    let mut expected = normalized(&a.events());
    let got = normalized(&b.events());
    // The vLLM quirk: the usage chunk says `choices: null`.
    let usage_chunk = expected.len() - 2;
    expected[usage_chunk].1["choices"] = Value::Null;
    assert_eq!(got, expected);
}

#[tokio::test]
async fn anthropic_and_gemini_quirks_decode_to_the_same_events() {
    let (plain, odd) = both().await;
    let headers = [("x-api-key", KEY), ("anthropic-version", "2023-06-01")];
    let body = json!({"model": "c", "max_tokens": 50, "stream": true, "messages": [{"role": "user", "content": "a, b, c"}]});
    let a = stream(
        &format!("{}/v1/messages", plain.url(Flavour::Anthropic)),
        &headers,
        &body,
    )
    .await;
    let b = stream(
        &format!("{}/v1/messages", odd.url(Flavour::Anthropic)),
        &headers,
        &body,
    )
    .await;
    assert!(b.text().contains("event: message_start\r\n"));
    assert_eq!(normalized(&b.events()), normalized(&a.events()));

    let body = json!({"contents": [{"parts": [{"text": "x, y"}]}]});
    let path = "/models/g:streamGenerateContent?alt=sse";
    let a = stream(
        &format!("{}{path}", plain.url(Flavour::Gemini)),
        &[("x-goog-api-key", KEY)],
        &body,
    )
    .await;
    let b = stream(
        &format!("{}{path}", odd.url(Flavour::Gemini)),
        &[("x-goog-api-key", KEY)],
        &body,
    )
    .await;
    assert_eq!(normalized(&b.events()), normalized(&a.events()));
}
