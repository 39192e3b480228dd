//! Both halves together: an Anthropic caller's body, parsed here, sent by the Anthropic provider to
//! `tollgate-mock`, and the stream encoded back; passthrough and fully mapped.

use std::time::Duration;

use bytes::BytesMut;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tollgate_mock::{Flavour, MockOptions, MockServer};
use tollgate_providers::anthropic::AnthropicProvider;
use tollgate_providers::{Provider, ProviderKind, ProviderSpec, Target, UpstreamClient};
use tollgate_sse::decode_all;
use tollgate_types::{ChatRequest, Cost, CostSource, NanoUsd, StreamEvent, Usage};

use crate::dialect::StreamEncoder;
use crate::dialect::anthropic::{Encoder, parse_chat_request};

/// Streams `request` through the provider and the encoder, as the server does.
async fn stream_through(mock: &MockServer, request: &ChatRequest) -> Vec<(String, Value)> {
    let spec = ProviderSpec::new(
        "claude",
        ProviderKind::Anthropic,
        mock.url(Flavour::Anthropic),
    )
    .with_api_key("mock-key");
    let provider = AnthropicProvider::new(spec, UpstreamClient::new(Duration::from_secs(2)));
    let target = Target::new("claude-up", Duration::from_secs(5));
    let mut events = provider
        .chat_stream(request, &target)
        .await
        .expect("stream opens");
    let mut encoder = Encoder::new(true, &request.model);
    let mut out = BytesMut::new();
    let mut usage = Usage::default();
    while let Some(event) = events.next().await {
        if let StreamEvent::Usage(snapshot) = &event {
            usage = *snapshot;
        }
        encoder.event(event, &mut out);
    }
    let cost = Cost {
        usd: NanoUsd(12_000),
        source: CostSource::Catalog,
    };
    encoder.finish(&usage, Some(&cost), &mut out);
    decode_all(&out)
        .expect("valid SSE")
        .into_iter()
        .map(|event| {
            let data = serde_json::from_str(&event.data).expect("JSON data");
            (event.event.unwrap_or_default(), data)
        })
        .collect()
}

/// The Anthropic event grammar: message_start, blocks (start, deltas, stop), message_delta,
/// message_stop, with pings allowed between.
fn assert_event_order(frames: &[(String, Value)]) {
    let names: Vec<&str> = frames
        .iter()
        .map(|(name, _)| name.as_str())
        .filter(|name| *name != "ping")
        .collect();
    assert_eq!(names.first(), Some(&"message_start"), "{names:?}");
    assert_eq!(&names[names.len() - 2..], ["message_delta", "message_stop"]);
    let mut open = false;
    for name in &names[1..names.len() - 2] {
        match *name {
            "content_block_start" => {
                assert!(!open, "{names:?}");
                open = true;
            }
            "content_block_delta" => assert!(open, "{names:?}"),
            "content_block_stop" => {
                assert!(open, "{names:?}");
                open = false;
            }
            other => panic!("unexpected {other} in {names:?}"),
        }
    }
    assert!(!open, "every block is closed before message_delta");
}

fn text_of(frames: &[(String, Value)]) -> String {
    frames
        .iter()
        .filter_map(|(_, data)| data["delta"]["text"].as_str())
        .collect()
}

fn body() -> Vec<u8> {
    json!({
        "model": "fast", "max_tokens": 100, "stream": true,
        "system": "CACHED prompt",
        "messages": [{"role": "user", "content": "hello there friend"}]
    })
    .to_string()
    .into_bytes()
}

#[tokio::test]
async fn passthrough_and_mapped_streams_both_read_as_anthropic_streams() {
    let mock = MockServer::start(MockOptions::default())
        .await
        .expect("mock starts");
    let passthrough = parse_chat_request(&body()).expect("valid");
    let mapped = ChatRequest {
        passthrough: None,
        ..passthrough.clone()
    };
    for request in [passthrough, mapped] {
        let frames = stream_through(&mock, &request).await;
        assert_event_order(&frames);
        assert_eq!(text_of(&frames), "echo: hello there friend");
        let (_, delta) = &frames[frames.len() - 2];
        assert_eq!(delta["delta"]["stop_reason"], "end_turn");
        // 5 prompt words, 2 of them cache reads; 4 output words.
        assert_eq!(
            delta["usage"],
            json!({"input_tokens": 3, "output_tokens": 4, "cache_read_input_tokens": 2,
                   "cache_creation_input_tokens": 0, "cost": 0.000012, "cost_source": "catalog"})
        );
    }
    let sent: Vec<Value> = mock
        .requests()
        .into_iter()
        .filter_map(|request| request.json)
        .collect();
    assert_eq!(
        sent[0]["system"], "CACHED prompt",
        "passthrough keeps the body"
    );
    assert_eq!(sent[0]["model"], "claude-up");
    assert_eq!(sent[1]["system"], "CACHED prompt");
    assert_eq!(sent[1]["model"], "claude-up");
}
