use serde_json::json;
use tollgate_types::{FinishReason, Usage};

use crate::anthropic::response::{finish_reason, to_canonical};
use crate::anthropic::wire::MessagesResponse;

fn parse(body: serde_json::Value, json_mode: bool) -> tollgate_types::ChatResponse {
    let wire: MessagesResponse = serde_json::from_value(body).expect("wire response");
    to_canonical(wire, json_mode)
}

#[test]
fn text_tool_use_and_thinking_blocks_map_to_one_choice() {
    let response = parse(
        json!({
            "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
            "content": [
                {"type": "thinking", "thinking": "The user wants", "signature": "sig"},
                {"type": "redacted_thinking", "data": "xx"},
                {"type": "text", "text": "Let me "},
                {"type": "text", "text": "check."},
                {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Oslo"}},
                {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}
            ],
            "stop_reason": "tool_use", "stop_sequence": null,
            "usage": {"input_tokens": 50, "output_tokens": 30,
                      "cache_creation_input_tokens": 0, "cache_read_input_tokens": 1200,
                      "cache_creation": {"ephemeral_5m_input_tokens": 0}, "service_tier": "standard"}
        }),
        false,
    );
    assert_eq!(response.id, "msg_01");
    assert_eq!(response.model, "claude-sonnet-4-5");
    assert!(response.created > 0);
    let choice = &response.choices[0];
    assert_eq!(choice.message.content.as_deref(), Some("Let me check."));
    assert_eq!(choice.message.reasoning.as_deref(), Some("The user wants"));
    assert_eq!(choice.message.tool_calls.len(), 1);
    assert_eq!(choice.message.tool_calls[0].id, "toolu_01");
    assert_eq!(choice.message.tool_calls[0].arguments, r#"{"city":"Oslo"}"#);
    assert_eq!(choice.finish_reason, FinishReason::ToolCalls);
    assert_eq!(
        response.usage,
        Usage {
            input_tokens: 1250,
            output_tokens: 30,
            cached_input_tokens: 1200,
            cache_write_tokens: 0,
            reasoning_tokens: 0,
        }
    );
}

#[test]
fn usage_counts_cache_writes_into_the_prompt_total() {
    let response = parse(
        json!({"id": "msg_1", "model": "m", "content": [{"type": "text", "text": "hi"}],
               "stop_reason": "end_turn",
               "usage": {"input_tokens": 10, "output_tokens": 5,
                         "cache_creation_input_tokens": 300, "cache_read_input_tokens": null}}),
        false,
    );
    assert_eq!(response.usage.input_tokens, 310);
    assert_eq!(response.usage.cache_write_tokens, 300);
    assert_eq!(response.usage.cached_input_tokens, 0);
    assert_eq!(response.usage.uncached_input_tokens(), 10);
}

#[test]
fn stop_reasons_map_to_the_hub_vocabulary() {
    let cases = [
        (Some("end_turn"), FinishReason::Stop),
        (Some("pause_turn"), FinishReason::Stop),
        (None, FinishReason::Stop),
        (
            Some("stop_sequence"),
            FinishReason::StopSequence(Some("END".into())),
        ),
        (Some("max_tokens"), FinishReason::Length),
        (Some("model_context_window_exceeded"), FinishReason::Length),
        (Some("tool_use"), FinishReason::ToolCalls),
        (Some("refusal"), FinishReason::ContentFilter),
        (Some("Brand_New"), FinishReason::Other("brand_new".into())),
    ];
    for (stop_reason, expected) in cases {
        assert_eq!(
            finish_reason(stop_reason, Some("END".into())),
            expected,
            "{stop_reason:?}"
        );
    }
}

#[test]
fn emulated_json_answer_becomes_text_with_finish_stop() {
    let response = parse(
        json!({"id": "msg_1", "model": "m",
               "content": [{"type": "tool_use", "id": "toolu_9", "name": "json_response",
                            "input": {"answer": "42"}}],
               "stop_reason": "tool_use", "usage": {"input_tokens": 1, "output_tokens": 2}}),
        true,
    );
    let choice = &response.choices[0];
    assert_eq!(
        choice.message.content.as_deref(),
        Some(r#"{"answer":"42"}"#)
    );
    assert!(choice.message.tool_calls.is_empty());
    assert_eq!(choice.finish_reason, FinishReason::Stop);
}

#[test]
fn a_tool_only_answer_has_no_content_and_an_empty_answer_has_empty_text() {
    let tool_only = parse(
        json!({"id": "msg_1", "model": "m",
               "content": [{"type": "tool_use", "id": "t", "name": "f", "input": {}}],
               "stop_reason": "tool_use", "usage": {}}),
        false,
    );
    assert_eq!(tool_only.choices[0].message.content, None);
    let empty = parse(
        json!({"id": "msg_1", "model": "m", "content": [], "stop_reason": "end_turn", "usage": {}}),
        false,
    );
    assert_eq!(empty.choices[0].message.content.as_deref(), Some(""));
}
