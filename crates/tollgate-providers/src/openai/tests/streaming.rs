//! Stream mappers over decoded SSE events, without HTTP.

use tollgate_sse::decode_all;
use tollgate_types::{FinishReason, NanoUsd, StreamEvent, Usage};

use super::super::errors::ErrorScope;
use super::super::stream::{ChunkMapper, EventMapper, NativeMapper, Step, has_non_null_member};

fn scope() -> ErrorScope {
    ErrorScope {
        provider: "up".into(),
        api_key: None,
    }
}

/// Runs a mapper over a whole SSE body; returns the events and whether it ended itself.
fn run(mapper: &mut impl EventMapper, body: &str) -> (Vec<StreamEvent>, bool) {
    let mut out = Vec::new();
    for event in decode_all(body.as_bytes()).unwrap() {
        if mapper.map(event, &mut out) == Step::End {
            return (out, true);
        }
    }
    (out, false)
}

const TOOL_STREAM: &str = concat!(
    ": keep-alive\n\n",
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}],\"usage\":null}\r\n\r\n",
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"hmm\"},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Let me check.\"},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"city\\\":\"}}]},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_2\",\"function\":{\"name\":\"get_time\",\"arguments\":\"{}\"}}]},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n",
    "data: {\"id\":\"chatcmpl-1\",\"choices\":null,\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":4,\"total_tokens\":13,\"prompt_tokens_details\":{\"cached_tokens\":2},\"completion_tokens_details\":{\"reasoning_tokens\":1},\"cost\":0.00012}}\n\n",
    "data: [DONE]\n\n",
    "data: {\"id\":\"after-done\"}\n\n",
);

#[test]
fn chunks_become_canonical_events() {
    let (events, ended) = run(&mut ChunkMapper::new(scope()), TOOL_STREAM);
    assert!(ended);
    assert_eq!(
        events,
        vec![
            StreamEvent::Start {
                id: "chatcmpl-1".into(),
                model: "gpt-4o".into()
            },
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
                id: "call_1".into(),
                name: "get_weather".into()
            },
            StreamEvent::ToolCallDelta {
                choice: 0,
                index: 0,
                arguments: "{\"city\":".into()
            },
            StreamEvent::ToolCallStart {
                choice: 0,
                index: 1,
                id: "call_2".into(),
                name: "get_time".into()
            },
            StreamEvent::ToolCallDelta {
                choice: 0,
                index: 1,
                arguments: "{}".into()
            },
            StreamEvent::Finish {
                choice: 0,
                reason: FinishReason::ToolCalls
            },
            StreamEvent::Usage(Usage {
                input_tokens: 9,
                output_tokens: 4,
                cached_input_tokens: 2,
                cache_write_tokens: 0,
                reasoning_tokens: 1
            }),
            StreamEvent::ProviderCost(NanoUsd(120_000)),
        ]
    );
}

#[test]
fn tool_calls_without_index_and_with_reused_index() {
    let body = concat!(
        "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"a\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"x\\\"\"}}]}}]}\n\n",
        "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"arguments\":\":1}\"}}]}}]}\n\n",
        "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"b\",\"function\":{\"name\":\"g\",\"arguments\":{\"y\":2}}}]}}]}\n\n",
    );
    let (events, ended) = run(&mut ChunkMapper::new(scope()), body);
    assert!(!ended);
    let summary: Vec<String> = events
        .iter()
        .filter_map(|event| match event {
            StreamEvent::ToolCallStart {
                index, id, name, ..
            } => Some(format!("start {index} {id} {name}")),
            StreamEvent::ToolCallDelta {
                index, arguments, ..
            } => Some(format!("args {index} {arguments}")),
            _ => None,
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            "start 0 a f",
            "args 0 {\"x\"",
            "args 0 :1}",
            "start 1 b g",
            "args 1 {\"y\":2}"
        ]
    );
}

#[test]
fn mid_stream_error_ends_the_stream() {
    let body = concat!(
        "data: {\"id\":\"1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n",
        "data: {\"error\":{\"message\":\"Upstream overloaded\",\"code\":503}}\n\n",
        "data: {\"id\":\"1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"never\"}}]}\n\n",
    );
    for mapper in [
        &mut ChunkMapper::new(scope()) as &mut dyn EventMapperDyn,
        &mut NativeMapper::new(scope()),
    ] {
        let (events, ended) = mapper.run(body);
        assert!(ended);
        let Some(StreamEvent::Error(error)) = events.last() else {
            panic!("no error event: {events:?}");
        };
        assert_eq!(error.status, 503);
        assert!(error.message.contains("Upstream overloaded"));
    }
}

#[test]
fn unparseable_chunk_is_an_error() {
    let (events, ended) = run(&mut ChunkMapper::new(scope()), "data: {not json\n\n");
    assert!(ended);
    assert!(matches!(&events[..], [StreamEvent::Error(e)] if e.status == 502));
}

/// Object-safe wrapper so one test can loop over both mappers.
trait EventMapperDyn {
    fn run(&mut self, body: &str) -> (Vec<StreamEvent>, bool);
}

impl<M: EventMapper> EventMapperDyn for M {
    fn run(&mut self, body: &str) -> (Vec<StreamEvent>, bool) {
        run(self, body)
    }
}

#[test]
fn native_mode_forwards_frames_and_keeps_back_the_usage_chunk() {
    let events = decode_all(TOOL_STREAM.as_bytes()).unwrap();
    let raws: Vec<bytes::Bytes> = events.iter().map(|e| e.raw.clone()).collect();
    let (out, ended) = run(&mut NativeMapper::new(scope()), TOOL_STREAM);
    assert!(ended);
    let mut expected = vec![StreamEvent::Start {
        id: "chatcmpl-1".into(),
        model: "gpt-4o".into(),
    }];
    // Every content chunk verbatim (raw bytes, `\r\n` and all), in order.
    expected.extend(raws[..7].iter().cloned().map(StreamEvent::Native));
    expected.push(StreamEvent::Finish {
        choice: 0,
        reason: FinishReason::ToolCalls,
    });
    expected.push(StreamEvent::Usage(Usage {
        input_tokens: 9,
        output_tokens: 4,
        cached_input_tokens: 2,
        cache_write_tokens: 0,
        reasoning_tokens: 1,
    }));
    expected.push(StreamEvent::ProviderCost(NanoUsd(120_000)));
    assert_eq!(out, expected);
}

#[test]
fn native_mode_forwards_a_content_chunk_that_also_has_usage() {
    let body = concat!(
        "data: {\"id\":\"g\",\"model\":\"llama\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}],\"x_groq\":{\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}}\n\n",
        "data: [DONE]\n\n",
    );
    let (out, ended) = run(&mut NativeMapper::new(scope()), body);
    assert!(ended);
    assert!(matches!(out[0], StreamEvent::Start { .. }));
    assert!(matches!(out[1], StreamEvent::Native(_)));
    assert!(matches!(
        out[2],
        StreamEvent::Finish {
            reason: FinishReason::Stop,
            ..
        }
    ));
    assert!(matches!(
        out[3],
        StreamEvent::Usage(Usage {
            input_tokens: 3,
            output_tokens: 1,
            ..
        })
    ));
    assert_eq!(out.len(), 4);
}

#[test]
fn member_scan_ignores_nulls_and_text() {
    assert!(has_non_null_member(br#"{"usage": {"a":1}}"#, b"\"usage\""));
    assert!(!has_non_null_member(br#"{"usage":null}"#, b"\"usage\""));
    assert!(!has_non_null_member(br#"{"usage" :  null}"#, b"\"usage\""));
    assert!(!has_non_null_member(
        br#"{"content":"usage"}"#,
        b"\"usage\""
    ));
    assert!(!has_non_null_member(
        br#"{"content":"\"usage\": 1"}"#,
        b"\"usage\""
    ));
    assert!(has_non_null_member(
        br#"{"finish_reason":"stop"}"#,
        b"\"finish_reason\""
    ));
    assert!(!has_non_null_member(
        br#"{"finish_reason":null}"#,
        b"\"finish_reason\""
    ));
}

#[test]
fn a_body_that_ends_without_done_is_whole_only_if_its_choices_finished() {
    let finished = concat!(
        "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
    );
    let cut = "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":null}]}\n\n";
    let mut chunks = ChunkMapper::new(scope());
    assert!(!run(&mut chunks, finished).1);
    assert!(chunks.at_end_of_body().is_none());
    let mut native = NativeMapper::new(scope());
    run(&mut native, finished);
    assert!(native.at_end_of_body().is_none());

    let mut chunks = ChunkMapper::new(scope());
    run(&mut chunks, cut);
    let error = chunks.at_end_of_body().expect("cut short");
    assert_eq!(error.code.as_deref(), Some("upstream_connection_error"));
    assert!(error.retryable);
    let mut native = NativeMapper::new(scope());
    run(&mut native, cut);
    assert!(native.at_end_of_body().is_some());
}
