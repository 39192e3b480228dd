//! Canonical answer → `chat.completion` JSON, and the usage object shared with the stream.

use std::borrow::Cow;

use bytes::Bytes;
use serde::Serialize;
use serde_json::value::RawValue;
use tollgate_types::{ChatResponse, Choice, Cost, Usage};

/// OpenAI's `usage`, plus Tollgate's `cost` (a JSON number written from the exact decimal) and
/// `cost_source`.
#[derive(Serialize)]
pub(super) struct UsageOut {
    prompt_tokens: u64,
    completion_tokens: u64,
    total_tokens: u64,
    prompt_tokens_details: PromptDetailsOut,
    completion_tokens_details: CompletionDetailsOut,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost_source: Option<&'static str>,
}

#[derive(Serialize)]
struct PromptDetailsOut {
    cached_tokens: u64,
    /// OpenRouter's name; only written when there were cache writes.
    #[serde(skip_serializing_if = "is_zero")]
    cache_write_tokens: u64,
}

#[derive(Serialize)]
struct CompletionDetailsOut {
    reasoning_tokens: u64,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

impl UsageOut {
    pub fn new(usage: &Usage, cost: Option<&Cost>) -> Self {
        // The decimal text is a valid JSON number by construction; if that ever failed, the cost
        // is left out rather than written through a float.
        let cost_number =
            cost.and_then(|cost| RawValue::from_string(cost.usd.to_json_number()).ok());
        UsageOut {
            prompt_tokens: usage.input_tokens,
            completion_tokens: usage.output_tokens,
            total_tokens: usage.total_tokens(),
            prompt_tokens_details: PromptDetailsOut {
                cached_tokens: usage.cached_input_tokens,
                cache_write_tokens: usage.cache_write_tokens,
            },
            completion_tokens_details: CompletionDetailsOut {
                reasoning_tokens: usage.reasoning_tokens,
            },
            cost_source: cost_number
                .as_ref()
                .and(cost)
                .map(|cost| cost.source.as_str()),
            cost: cost_number,
        }
    }
}

#[derive(Serialize)]
struct CompletionOut<'a> {
    id: Cow<'a, str>,
    object: &'static str,
    created: u64,
    model: &'a str,
    choices: Vec<ChoiceOut<'a>>,
    usage: UsageOut,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_fingerprint: Option<&'a str>,
}

#[derive(Serialize)]
struct ChoiceOut<'a> {
    index: u32,
    message: MessageOut<'a>,
    logprobs: Option<()>,
    finish_reason: &'a str,
}

#[derive(Serialize)]
struct MessageOut<'a> {
    role: &'static str,
    content: Option<&'a str>,
    refusal: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<ToolCallOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_content: Option<&'a str>,
}

#[derive(Serialize)]
pub(super) struct ToolCallOut<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    function: FunctionOut<'a>,
}

#[derive(Serialize)]
struct FunctionOut<'a> {
    name: &'a str,
    arguments: &'a str,
}

pub fn render_chat_response(response: &ChatResponse, cost: Option<&Cost>) -> Bytes {
    let id = if response.id.is_empty() {
        Cow::Owned(new_completion_id())
    } else {
        Cow::Borrowed(response.id.as_str())
    };
    to_body(&CompletionOut {
        id,
        object: "chat.completion",
        created: if response.created == 0 {
            unix_now()
        } else {
            response.created
        },
        model: &response.model,
        choices: response.choices.iter().map(choice_out).collect(),
        usage: UsageOut::new(&response.usage, cost),
        system_fingerprint: response.system_fingerprint.as_deref(),
    })
}

fn choice_out(choice: &Choice) -> ChoiceOut<'_> {
    let message = &choice.message;
    ChoiceOut {
        index: choice.index,
        message: MessageOut {
            role: "assistant",
            content: message.content.as_deref(),
            refusal: message.refusal.as_deref(),
            tool_calls: message
                .tool_calls
                .iter()
                .map(|call| ToolCallOut {
                    id: &call.id,
                    kind: "function",
                    function: FunctionOut {
                        name: &call.name,
                        arguments: &call.arguments,
                    },
                })
                .collect(),
            reasoning_content: message.reasoning.as_deref(),
        },
        logprobs: None,
        finish_reason: choice.finish_reason.openai_str(),
    }
}

/// Serialises a response body. Serialising these plain structs cannot fail; if it ever did, the
/// caller gets a well-formed error instead of half a body.
pub(super) fn to_body(value: &impl Serialize) -> Bytes {
    match serde_json::to_vec(value) {
        Ok(body) => Bytes::from(body),
        Err(error) => {
            tracing::error!(%error, "could not serialise an OpenAI response");
            Bytes::from_static(
                br#"{"error":{"message":"Internal error in the gateway.","type":"server_error","param":null,"code":null}}"#,
            )
        }
    }
}

pub(super) fn new_completion_id() -> String {
    format!("chatcmpl-{}", uuid::Uuid::new_v4().simple())
}

pub(super) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
