use bytes::Bytes;
use tollgate_sse::decode_all;
use tollgate_types::{ErrorKind, FinishReason, StreamEvent, Usage};

use crate::anthropic::errors::ErrorContext;
use crate::anthropic::stream::{Flow, StreamMapper};

const TOOL_STREAM: &str = concat!(
    "event: message_start\n",
    r#"data: {"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":50,"cache_creation_input_tokens":0,"cache_read_input_tokens":1200,"output_tokens":1}}}"#,
    "\n\n",
    "event: ping\ndata: {\"type\": \"ping\"}\n\n",
    "event: content_block_start\n",
    r#"data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}"#,
    "\n\n",
    "event: content_block_delta\n",
    r#"data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}"#,
    "\n\n",
    "event: content_block_delta\n",
    r#"data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"abc"}}"#,
    "\n\n",
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
    "event: content_block_start\n",
    r#"data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}"#,
    "\n\n",
    "event: content_block_delta\n",
    r#"data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Let me check."}}"#,
    "\n\n",
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n",
    "event: content_block_start\n",
    r#"data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_01","name":"get_weather","input":{}}}"#,
    "\n\n",
    "event: content_block_delta\n",
    r#"data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":""}}"#,
    "\n\n",
    "event: content_block_delta\n",
    r#"data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"city\": \"Oslo\"}"}}"#,
    "\n\n",
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":2}\n\n",
    "event: brand_new_event\ndata: {\"type\":\"brand_new_event\",\"x\":1}\n\n",
    "event: message_delta\n",
    r#"data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":12}}"#,
    "\n\n",
    "event: message_delta\n",
    r#"data: {"type":"message_delta","delta":{"stop_reason":null},"usage":{"output_tokens":30,"input_tokens":51}}"#,
    "\n\n",
    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
);

fn errors() -> ErrorContext {
    ErrorContext {
        provider: "claude".into(),
        api_key: Some("sk-ant-secret-key".into()),
    }
}

/// Runs `text` through the mapper; also returns whether it asked to stop, and after which event.
fn run(mut mapper: StreamMapper, text: &str) -> (Vec<StreamEvent>, Option<usize>) {
    let events = decode_all(text.as_bytes()).expect("valid sse");
    let mut out = Vec::new();
    for (position, event) in events.iter().enumerate() {
        if mapper.on_event(event, &mut out) == Flow::End {
            return (out, Some(position));
        }
    }
    mapper.on_end_of_body(&mut out);
    (out, None)
}

#[test]
fn canonical_stream_maps_every_block_kind_and_keeps_running_usage() {
    let (events, ended_at) = run(StreamMapper::canonical(errors(), false), TOOL_STREAM);
    assert_eq!(ended_at, Some(16), "message_stop ends the stream");
    let input_side = Usage {
        input_tokens: 1250,
        output_tokens: 1,
        cached_input_tokens: 1200,
        ..Usage::default()
    };
    assert_eq!(
        events,
        vec![
            StreamEvent::Start {
                id: "msg_01".into(),
                model: "claude-sonnet-4-5".into()
            },
            StreamEvent::Usage(input_side),
            StreamEvent::ReasoningDelta {
                choice: 0,
                text: "hmm".into()
            },
            StreamEvent::TextDelta {
                choice: 0,
                text: "Let me check.".into()
            },
            StreamEvent::ToolCallStart {
                choice: 0,
                index: 0,
                id: "toolu_01".into(),
                name: "get_weather".into()
            },
            StreamEvent::ToolCallDelta {
                choice: 0,
                index: 0,
                arguments: r#"{"city": "Oslo"}"#.into()
            },
            StreamEvent::Finish {
                choice: 0,
                reason: FinishReason::ToolCalls
            },
            StreamEvent::Usage(Usage {
                output_tokens: 12,
                ..input_side
            }),
            // Output is cumulative (last value wins); a repeated input count replaces the first.
            StreamEvent::Usage(Usage {
                input_tokens: 1251,
                output_tokens: 30,
                ..input_side
            }),
        ]
    );
}

#[test]
fn passthrough_forwards_raw_frames_but_turns_message_delta_into_finish_and_usage() {
    let (events, ended_at) = run(StreamMapper::passthrough(errors()), TOOL_STREAM);
    assert_eq!(ended_at, Some(16));
    let raw = decode_all(TOOL_STREAM.as_bytes()).expect("valid sse");
    let native: Vec<&Bytes> = events
        .iter()
        .filter_map(|event| match event {
            StreamEvent::Native(bytes) => Some(bytes),
            _ => None,
        })
        .collect();
    // Everything up to and including the unknown event, verbatim; no message_delta/stop.
    let expected: Vec<&Bytes> = raw[..14].iter().map(|event| &event.raw).collect();
    assert_eq!(native, expected);
    assert!(matches!(events[1], StreamEvent::Usage(u) if u.input_tokens == 1250));
    let tail = &events[events.len() - 3..];
    assert_eq!(
        tail[0],
        StreamEvent::Finish {
            choice: 0,
            reason: FinishReason::ToolCalls
        }
    );
    assert!(matches!(tail[2], StreamEvent::Usage(u) if u.output_tokens == 30));
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, StreamEvent::Start { .. })),
        "message_start travels natively"
    );
}

#[test]
fn stop_sequence_reason_carries_the_matched_sequence() {
    let text = concat!(
        "event: message_delta\n",
        r#"data: {"type":"message_delta","delta":{"stop_reason":"stop_sequence","stop_sequence":"END"},"usage":{"output_tokens":3}}"#,
        "\n\n",
    );
    let (events, _) = run(StreamMapper::canonical(errors(), false), text);
    assert_eq!(
        events[0],
        StreamEvent::Finish {
            choice: 0,
            reason: FinishReason::StopSequence(Some("END".into()))
        }
    );
}

#[test]
fn mid_stream_overloaded_error_is_a_retryable_503_and_ends_the_stream() {
    let text = concat!(
        "event: content_block_delta\n",
        r#"data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}"#,
        "\n\n",
        "event: error\n",
        r#"data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        "\n\n",
        "event: content_block_delta\n",
        r#"data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"lo"}}"#,
        "\n\n",
    );
    for mapper in [
        StreamMapper::canonical(errors(), false),
        StreamMapper::passthrough(errors()),
    ] {
        let (events, ended_at) = run(mapper, text);
        assert_eq!(ended_at, Some(1));
        let Some(StreamEvent::Error(error)) = events.last() else {
            panic!("expected an error, got {events:?}");
        };
        assert_eq!(error.kind, ErrorKind::UpstreamUnavailable);
        assert_eq!(error.status, 503);
        assert!(error.retryable);
        assert!(error.message.contains("Overloaded"), "{}", error.message);
    }
}

#[test]
fn mid_stream_errors_map_like_http_errors_and_never_show_the_key() {
    let text = concat!(
        "event: error\n",
        r#"data: {"type":"error","error":{"type":"invalid_request_error","message":"bad key sk-ant-secret-key"}}"#,
        "\n\n",
    );
    let (events, _) = run(StreamMapper::canonical(errors(), false), text);
    let Some(StreamEvent::Error(error)) = events.last() else {
        panic!("expected an error");
    };
    assert_eq!(error.status, 400);
    assert!(!error.retryable);
    assert!(!error.message.contains("secret"), "{}", error.message);
}

#[test]
fn a_stream_cut_before_message_stop_ends_with_an_error() {
    let text = concat!(
        "event: message_start\n",
        r#"data: {"type":"message_start","message":{"id":"msg_1","model":"m","usage":{"input_tokens":7,"output_tokens":1}}}"#,
        "\n\n",
    );
    let (events, ended_at) = run(StreamMapper::canonical(errors(), false), text);
    assert_eq!(ended_at, None);
    assert!(matches!(events[1], StreamEvent::Usage(u) if u.input_tokens == 7));
    assert!(
        matches!(events.last(), Some(StreamEvent::Error(e)) if e.kind == ErrorKind::UpstreamError)
    );
}

#[test]
fn a_malformed_known_event_is_an_error_but_unknown_garbage_is_skipped() {
    let garbage = "event: something_new\ndata: not json\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    let (events, ended_at) = run(StreamMapper::canonical(errors(), false), garbage);
    assert!(events.is_empty());
    assert_eq!(ended_at, Some(1));

    let broken = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\"}\n\n";
    let (events, _) = run(StreamMapper::canonical(errors(), false), broken);
    assert!(
        matches!(events.as_slice(), [StreamEvent::Error(e)] if e.code.as_deref() == Some("upstream_bad_response"))
    );
}

#[test]
fn emulated_json_tool_streams_as_text_and_finishes_with_stop() {
    let text = concat!(
        "event: content_block_start\n",
        r#"data: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"json_response","input":{}}}"#,
        "\n\n",
        "event: content_block_delta\n",
        r#"data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}}"#,
        "\n\n",
        "event: content_block_delta\n",
        r#"data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"1}"}}"#,
        "\n\n",
        "event: message_delta\n",
        r#"data: {"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":4}}"#,
        "\n\n",
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
    );
    let (events, _) = run(StreamMapper::canonical(errors(), true), text);
    assert_eq!(
        &events[..3],
        &[
            StreamEvent::TextDelta {
                choice: 0,
                text: "{\"a\":".into()
            },
            StreamEvent::TextDelta {
                choice: 0,
                text: "1}".into()
            },
            StreamEvent::Finish {
                choice: 0,
                reason: FinishReason::Stop
            },
        ]
    );
}
