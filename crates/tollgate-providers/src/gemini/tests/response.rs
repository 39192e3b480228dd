//! Gemini answers, stream events, errors and embeddings → canonical.

use std::time::Duration;

use http::HeaderMap;
use serde_json::{Value, json};
use tollgate_types::{
    EmbeddingInput, EmbeddingRequest, EncodingFormat, ErrorKind, FinishReason, StreamEvent, Usage,
};

use crate::gemini::embeddings::{build_embed_request, estimated_tokens};
use crate::gemini::errors::{parse_proto_duration, upstream_failure};
use crate::gemini::response::{chat_response, usage};
use crate::gemini::stream::StreamState;
use crate::gemini::wire::{GenerateContentResponse, UsageMetadata};

fn wire(value: Value) -> GenerateContentResponse {
    serde_json::from_value(value).unwrap()
}

// ---------------------------------------------------------------- response

#[test]
fn candidates_map_to_choices_with_text_reasoning_and_tool_calls() {
    let response = chat_response(
        wire(json!({
            "candidates": [
                {"index": 0, "finishReason": "STOP", "content": {"role": "model", "parts": [
                    {"text": "Let me think.", "thought": true},
                    {"text": "Checking "},
                    {"text": "the weather."},
                    {"functionCall": {"name": "get_weather", "args": {"city": "Oslo"}}},
                    {"functionCall": {"id": "fc-1", "name": "now"}}
                ]}},
                {"index": 1, "finishReason": "MAX_TOKENS", "content": {"role": "model", "parts": [{"text": "Cut"}]}},
                {"index": 2, "finishReason": "SAFETY"},
                {"index": 3, "finishReason": "MALFORMED_FUNCTION_CALL", "content": {"role": "model"}}
            ],
            "modelVersion": "gemini-2.5-flash-001",
            "responseId": "resp-1"
        })),
        "gemini-2.5-flash",
    );
    assert_eq!(response.id, "resp-1");
    assert_eq!(response.model, "gemini-2.5-flash-001");
    let first = &response.choices[0];
    assert_eq!(
        first.message.content.as_deref(),
        Some("Checking the weather.")
    );
    assert_eq!(first.message.reasoning.as_deref(), Some("Let me think."));
    assert_eq!(first.finish_reason, FinishReason::ToolCalls);
    let calls = &first.message.tool_calls;
    assert_eq!(calls[0].name, "get_weather");
    assert_eq!(calls[0].arguments, r#"{"city":"Oslo"}"#);
    assert!(calls[0].id.starts_with("call_"));
    assert_eq!(
        (calls[1].id.as_str(), calls[1].arguments.as_str()),
        ("fc-1", "{}")
    );
    let reasons: Vec<_> = response
        .choices
        .iter()
        .map(|c| c.finish_reason.clone())
        .collect();
    assert_eq!(
        reasons[1..],
        [
            FinishReason::Length,
            FinishReason::ContentFilter,
            FinishReason::Other("malformed_function_call".into())
        ]
    );
    assert_eq!(response.choices[2].message.content, None);
}

#[test]
fn generated_tool_call_ids_are_unique() {
    let answer = || {
        chat_response(
            wire(
                json!({"candidates": [{"content": {"parts": [{"functionCall": {"name": "f", "args": {}}}]}}]}),
            ),
            "m",
        )
    };
    let (a, b) = (answer(), answer());
    assert_ne!(
        a.choices[0].message.tool_calls[0].id,
        b.choices[0].message.tool_calls[0].id
    );
}

#[test]
fn a_blocked_prompt_is_one_empty_content_filter_choice() {
    let response = chat_response(
        wire(json!({"promptFeedback": {"blockReason": "SAFETY"},
            "usageMetadata": {"promptTokenCount": 7, "totalTokenCount": 7}})),
        "gemini-2.5-pro",
    );
    assert_eq!(response.model, "gemini-2.5-pro");
    assert!(!response.id.is_empty());
    assert_eq!(response.choices.len(), 1);
    assert_eq!(
        response.choices[0].finish_reason,
        FinishReason::ContentFilter
    );
    assert_eq!(response.choices[0].message.content, None);
    assert_eq!(response.usage.input_tokens, 7);
}

#[test]
fn usage_is_inclusive_whether_candidates_include_thoughts_or_not() {
    // The documented shape: total = prompt + candidates + thoughts.
    let exclusive = UsageMetadata {
        prompt_token_count: 1250,
        candidates_token_count: 5,
        total_token_count: Some(1315),
        cached_content_token_count: 1024,
        thoughts_token_count: 60,
        tool_use_prompt_token_count: 0,
    };
    assert_eq!(
        usage(&exclusive),
        Usage {
            input_tokens: 1250,
            output_tokens: 65,
            cached_input_tokens: 1024,
            cache_write_tokens: 0,
            reasoning_tokens: 60,
        }
    );
    // Candidates already counting the thoughts: prompt (+ tool-use prompt) + candidates == total.
    let inclusive = UsageMetadata {
        prompt_token_count: 100,
        candidates_token_count: 65,
        total_token_count: Some(175),
        thoughts_token_count: 60,
        tool_use_prompt_token_count: 10,
        ..UsageMetadata::default()
    };
    let usage = usage(&inclusive);
    assert_eq!(
        (
            usage.input_tokens,
            usage.output_tokens,
            usage.reasoning_tokens
        ),
        (110, 65, 60)
    );
}

// ---------------------------------------------------------------- stream

fn run_stream(chunks: &[Value]) -> (Vec<StreamEvent>, Result<(), tollgate_types::GatewayError>) {
    let mut state = StreamState::new("gemini", "gemini-2.5-flash", Some("secret-key-123"));
    let mut out = Vec::new();
    for chunk in chunks {
        if let Err(error) = state.on_event(&chunk.to_string(), &mut out) {
            return (out, Err(error));
        }
    }
    let end = state.on_end();
    (out, end)
}

#[test]
fn stream_chunks_become_canonical_events() {
    let (events, end) = run_stream(&[
        json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "Hmm", "thought": true}]}}],
               "responseId": "r1", "modelVersion": "gemini-2.5-flash"}),
        json!({"candidates": [{"content": {"parts": [{"text": "Hel"}]}}]}),
        json!({"candidates": [{"content": {"parts": [{"text": "lo"},
                {"functionCall": {"name": "f", "args": {"a": 1}}}]}, "finishReason": "STOP"}],
               "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 4, "totalTokenCount": 9, "thoughtsTokenCount": 2}}),
    ]);
    end.unwrap();
    let call_id = match &events[4] {
        StreamEvent::ToolCallStart { id, .. } => id.clone(),
        other => panic!("expected a tool call start, got {other:?}"),
    };
    assert_eq!(
        events,
        vec![
            StreamEvent::Start {
                id: "r1".into(),
                model: "gemini-2.5-flash".into()
            },
            StreamEvent::ReasoningDelta {
                choice: 0,
                text: "Hmm".into()
            },
            StreamEvent::TextDelta {
                choice: 0,
                text: "Hel".into()
            },
            StreamEvent::TextDelta {
                choice: 0,
                text: "lo".into()
            },
            StreamEvent::ToolCallStart {
                choice: 0,
                index: 0,
                id: call_id,
                name: "f".into()
            },
            StreamEvent::ToolCallDelta {
                choice: 0,
                index: 0,
                arguments: r#"{"a":1}"#.into()
            },
            StreamEvent::Finish {
                choice: 0,
                reason: FinishReason::ToolCalls
            },
            StreamEvent::Usage(Usage {
                input_tokens: 3,
                output_tokens: 6,
                reasoning_tokens: 2,
                ..Usage::default()
            }),
        ]
    );
}

#[test]
fn stream_cut_before_a_finish_reason_or_without_events_fails() {
    let (events, end) =
        run_stream(&[json!({"candidates": [{"content": {"parts": [{"text": "x"}]}}]})]);
    assert_eq!(events.len(), 2, "the text still arrives: {events:?}");
    let error = end.unwrap_err();
    assert_eq!((error.status, error.retryable), (502, true));
    let (events, end) = run_stream(&[]);
    assert!(events.is_empty());
    assert_eq!(end.unwrap_err().status, 502);
}

#[test]
fn stream_blocked_prompt_and_mid_stream_error() {
    let (events, _) =
        run_stream(&[json!({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}})]);
    assert!(events.contains(&StreamEvent::Finish {
        choice: 0,
        reason: FinishReason::ContentFilter
    }));

    let (events, end) = run_stream(&[
        json!({"candidates": [{"content": {"parts": [{"text": "x"}]}}]}),
        json!({"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}),
    ]);
    assert_eq!(events.len(), 2);
    let error = end.unwrap_err();
    assert_eq!((error.status, error.retryable), (503, true));
}

// ---------------------------------------------------------------- errors

#[test]
fn rate_limit_honours_retry_info_when_no_header_says_otherwise() {
    let body = json!({"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED",
        "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "3s"}]}});
    let bytes = body.to_string();
    let error = upstream_failure("gemini", 429, &HeaderMap::new(), bytes.as_bytes(), None);
    assert_eq!(error.kind, ErrorKind::RateLimited);
    assert!(error.retryable);
    assert_eq!(error.retry_after, Some(Duration::from_secs(3)));

    let mut headers = HeaderMap::new();
    headers.insert("retry-after", http::HeaderValue::from_static("7"));
    let error = upstream_failure("gemini", 429, &headers, bytes.as_bytes(), None);
    assert_eq!(error.retry_after, Some(Duration::from_secs(7)));
    assert_eq!(
        parse_proto_duration("0.5s"),
        Some(Duration::from_millis(500))
    );
    assert_eq!(parse_proto_duration("soon"), None);
}

#[test]
fn an_invalid_api_key_is_a_502_without_the_key() {
    let body = json!({"error": {"code": 400, "status": "INVALID_ARGUMENT",
        "message": "API key not valid. Please pass a valid API key. (key AIzaSyA-1234567890abcdef)",
        "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}]}});
    let error = upstream_failure(
        "gemini",
        400,
        &HeaderMap::new(),
        body.to_string().as_bytes(),
        Some("AIzaSyA-1234567890abcdef"),
    );
    assert_eq!(error.status, 502);
    assert!(
        !error.message.contains("1234567890abcdef"),
        "{}",
        error.message
    );

    let invalid =
        json!({"error": {"code": 400, "message": "Bad schema", "status": "INVALID_ARGUMENT"}});
    let error = upstream_failure(
        "gemini",
        400,
        &HeaderMap::new(),
        invalid.to_string().as_bytes(),
        None,
    );
    assert_eq!(error.status, 400);
    assert!(error.message.contains("Bad schema"));
    assert_eq!(error.code.as_deref(), Some("INVALID_ARGUMENT"));
}

// ---------------------------------------------------------------- embeddings

#[test]
fn embedding_batches_repeat_the_model_and_refuse_token_input() {
    let mut request = EmbeddingRequest {
        model: "embed".into(),
        input: EmbeddingInput::Texts(vec!["hello".into(), "wörld!!".into()]),
        dimensions: Some(256),
        encoding_format: EncodingFormat::Float,
        user: None,
    };
    let body =
        serde_json::to_value(build_embed_request(&request, "models/text-embedding-004").unwrap())
            .unwrap();
    assert_eq!(
        body,
        json!({"requests": [
            {"model": "models/text-embedding-004", "content": {"parts": [{"text": "hello"}]}, "outputDimensionality": 256},
            {"model": "models/text-embedding-004", "content": {"parts": [{"text": "wörld!!"}]}, "outputDimensionality": 256}
        ]})
    );
    assert_eq!(estimated_tokens(&["hello".into(), "wörld!!".into()]), 2 + 2);
    request.input = EmbeddingInput::Tokens(vec![vec![1, 2]]);
    assert_eq!(
        build_embed_request(&request, "models/x")
            .unwrap_err()
            .status,
        400
    );
}
