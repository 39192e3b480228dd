//! Anthropic Messages response → canonical response (providers.md §2.6).

use std::time::{SystemTime, UNIX_EPOCH};

use tollgate_types::{AssistantMessage, ChatResponse, Choice, FinishReason, ToolCall};

use super::request::JSON_TOOL_NAME;
use super::wire::{MessagesResponse, ResponseBlock};

/// Maps a parsed response. `json_mode`: the request emulated `response_format` with the
/// [`JSON_TOOL_NAME`] tool, whose input is then the answer text.
pub fn to_canonical(response: MessagesResponse, json_mode: bool) -> ChatResponse {
    let mut text: Option<String> = None;
    let mut reasoning: Option<String> = None;
    let mut tool_calls = Vec::new();
    let mut answered_by_json_tool = false;
    for block in response.content {
        match block {
            ResponseBlock::Text { text: part } => text.get_or_insert_default().push_str(&part),
            ResponseBlock::Thinking { thinking } => {
                reasoning.get_or_insert_default().push_str(&thinking)
            }
            ResponseBlock::ToolUse { name, input, .. } if json_mode && name == JSON_TOOL_NAME => {
                // The forced tool's input is the structured answer; any preamble text is dropped
                // so the caller gets parseable JSON, as with a native JSON mode.
                text = Some(input.to_string());
                answered_by_json_tool = true;
            }
            ResponseBlock::ToolUse { id, name, input } => tool_calls.push(ToolCall {
                id,
                name,
                arguments: input.to_string(),
            }),
            ResponseBlock::Other => {}
        }
    }
    let mut finish_reason = finish_reason(response.stop_reason.as_deref(), response.stop_sequence);
    if answered_by_json_tool && finish_reason == FinishReason::ToolCalls && tool_calls.is_empty() {
        finish_reason = FinishReason::Stop;
    }
    if text.is_none() && tool_calls.is_empty() {
        text = Some(String::new());
    }
    ChatResponse {
        id: response.id,
        model: response.model,
        created: unix_now(),
        choices: vec![Choice {
            index: 0,
            message: AssistantMessage {
                content: text,
                tool_calls,
                reasoning,
                refusal: None,
            },
            finish_reason,
        }],
        usage: response.usage.to_canonical(),
        provider_cost: None,
        system_fingerprint: None,
    }
}

/// `stop_reason` in the hub's vocabulary.
pub fn finish_reason(stop_reason: Option<&str>, stop_sequence: Option<String>) -> FinishReason {
    match stop_reason {
        None | Some("end_turn" | "pause_turn") => FinishReason::Stop,
        Some("stop_sequence") => FinishReason::StopSequence(stop_sequence),
        Some("max_tokens" | "model_context_window_exceeded") => FinishReason::Length,
        Some("tool_use") => FinishReason::ToolCalls,
        Some("refusal") => FinishReason::ContentFilter,
        Some(other) => FinishReason::Other(other.to_ascii_lowercase()),
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}
