//! OpenAI Chat Completions response objects as serialized by the mock, with the per-dialect
//! extras (OpenRouter cost, Azure content-filter results). Field order follows the real APIs.

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::Flavour;
use crate::reply::{Finish, Usage};

/// The OpenAI-compatible dialects and how they differ on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    OpenAi,
    OpenRouter,
    Azure,
}

impl Dialect {
    pub(crate) fn of(flavour: Flavour) -> Dialect {
        match flavour {
            Flavour::OpenRouter => Dialect::OpenRouter,
            Flavour::Azure => Dialect::Azure,
            _ => Dialect::OpenAi,
        }
    }
}

/// What every object of one answer shares.
pub(crate) struct Meta {
    pub(crate) dialect: Dialect,
    pub(crate) id: String,
    pub(crate) created: u64,
    pub(crate) model: String,
}

impl Meta {
    pub(crate) fn new(dialect: Dialect, seq: u64, created: u64, model: String) -> Meta {
        let id = match dialect {
            Dialect::OpenRouter => format!("gen-{created}-mock{seq}"),
            _ => format!("chatcmpl-mock{seq}"),
        };
        Meta {
            dialect,
            id,
            created,
            model,
        }
    }

    pub(crate) fn provider(&self) -> Option<&'static str> {
        (self.dialect == Dialect::OpenRouter).then_some("Mock")
    }

    pub(crate) fn content_filter(&self) -> Option<Value> {
        (self.dialect == Dialect::Azure).then(azure_filter_results)
    }
}

pub(crate) const SYSTEM_FINGERPRINT: &str = "fp_mock";

pub(crate) fn finish_reason(finish: Finish) -> &'static str {
    match finish {
        Finish::Stop => "stop",
        Finish::Length => "length",
        Finish::ToolCalls => "tool_calls",
    }
}

#[derive(Serialize)]
pub(crate) struct Completion<'a> {
    pub(crate) id: &'a str,
    pub(crate) object: &'static str,
    pub(crate) created: u64,
    pub(crate) model: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) provider: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) prompt_filter_results: Option<Value>,
    pub(crate) choices: Vec<Choice<'a>>,
    pub(crate) usage: UsageOut,
    pub(crate) service_tier: &'static str,
    pub(crate) system_fingerprint: &'static str,
}

#[derive(Serialize)]
pub(crate) struct Choice<'a> {
    pub(crate) index: u64,
    pub(crate) message: Message<'a>,
    pub(crate) logprobs: Option<Value>,
    pub(crate) finish_reason: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) native_finish_reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) content_filter_results: Option<Value>,
}

#[derive(Serialize)]
pub(crate) struct Message<'a> {
    pub(crate) role: &'static str,
    pub(crate) content: Option<&'a str>,
    pub(crate) refusal: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tool_calls: Option<Vec<ToolCall<'a>>>,
    pub(crate) annotations: [(); 0],
}

#[derive(Serialize)]
pub(crate) struct ToolCall<'a> {
    pub(crate) id: &'static str,
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) function: FunctionCall<'a>,
}

#[derive(Serialize)]
pub(crate) struct FunctionCall<'a> {
    pub(crate) name: &'a str,
    pub(crate) arguments: &'a str,
}

#[derive(Serialize)]
pub(crate) struct Chunk<'a> {
    pub(crate) id: &'a str,
    pub(crate) object: &'static str,
    pub(crate) created: u64,
    pub(crate) model: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) provider: Option<&'static str>,
    pub(crate) system_fingerprint: &'static str,
    /// `None` serializes as `null`: the vLLM usage-chunk quirk.
    pub(crate) choices: Option<Vec<ChunkChoice<'a>>>,
    /// Absent unless the client asked for usage; then `null` on every chunk but the usage chunk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) usage: Option<Option<UsageOut>>,
}

#[derive(Serialize)]
pub(crate) struct ChunkChoice<'a> {
    pub(crate) index: u64,
    pub(crate) delta: Delta<'a>,
    pub(crate) logprobs: Option<Value>,
    pub(crate) finish_reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) native_finish_reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) content_filter_results: Option<Value>,
}

#[derive(Serialize, Default)]
pub(crate) struct Delta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) role: Option<&'static str>,
    /// `Some(None)` serializes as `"content":null` (first chunk of a tool call).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) content: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) refusal: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tool_calls: Option<Vec<ToolCallDelta<'a>>>,
}

#[derive(Serialize)]
pub(crate) struct ToolCallDelta<'a> {
    pub(crate) index: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) id: Option<&'static str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub(crate) kind: Option<&'static str>,
    pub(crate) function: FunctionDelta<'a>,
}

#[derive(Serialize)]
pub(crate) struct FunctionDelta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<&'a str>,
    pub(crate) arguments: &'a str,
}

#[derive(Serialize)]
pub(crate) struct UsageOut {
    prompt_tokens: u64,
    completion_tokens: u64,
    total_tokens: u64,
    prompt_tokens_details: PromptDetails,
    completion_tokens_details: CompletionDetails,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_byok: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost_details: Option<CostDetails>,
}

#[derive(Serialize)]
struct PromptDetails {
    cached_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    cache_write_tokens: Option<u64>,
    audio_tokens: u64,
}

#[derive(Serialize)]
struct CompletionDetails {
    reasoning_tokens: u64,
    audio_tokens: u64,
    accepted_prediction_tokens: u64,
    rejected_prediction_tokens: u64,
}

#[derive(Serialize)]
struct CostDetails {
    upstream_inference_cost: Option<Box<RawValue>>,
    upstream_inference_prompt_cost: Option<Box<RawValue>>,
    upstream_inference_completions_cost: Option<Box<RawValue>>,
}

/// USD per prompt token, in micro-dollars, that the mock OpenRouter charges.
const PROMPT_MICRO_USD: u64 = 1;
/// USD per completion token, in micro-dollars.
const COMPLETION_MICRO_USD: u64 = 2;

impl UsageOut {
    pub(crate) fn new(usage: &Usage, dialect: Dialect) -> UsageOut {
        let openrouter = dialect == Dialect::OpenRouter;
        let prompt_cost = usage.prompt * PROMPT_MICRO_USD;
        let completion_cost = usage.completion() * COMPLETION_MICRO_USD;
        UsageOut {
            prompt_tokens: usage.prompt,
            completion_tokens: usage.completion(),
            total_tokens: usage.total(),
            prompt_tokens_details: PromptDetails {
                cached_tokens: usage.cached,
                cache_write_tokens: openrouter.then_some(usage.cache_write),
                audio_tokens: 0,
            },
            completion_tokens_details: CompletionDetails {
                reasoning_tokens: usage.reasoning,
                audio_tokens: 0,
                accepted_prediction_tokens: 0,
                rejected_prediction_tokens: 0,
            },
            cost: if openrouter {
                micro_usd(prompt_cost + completion_cost)
            } else {
                None
            },
            is_byok: openrouter.then_some(false),
            cost_details: openrouter.then(|| CostDetails {
                upstream_inference_cost: None,
                upstream_inference_prompt_cost: micro_usd(prompt_cost),
                upstream_inference_completions_cost: micro_usd(completion_cost),
            }),
        }
    }
}

/// A JSON number written from exact micro-dollars (`123` → `0.000123`), free of float noise.
pub(crate) fn micro_usd(micro: u64) -> Option<Box<RawValue>> {
    let (whole, frac) = (micro / 1_000_000, micro % 1_000_000);
    let text = if frac == 0 {
        whole.to_string()
    } else {
        let digits = format!("{frac:06}");
        format!("{whole}.{}", digits.trim_end_matches('0'))
    };
    RawValue::from_string(text).ok()
}

/// Azure's "nothing was filtered" annotation.
pub(crate) fn azure_filter_results() -> Value {
    let safe = json!({"filtered": false, "severity": "safe"});
    json!({"hate": safe, "self_harm": safe, "sexual": safe, "violence": safe})
}

/// Azure's prompt annotation, on the body and on the first stream chunk.
pub(crate) fn azure_prompt_filter_results() -> Value {
    json!([{"prompt_index": 0, "content_filter_results": azure_filter_results()}])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_has_no_float_noise() {
        let text = |m| micro_usd(m).map(|r| r.get().to_owned());
        assert_eq!(text(123).as_deref(), Some("0.000123"));
        assert_eq!(text(1_500_000).as_deref(), Some("1.5"));
        assert_eq!(text(0).as_deref(), Some("0"));
        assert_eq!(text(30).as_deref(), Some("0.00003"));
    }
}
