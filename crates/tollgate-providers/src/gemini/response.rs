//! Gemini `GenerateContentResponse` → canonical chat response (providers.md §3.2, §3.4).

use std::time::{SystemTime, UNIX_EPOCH};

use tollgate_types::{AssistantMessage, ChatResponse, Choice, FinishReason, ToolCall, Usage};

use super::wire::{Candidate, GenerateContentResponse, ResponseFunctionCall, UsageMetadata};

pub fn chat_response(wire: GenerateContentResponse, upstream_model: &str) -> ChatResponse {
    let choices = if wire.candidates.is_empty() {
        // A blocked prompt has no candidates, only `promptFeedback.blockReason`; the caller still
        // gets one (empty) choice saying why it ended.
        let reason = match wire.prompt_feedback.and_then(|f| f.block_reason) {
            Some(_) => FinishReason::ContentFilter,
            None => FinishReason::Stop,
        };
        vec![Choice {
            index: 0,
            message: AssistantMessage::default(),
            finish_reason: reason,
        }]
    } else {
        wire.candidates
            .into_iter()
            .enumerate()
            .map(|(position, candidate)| choice(position, candidate))
            .collect()
    };
    ChatResponse {
        id: response_id(wire.response_id),
        model: wire
            .model_version
            .unwrap_or_else(|| upstream_model.to_string()),
        created: unix_now(),
        choices,
        usage: wire.usage_metadata.map(|m| usage(&m)).unwrap_or_default(),
        provider_cost: None,
        system_fingerprint: None,
    }
}

fn choice(position: usize, candidate: Candidate) -> Choice {
    let index = candidate.index.unwrap_or(position as u32);
    let mut content: Option<String> = None;
    let mut reasoning: Option<String> = None;
    let mut tool_calls = Vec::new();
    for part in candidate.content.into_iter().flat_map(|c| c.parts) {
        if let Some(call) = part.function_call {
            tool_calls.push(tool_call(call));
        } else if let Some(text) = part.text {
            let target = if part.thought {
                &mut reasoning
            } else {
                &mut content
            };
            match target {
                Some(existing) => existing.push_str(&text),
                None => *target = Some(text),
            }
        }
    }
    let finish_reason = finish_reason(candidate.finish_reason.as_deref(), !tool_calls.is_empty());
    Choice {
        index,
        message: AssistantMessage {
            content: content.filter(|text| !text.is_empty()),
            tool_calls,
            reasoning: reasoning.filter(|text| !text.is_empty()),
            refusal: None,
        },
        finish_reason,
    }
}

/// Gemini reports `STOP` even when the turn ended in function calls, so calls decide `ToolCalls`.
pub fn finish_reason(reason: Option<&str>, has_tool_calls: bool) -> FinishReason {
    match reason {
        None | Some("STOP" | "FINISH_REASON_UNSPECIFIED") if has_tool_calls => {
            FinishReason::ToolCalls
        }
        None | Some("STOP" | "FINISH_REASON_UNSPECIFIED") => FinishReason::Stop,
        Some("MAX_TOKENS") => FinishReason::Length,
        Some(
            "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII" | "IMAGE_SAFETY",
        ) => FinishReason::ContentFilter,
        Some(other) => FinishReason::Other(other.to_ascii_lowercase()),
    }
}

/// Gemini sends whole calls, with an object for `args` and often no id. Ids are generated unique
/// (not `call_0`, `call_1` per answer) because callers send them back later and other upstreams
/// a conversation may fall back to (Anthropic) reject repeated tool-call ids.
pub fn tool_call(call: ResponseFunctionCall) -> ToolCall {
    ToolCall {
        id: call.id.filter(|id| !id.is_empty()).unwrap_or_else(|| {
            format!("call_{}", &uuid::Uuid::new_v4().simple().to_string()[..24])
        }),
        name: call.name,
        arguments: call
            .args
            .filter(|args| !args.is_null())
            .map_or_else(|| "{}".to_string(), |args| args.to_string()),
    }
}

/// Gemini's usage → Tollgate's inclusive usage.
///
/// `promptTokenCount` already includes `cachedContentTokenCount`, so it is the input as is (plus
/// the prompt tokens of tool use). `candidatesTokenCount` normally excludes `thoughtsTokenCount`
/// (`total = prompt + toolUsePrompt + candidates + thoughts`), but some models report it inclusive;
/// as LiteLLM does, a total that already adds up without the thoughts means candidates include them.
pub fn usage(meta: &UsageMetadata) -> Usage {
    let input = meta
        .prompt_token_count
        .saturating_add(meta.tool_use_prompt_token_count);
    let candidates_inclusive = meta.total_token_count.is_some_and(|total| {
        meta.thoughts_token_count > 0 && input.saturating_add(meta.candidates_token_count) == total
    });
    let output = if candidates_inclusive {
        meta.candidates_token_count
    } else {
        meta.candidates_token_count
            .saturating_add(meta.thoughts_token_count)
    };
    Usage {
        input_tokens: input,
        output_tokens: output,
        cached_input_tokens: meta.cached_content_token_count,
        cache_write_tokens: 0,
        reasoning_tokens: meta.thoughts_token_count,
    }
}

/// Gemini's `responseId`, or a generated one so callers always get an id to log.
pub fn response_id(id: Option<String>) -> String {
    id.filter(|id| !id.is_empty())
        .unwrap_or_else(|| format!("gemini-{}", uuid::Uuid::new_v4().simple()))
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
