use bytes::BytesMut;
use serde_json::{Value, json};
use tollgate_sse::decode_all;
use tollgate_types::{
    Cost, CostSource, ErrorKind, FinishReason, GatewayError, NanoUsd, StreamEvent, Usage,
};

use crate::dialect::StreamEncoder;
use crate::dialect::anthropic::Encoder;

/// Feeds `events`, then `finish`, and parses the output back into (event name, data) pairs.
fn encode(events: Vec<StreamEvent>, usage: Usage, cost: Option<Cost>) -> Vec<(String, Value)> {
    let mut encoder = Encoder::new(false, "fast");
    let mut out = BytesMut::new();
    for event in events {
        encoder.event(event, &mut out);
    }
    encoder.finish(&usage, cost.as_ref(), &mut out);
    parse_frames(&out)
}

fn parse_frames(out: &[u8]) -> Vec<(String, Value)> {
    decode_all(out)
        .expect("valid SSE")
        .into_iter()
        .map(|event| {
            let data: Value = serde_json::from_str(&event.data).expect("JSON data");
            let name = event.event.expect("named event");
            assert_eq!(data["type"], name.as_str(), "event name matches data type");
            (name, data)
        })
        .collect()
}

fn names(frames: &[(String, Value)]) -> Vec<&str> {
    frames.iter().map(|(name, _)| name.as_str()).collect()
}

fn text(text: &str) -> StreamEvent {
    StreamEvent::TextDelta {
        choice: 0,
        text: text.into(),
    }
}

#[test]
fn text_thinking_and_tool_blocks_get_indices_in_order_and_close_before_message_delta() {
    let usage = Usage {
        input_tokens: 1250,
        output_tokens: 30,
        cached_input_tokens: 1200,
        cache_write_tokens: 0,
        reasoning_tokens: 0,
    };
    let frames = encode(
        vec![
            StreamEvent::Start {
                id: "chatcmpl-9".into(),
                model: "gpt-4o-mini".into(),
            },
            StreamEvent::Usage(Usage::default()),
            StreamEvent::ReasoningDelta {
                choice: 0,
                text: "hmm".into(),
            },
            text("Let me "),
            text("check."),
            text(""),
            StreamEvent::TextDelta {
                choice: 1,
                text: "other choice".into(),
            },
            StreamEvent::ToolCallStart {
                choice: 0,
                index: 0,
                id: "call_1".into(),
                name: "get_weather".into(),
            },
            StreamEvent::ToolCallDelta {
                choice: 0,
                index: 0,
                arguments: "{\"city\":".into(),
            },
            StreamEvent::ToolCallDelta {
                choice: 0,
                index: 0,
                arguments: "\"Oslo\"}".into(),
            },
            StreamEvent::ToolCallStart {
                choice: 0,
                index: 1,
                id: "call_2".into(),
                name: "now".into(),
            },
            StreamEvent::Finish {
                choice: 0,
                reason: FinishReason::ToolCalls,
            },
            StreamEvent::ProviderCost(NanoUsd(5)),
        ],
        usage,
        Some(Cost {
            usd: NanoUsd(950_000),
            source: CostSource::Provider,
        }),
    );
    assert_eq!(
        names(&frames),
        [
            "message_start",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_stop",
            "message_delta",
            "message_stop",
        ]
    );
    let message = &frames[0].1["message"];
    assert_eq!(message["id"], "msg_chatcmpl-9");
    assert_eq!(message["model"], "fast", "the caller's model name");
    assert_eq!(message["usage"]["input_tokens"], 0);
    assert_eq!(message["content"], json!([]));

    assert_eq!(
        frames[1].1["content_block"],
        json!({"type": "thinking", "thinking": "", "signature": ""})
    );
    assert_eq!(
        frames[2].1["delta"],
        json!({"type": "thinking_delta", "thinking": "hmm"})
    );
    assert_eq!(frames[4].1["index"], 1);
    assert_eq!(
        frames[6].1["delta"],
        json!({"type": "text_delta", "text": "check."})
    );
    assert_eq!(
        frames[8].1["content_block"],
        json!({"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {}})
    );
    assert_eq!(
        frames[10].1,
        json!({"type": "content_block_delta", "index": 2,
               "delta": {"type": "input_json_delta", "partial_json": "\"Oslo\"}"}})
    );
    assert_eq!(frames[12].1["index"], 3);
    assert_eq!(frames[13].1["index"], 3);

    assert_eq!(
        frames[14].1,
        json!({"type": "message_delta",
               "delta": {"stop_reason": "tool_use", "stop_sequence": null},
               "usage": {"input_tokens": 50, "output_tokens": 30,
                         "cache_read_input_tokens": 1200, "cache_creation_input_tokens": 0,
                         "cost": 0.00095, "cost_source": "provider"}})
    );
}

#[test]
fn an_empty_stream_still_has_message_start_delta_and_stop() {
    let frames = encode(vec![], Usage::default(), None);
    assert_eq!(
        names(&frames),
        ["message_start", "message_delta", "message_stop"]
    );
    assert!(
        frames[0].1["message"]["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("msg_"))
    );
    assert_eq!(frames[1].1["delta"]["stop_reason"], "end_turn");
    assert!(frames[1].1["usage"].get("cost").is_none());
}

#[test]
fn first_content_without_start_opens_the_message_and_stop_sequence_is_reported() {
    let frames = encode(
        vec![
            text("hi"),
            StreamEvent::Finish {
                choice: 0,
                reason: FinishReason::StopSequence(Some("END".into())),
            },
        ],
        Usage::default(),
        None,
    );
    assert_eq!(
        names(&frames),
        [
            "message_start",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    assert_eq!(
        frames[4].1["delta"],
        json!({"stop_reason": "stop_sequence", "stop_sequence": "END"})
    );
}

#[test]
fn native_frames_are_copied_verbatim_and_only_the_closing_pair_is_added() {
    let upstream = concat!(
        "event: message_start\n",
        r#"data: {"type":"message_start","message":{"id":"msg_up","type":"message","role":"assistant","model":"claude-x","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":9,"output_tokens":1}}}"#,
        "\n\n",
        "event: content_block_start\n",
        r#"data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        "\n\n",
        "event: ping\ndata: {\"type\": \"ping\"}\n\n",
        "event: content_block_delta\n",
        r#"data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"echo: hi"}}"#,
        "\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
    );
    let mut encoder = Encoder::new(true, "fast");
    let mut out = BytesMut::new();
    for event in decode_all(upstream.as_bytes()).expect("sse") {
        encoder.event(StreamEvent::Native(event.raw), &mut out);
        // The provider interleaves usage snapshots; they write nothing.
        encoder.event(StreamEvent::Usage(Usage::default()), &mut out);
    }
    // Canonical events next to native frames are not rendered (they would collide).
    encoder.event(
        StreamEvent::Start {
            id: "x".into(),
            model: "y".into(),
        },
        &mut out,
    );
    encoder.event(text("duplicate"), &mut out);
    encoder.event(
        StreamEvent::Finish {
            choice: 0,
            reason: FinishReason::Length,
        },
        &mut out,
    );
    let before_finish = out.len();
    encoder.finish(
        &Usage {
            input_tokens: 9,
            output_tokens: 4,
            ..Usage::default()
        },
        None,
        &mut out,
    );
    assert_eq!(&out[..before_finish], upstream.as_bytes());
    let frames = parse_frames(&out);
    assert_eq!(
        names(&frames),
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    assert_eq!(frames[5].1["delta"]["stop_reason"], "max_tokens");
    assert_eq!(frames[5].1["usage"]["output_tokens"], 4);
}

#[test]
fn a_mid_stream_error_writes_an_error_event_and_nothing_after_it() {
    let mut encoder = Encoder::new(false, "fast");
    let mut out = BytesMut::new();
    encoder.event(text("partial"), &mut out);
    encoder.error(
        &GatewayError::upstream(ErrorKind::UpstreamUnavailable, "Overloaded"),
        &mut out,
    );
    encoder.event(text("late"), &mut out);
    encoder.finish(&Usage::default(), None, &mut out);
    let frames = parse_frames(&out);
    assert_eq!(
        names(&frames),
        [
            "message_start",
            "content_block_start",
            "content_block_delta",
            "error"
        ]
    );
    assert_eq!(
        frames[3].1,
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    );
    // An error arriving as an event is rendered the same way.
    let mut encoder = Encoder::new(false, "fast");
    let mut out = BytesMut::new();
    encoder.event(
        StreamEvent::Error(GatewayError::upstream(ErrorKind::UpstreamTimeout, "late")),
        &mut out,
    );
    let frames = parse_frames(&out);
    assert_eq!(frames[0].1["error"]["type"], "api_error");
}
