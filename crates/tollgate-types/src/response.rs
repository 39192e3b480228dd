//! The canonical (non-streamed) chat response.

use bytes::Bytes;

use crate::chat::{Dialect, ToolCall};
use crate::money::NanoUsd;
use crate::usage::Usage;

#[derive(Debug, Clone, PartialEq)]
pub struct ChatResponse {
    /// The upstream's response id (kept so callers can correlate with the provider's logs).
    pub id: String,
    /// The model the upstream says answered.
    pub model: String,
    /// Unix seconds.
    pub created: u64,
    pub choices: Vec<Choice>,
    pub usage: Usage,
    /// What the provider said this call cost, when it says (OpenRouter `usage.cost`, a cost header).
    pub provider_cost: Option<NanoUsd>,
    pub system_fingerprint: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub index: u32,
    pub message: AssistantMessage,
    pub finish_reason: FinishReason,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssistantMessage {
    pub content: Option<String>,
    pub tool_calls: Vec<ToolCall>,
    /// Visible reasoning text when the upstream exposes it (`reasoning_content`, thinking blocks).
    pub reasoning: Option<String>,
    pub refusal: Option<String>,
}

/// Why generation stopped, in OpenAI's vocabulary (the hub's), with the upstream's own word kept
/// where the mapping loses information.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum FinishReason {
    #[default]
    Stop,
    /// A stop sequence matched; Anthropic reports which.
    StopSequence(Option<String>),
    Length,
    ToolCalls,
    ContentFilter,
    /// Anything else the upstream reported, lower-cased.
    Other(String),
}

impl FinishReason {
    pub fn openai_str(&self) -> &str {
        match self {
            FinishReason::Stop | FinishReason::StopSequence(_) => "stop",
            FinishReason::Length => "length",
            FinishReason::ToolCalls => "tool_calls",
            FinishReason::ContentFilter => "content_filter",
            FinishReason::Other(other) => other,
        }
    }

    pub fn anthropic_str(&self) -> &'static str {
        match self {
            FinishReason::Stop | FinishReason::Other(_) => "end_turn",
            FinishReason::StopSequence(_) => "stop_sequence",
            FinishReason::Length => "max_tokens",
            FinishReason::ToolCalls => "tool_use",
            FinishReason::ContentFilter => "refusal",
        }
    }

    pub fn from_openai(reason: &str) -> FinishReason {
        match reason {
            "stop" => FinishReason::Stop,
            "length" => FinishReason::Length,
            "tool_calls" | "function_call" => FinishReason::ToolCalls,
            "content_filter" => FinishReason::ContentFilter,
            other => FinishReason::Other(other.to_ascii_lowercase()),
        }
    }
}

/// A non-streamed answer that is already in the caller's dialect (same-dialect passthrough):
/// the body is forwarded as the upstream sent it, and only usage and cost were parsed out of it.
#[derive(Debug, Clone, PartialEq)]
pub struct NativeReply {
    pub dialect: Dialect,
    pub body: Bytes,
    pub usage: Usage,
    pub provider_cost: Option<NanoUsd>,
}
