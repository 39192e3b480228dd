//! The stream encoder: frames parsed back as a client would.

use bytes::{Bytes, BytesMut};
use serde_json::{Value, json};
use tollgate_types::{
    Cost, CostSource, ErrorKind, FinishReason, GatewayError, NanoUsd, StreamEvent, Usage,
};

use super::super::Encoder;
use crate::dialect::StreamEncoder;

/// The `data:` payloads of an SSE body, in order (`[DONE]` as the string "[DONE]").
fn frames(body: &[u8]) -> Vec<Value> {
    tollgate_sse::decode_all(body)
        .unwrap()
        .into_iter()
        .map(|event| {
            assert!(event.event.is_none(), "OpenAI streams have no event names");
            serde_json::from_str(&event.data).unwrap_or(Value::String(event.data))
        })
        .collect()
}

fn encode(encoder: &mut Encoder, events: Vec<StreamEvent>) -> BytesMut {
    let mut out = BytesMut::new();
    for event in events {
        encoder.event(event, &mut out);
    }
    out
}

fn usage() -> Usage {
    Usage {
        input_tokens: 9,
        output_tokens: 4,
        cached_input_tokens: 2,
        cache_write_tokens: 0,
        reasoning_tokens: 1,
    }
}

#[test]
fn canonical_events_become_chunks_with_usage() {
    let mut encoder = Encoder::new(true, "fast");
    let mut out = encode(
        &mut encoder,
        vec![
            StreamEvent::Start {
                id: "chatcmpl-up".into(),
                model: "gpt-4o".into(),
            },
            StreamEvent::ReasoningDelta {
                choice: 0,
                text: "hm".into(),
            },
            StreamEvent::TextDelta {
                choice: 0,
                text: "Hel".into(),
            },
            StreamEvent::TextDelta {
                choice: 0,
                text: "lo\n\n".into(),
            },
            StreamEvent::ToolCallStart {
                choice: 0,
                index: 0,
                id: "call_1".into(),
                name: "f".into(),
            },
            StreamEvent::ToolCallDelta {
                choice: 0,
                index: 0,
                arguments: "{\"a\":".into(),
            },
            StreamEvent::Usage(usage()),
            StreamEvent::ProviderCost(NanoUsd(5)),
            StreamEvent::Finish {
                choice: 0,
                reason: FinishReason::ToolCalls,
            },
        ],
    );
    let cost = Cost {
        usd: NanoUsd(120_000),
        source: CostSource::Catalog,
    };
    encoder.finish(&usage(), Some(&cost), &mut out);
    let frames = frames(&out);
    assert_eq!(frames.len(), 8, "{frames:#?}");
    for chunk in &frames[..6] {
        assert_eq!(chunk["id"], "chatcmpl-up");
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["model"], "fast");
        assert_eq!(chunk["created"], frames[0]["created"]);
        assert_eq!(chunk["usage"], Value::Null);
        assert_eq!(chunk["choices"].as_array().unwrap().len(), 1);
        assert!(chunk.as_object().unwrap().contains_key("usage"));
    }
    let deltas: Vec<&Value> = frames[..6]
        .iter()
        .map(|f| &f["choices"][0]["delta"])
        .collect();
    assert_eq!(
        deltas[0],
        &json!({"role": "assistant", "reasoning_content": "hm"})
    );
    assert_eq!(deltas[1], &json!({"content": "Hel"}));
    assert_eq!(deltas[2], &json!({"content": "lo\n\n"}));
    assert_eq!(
        deltas[3],
        &json!({"tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"name": "f", "arguments": ""}}]})
    );
    assert_eq!(
        deltas[4],
        &json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"a\":"}}]})
    );
    assert_eq!(frames[0]["choices"][0]["finish_reason"], Value::Null);
    assert_eq!(frames[5]["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(frames[5]["choices"][0]["delta"], json!({}));
    let last = &frames[6];
    assert_eq!(last["id"], "chatcmpl-up");
    assert_eq!(last["choices"], json!([]));
    assert_eq!(
        last["usage"],
        json!({"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13,
            "prompt_tokens_details": {"cached_tokens": 2},
            "completion_tokens_details": {"reasoning_tokens": 1},
            "cost": 0.00012, "cost_source": "catalog"})
    );
    assert_eq!(frames[7], "[DONE]");
    assert!(
        std::str::from_utf8(&out)
            .unwrap()
            .contains("\"cost\":0.00012,")
    );
}

#[test]
fn without_include_usage_there_is_no_usage_at_all() {
    let mut encoder = Encoder::new(false, "fast");
    let mut out = encode(
        &mut encoder,
        vec![StreamEvent::TextDelta {
            choice: 1,
            text: "x".into(),
        }],
    );
    encoder.finish(&usage(), None, &mut out);
    let frames = frames(&out);
    assert_eq!(frames.len(), 2);
    assert!(frames[0].get("usage").is_none());
    assert!(frames[0]["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(frames[0]["choices"][0]["index"], 1);
    assert_eq!(frames[0]["choices"][0]["delta"]["role"], "assistant");
    assert_eq!(frames[1], "[DONE]");
}

#[test]
fn native_frames_are_copied_and_finish_is_not_repeated() {
    let native = Bytes::from_static(
        b"data: {\"id\":\"up\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\r\n\r\n",
    );
    let mut encoder = Encoder::new(true, "fast");
    let mut out = encode(
        &mut encoder,
        vec![
            StreamEvent::Start {
                id: "up".into(),
                model: "m".into(),
            },
            StreamEvent::Native(native.clone()),
            StreamEvent::Finish {
                choice: 0,
                reason: FinishReason::Stop,
            },
            StreamEvent::Usage(usage()),
        ],
    );
    assert_eq!(&out[..], &native[..]);
    encoder.finish(&usage(), None, &mut out);
    let frames = frames(&out);
    assert_eq!(frames.len(), 3);
    assert_eq!(
        frames[1]["id"], "up",
        "the usage chunk shares the upstream's id"
    );
    assert_eq!(frames[1]["usage"]["prompt_tokens"], 9);
    assert!(frames[1]["usage"].get("cost").is_none());
    assert_eq!(frames[2], "[DONE]");
}

#[test]
fn error_is_the_last_frame() {
    let mut encoder = Encoder::new(true, "fast");
    let mut out = encode(
        &mut encoder,
        vec![StreamEvent::TextDelta {
            choice: 0,
            text: "x".into(),
        }],
    );
    let error = GatewayError::upstream(ErrorKind::UpstreamError, "broke off")
        .with_code("upstream_connection_error");
    encoder.error(&error, &mut out);
    encoder.event(
        StreamEvent::TextDelta {
            choice: 0,
            text: "late".into(),
        },
        &mut out,
    );
    encoder.finish(&usage(), None, &mut out);
    let frames = frames(&out);
    assert_eq!(frames.len(), 2);
    assert_eq!(
        frames[1],
        json!({"error": {"message": "broke off", "type": "api_error", "param": null, "code": "upstream_connection_error"}})
    );
}
