//! Canonical response → Anthropic message JSON (what `POST /v1/messages` answers).

use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use tollgate_types::{ChatResponse, Choice, Cost, FinishReason, Usage};

pub fn render_chat_response(response: &ChatResponse, cost: Option<&Cost>) -> Bytes {
    let choice = response.choices.first();
    let body = MessageBody {
        id: message_id(&response.id),
        kind: "message",
        role: "assistant",
        model: &response.model,
        content: choice.map(content_blocks).unwrap_or_default(),
        stop_reason: choice
            .map(|choice| choice.finish_reason.anthropic_str())
            .unwrap_or("end_turn"),
        stop_sequence: choice.and_then(|choice| stop_sequence(&choice.finish_reason)),
        usage: UsageBody::new(&response.usage, cost),
    };
    to_json_bytes(&body)
}

/// Keeps the upstream's id so callers can correlate with the provider's logs, in the `msg_` form
/// Anthropic clients expect.
pub(super) fn message_id(id: &str) -> String {
    if id.starts_with("msg_") {
        id.to_string()
    } else {
        format!("msg_{id}")
    }
}

pub(super) fn stop_sequence(reason: &FinishReason) -> Option<&str> {
    match reason {
        FinishReason::StopSequence(sequence) => sequence.as_deref(),
        _ => None,
    }
}

fn content_blocks(choice: &Choice) -> Vec<Block<'_>> {
    let message = &choice.message;
    let mut blocks = Vec::new();
    if let Some(reasoning) = message.reasoning.as_deref().filter(|text| !text.is_empty()) {
        blocks.push(Block::Thinking {
            thinking: reasoning,
            // Only Anthropic can sign reasoning; an empty signature says there is none to verify.
            signature: "",
        });
    }
    let text = message
        .content
        .as_deref()
        .or(message.refusal.as_deref())
        .filter(|text| !text.is_empty());
    if let Some(text) = text {
        blocks.push(Block::Text { text });
    }
    for call in &message.tool_calls {
        // An upstream that produced unparseable arguments still produced the call; `{}` keeps the
        // answer valid for Anthropic clients, which require an object.
        let input = match serde_json::from_str::<Value>(&call.arguments) {
            Ok(value @ Value::Object(_)) => value,
            _ => Value::Object(serde_json::Map::new()),
        };
        blocks.push(Block::ToolUse {
            id: &call.id,
            name: &call.name,
            input,
        });
    }
    blocks
}

#[derive(Serialize)]
struct MessageBody<'a> {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    role: &'static str,
    model: &'a str,
    content: Vec<Block<'a>>,
    stop_reason: &'static str,
    stop_sequence: Option<&'a str>,
    usage: UsageBody,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Block<'a> {
    Thinking {
        thinking: &'a str,
        signature: &'static str,
    },
    Text {
        text: &'a str,
    },
    ToolUse {
        id: &'a str,
        name: &'a str,
        input: Value,
    },
}

/// Anthropic's usage shape (`input_tokens` is the uncached part only) plus Tollgate's cost.
#[derive(Serialize)]
pub(super) struct UsageBody {
    input_tokens: u64,
    output_tokens: u64,
    cache_read_input_tokens: u64,
    cache_creation_input_tokens: u64,
    /// A JSON number written from the exact decimal, never through `f64`.
    #[serde(skip_serializing_if = "Option::is_none")]
    cost: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost_source: Option<&'static str>,
}

impl UsageBody {
    pub(super) fn new(usage: &Usage, cost: Option<&Cost>) -> Self {
        UsageBody {
            input_tokens: usage.uncached_input_tokens(),
            output_tokens: usage.output_tokens,
            cache_read_input_tokens: usage.cached_input_tokens,
            cache_creation_input_tokens: usage.cache_write_tokens,
            cost: cost.and_then(|cost| RawValue::from_string(cost.usd.to_json_number()).ok()),
            cost_source: cost.map(|cost| cost.source.as_str()),
        }
    }
}

/// Serializes a body of plain structs (cannot fail: every map key is a string).
pub(super) fn to_json_bytes(value: &impl Serialize) -> Bytes {
    match serde_json::to_vec(value) {
        Ok(bytes) => Bytes::from(bytes),
        Err(error) => {
            tracing::error!(%error, "could not encode an anthropic answer");
            Bytes::from_static(br#"{"type":"error","error":{"type":"api_error","message":"Internal error in the gateway."}}"#)
        }
    }
}
