//! Non-streamed answers: wire → canonical, the passthrough probe, usage and cost.

use bytes::Bytes;
use http::HeaderMap;
use serde_json::value::RawValue;
use tollgate_types::{
    AssistantMessage, ChatResponse, Choice, Dialect, FinishReason, NanoUsd, NativeReply, ToolCall,
    Usage,
};

use super::errors::ErrorScope;
use super::wire::{self, ChoiceIn, CompletionIn, CompletionProbeIn, UsageIn};

/// LiteLLM (and gateways copying it) state the call's cost in this header.
const COST_HEADER: &str = "x-litellm-response-cost";

/// Normalises usage to the hub's inclusive semantics, which OpenAI's already are: cached tokens
/// are inside `prompt_tokens`, reasoning tokens inside `completion_tokens`.
pub(crate) fn usage_from_wire(usage: &UsageIn) -> Usage {
    let prompt_details = usage.prompt_tokens_details.as_ref();
    let cached = prompt_details
        .map(|d| d.cached_tokens)
        .filter(|&cached| cached > 0)
        .unwrap_or(usage.prompt_cache_hit_tokens);
    Usage {
        input_tokens: usage.prompt_tokens,
        output_tokens: usage.completion_tokens,
        cached_input_tokens: cached,
        cache_write_tokens: prompt_details.map_or(0, |d| d.cache_write_tokens),
        reasoning_tokens: usage
            .completion_tokens_details
            .as_ref()
            .map_or(0, |d| d.reasoning_tokens),
    }
}

/// OpenRouter's `usage.cost`, read from its exact JSON text.
pub(crate) fn cost_from_wire(usage: &UsageIn) -> Option<NanoUsd> {
    usage.cost.as_deref().and_then(parse_cost)
}

fn parse_cost(raw: &RawValue) -> Option<NanoUsd> {
    let text = raw.get().trim();
    // A few servers quote the number; `null` means "not reported".
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    NanoUsd::parse_usd(text)
}

pub(crate) fn header_cost(headers: &HeaderMap) -> Option<NanoUsd> {
    headers
        .get(COST_HEADER)
        .and_then(|value| value.to_str().ok())
        .and_then(NanoUsd::parse_usd)
}

/// The body of a `2xx` non-streamed answer, mapped to the canonical response.
pub(crate) fn canonical_response(
    scope: &ErrorScope,
    body: &[u8],
    header_cost: Option<NanoUsd>,
) -> Result<ChatResponse, tollgate_types::GatewayError> {
    let completion: CompletionIn = serde_json::from_slice(body).map_err(|e| scope.unreadable(e))?;
    if completion.choices.is_empty()
        && let Some(error) = &completion.error
    {
        return Err(scope.inline_error(error));
    }
    let usage = completion.usage.as_ref();
    let choices = completion
        .choices
        .into_iter()
        .enumerate()
        .map(|(position, choice)| choice_from_wire(position, choice))
        .collect();
    Ok(ChatResponse {
        id: completion.id.unwrap_or_default(),
        model: completion.model.unwrap_or_default(),
        created: if completion.created == 0 {
            unix_now()
        } else {
            completion.created
        },
        choices,
        usage: usage.map(usage_from_wire).unwrap_or_default(),
        provider_cost: usage.and_then(cost_from_wire).or(header_cost),
        system_fingerprint: completion.system_fingerprint,
    })
}

fn choice_from_wire(position: usize, choice: ChoiceIn) -> Choice {
    let index = choice
        .index
        .unwrap_or_else(|| u32::try_from(position).unwrap_or(u32::MAX));
    let message = choice.message.map(message_from_wire).unwrap_or_default();
    let finish_reason = match choice.finish_reason.as_deref() {
        Some(reason) => FinishReason::from_openai(reason),
        None if !message.tool_calls.is_empty() => FinishReason::ToolCalls,
        None => FinishReason::Stop,
    };
    Choice {
        index,
        message,
        finish_reason,
    }
}

fn message_from_wire(message: wire::MessageIn) -> AssistantMessage {
    let mut tool_calls: Vec<ToolCall> = message
        .tool_calls
        .into_iter()
        .filter_map(|call| {
            let function = call.function?;
            Some(ToolCall {
                id: call
                    .id
                    .filter(|id| !id.is_empty())
                    .unwrap_or_else(new_call_id),
                name: function.name.unwrap_or_default(),
                arguments: wire::arguments_text(function.arguments.as_deref()),
            })
        })
        .collect();
    if tool_calls.is_empty()
        && let Some(function) = message.function_call
    {
        tool_calls.push(ToolCall {
            id: new_call_id(),
            name: function.name.unwrap_or_default(),
            arguments: wire::arguments_text(function.arguments.as_deref()),
        });
    }
    AssistantMessage {
        content: message.content,
        tool_calls,
        reasoning: message.reasoning_content.or(message.reasoning),
        refusal: message.refusal,
    }
}

/// The body of a `2xx` passthrough answer: forwarded as is, with only usage and cost read.
pub(crate) fn native_reply(
    scope: &ErrorScope,
    body: Bytes,
    header_cost: Option<NanoUsd>,
) -> Result<NativeReply, tollgate_types::GatewayError> {
    let probe: CompletionProbeIn =
        serde_json::from_slice(&body).map_err(|e| scope.unreadable(e))?;
    if probe.choices.is_none()
        && let Some(error) = &probe.error
    {
        return Err(scope.inline_error(error));
    }
    let usage = probe.usage.as_ref();
    Ok(NativeReply {
        dialect: Dialect::OpenAi,
        usage: usage.map(usage_from_wire).unwrap_or_default(),
        provider_cost: usage.and_then(cost_from_wire).or(header_cost),
        body,
    })
}

/// An id for a tool call whose upstream gave none (some compatible servers, legacy
/// `function_call`), so results can still be matched to calls.
pub(crate) fn new_call_id() -> String {
    format!("call_{}", uuid::Uuid::new_v4().simple())
}

pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
