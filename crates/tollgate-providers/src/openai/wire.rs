//! OpenAI Chat Completions wire structs.
//!
//! Outgoing structs borrow from the canonical request (no copies of message text); incoming structs
//! are lenient where real servers differ (`choices: null`, missing detail objects, token counts
//! written as floats, content as an array of parts), because one adapter serves every
//! OpenAI-compatible server.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

// ---------------------------------------------------------------------------------------------
// Outgoing: the request body.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
pub(crate) struct ChatBody<'a> {
    /// Omitted for Azure, whose deployment in the URL names the model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<&'a str>,
    pub messages: Vec<MessageOut<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoiceOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormatOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u32>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub stop: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptionsOut>,
    /// OpenRouter's usage accounting switch (`{"include":true}`), which adds `usage.cost`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<UsageAccountingOut>,
}

#[derive(Debug, Serialize)]
pub(crate) struct StreamOptionsOut {
    pub include_usage: bool,
}

#[derive(Debug, Serialize)]
pub(crate) struct UsageAccountingOut {
    pub include: bool,
}

#[derive(Debug, Serialize)]
pub(crate) struct MessageOut<'a> {
    pub role: &'static str,
    /// `null` only for an assistant turn that carries tool calls and no text.
    pub content: Option<ContentOut<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCallOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<&'a str>,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum ContentOut<'a> {
    Text(Cow<'a, str>),
    Parts(Vec<PartOut<'a>>),
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum PartOut<'a> {
    Text { text: &'a str },
    ImageUrl { image_url: ImageUrlOut<'a> },
}

#[derive(Debug, Serialize)]
pub(crate) struct ImageUrlOut<'a> {
    pub url: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ToolCallOut<'a> {
    pub id: &'a str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub function: FunctionCallOut<'a>,
}

#[derive(Debug, Serialize)]
pub(crate) struct FunctionCallOut<'a> {
    pub name: &'a str,
    /// JSON text, as OpenAI wants it (a string, not an object).
    pub arguments: &'a str,
}

#[derive(Debug, Serialize)]
pub(crate) struct ToolOut<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub function: FunctionOut<'a>,
}

#[derive(Debug, Serialize)]
pub(crate) struct FunctionOut<'a> {
    pub name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    pub parameters: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum ToolChoiceOut<'a> {
    Mode(&'static str),
    Named {
        #[serde(rename = "type")]
        kind: &'static str,
        function: NamedFunctionOut<'a>,
    },
}

#[derive(Debug, Serialize)]
pub(crate) struct NamedFunctionOut<'a> {
    pub name: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum ResponseFormatOut<'a> {
    Text,
    JsonObject,
    JsonSchema { json_schema: JsonSchemaOut<'a> },
}

#[derive(Debug, Serialize)]
pub(crate) struct JsonSchemaOut<'a> {
    pub name: &'a str,
    pub schema: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

// ---------------------------------------------------------------------------------------------
// Incoming: responses, stream chunks, usage.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub(crate) struct CompletionIn {
    pub id: Option<String>,
    pub model: Option<String>,
    #[serde(default, deserialize_with = "lenient_count")]
    pub created: u64,
    #[serde(default, deserialize_with = "null_as_default")]
    pub choices: Vec<ChoiceIn>,
    pub usage: Option<UsageIn>,
    pub system_fingerprint: Option<String>,
    /// Some servers answer 200 with an error object instead of a completion.
    pub error: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ChoiceIn {
    pub index: Option<u32>,
    pub message: Option<MessageIn>,
    pub finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct MessageIn {
    #[serde(default, deserialize_with = "text_or_parts")]
    pub content: Option<String>,
    /// DeepSeek, xAI, vLLM.
    pub reasoning_content: Option<String>,
    /// OpenRouter's name for the same thing.
    pub reasoning: Option<String>,
    pub refusal: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub tool_calls: Vec<ToolCallIn>,
    /// Legacy single function call.
    pub function_call: Option<FunctionIn>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ToolCallIn {
    pub id: Option<String>,
    pub function: Option<FunctionIn>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct FunctionIn {
    pub name: Option<String>,
    pub arguments: Option<Box<RawValue>>,
}

/// One streamed `chat.completion.chunk`.
#[derive(Debug, Deserialize)]
pub(crate) struct ChunkIn {
    pub id: Option<String>,
    pub model: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub choices: Vec<ChunkChoiceIn>,
    pub usage: Option<UsageIn>,
    /// Older Groq streams put usage here on the last chunk.
    pub x_groq: Option<GroqExtrasIn>,
    pub error: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct GroqExtrasIn {
    pub usage: Option<UsageIn>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ChunkChoiceIn {
    pub index: Option<u32>,
    pub delta: Option<DeltaIn>,
    pub finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DeltaIn {
    #[serde(default, deserialize_with = "text_or_parts")]
    pub content: Option<String>,
    pub reasoning_content: Option<String>,
    pub reasoning: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub tool_calls: Vec<ToolCallDeltaIn>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ToolCallDeltaIn {
    pub index: Option<u32>,
    pub id: Option<String>,
    pub function: Option<FunctionIn>,
}

/// The fields of a chunk the passthrough path needs, everything else skipped unparsed into
/// values (serde still validates it, but builds nothing).
#[derive(Debug, Deserialize)]
pub(crate) struct ChunkProbeIn {
    pub id: Option<String>,
    pub model: Option<String>,
    pub choices: Option<Vec<ChoiceProbeIn>>,
    pub usage: Option<UsageIn>,
    pub x_groq: Option<GroqExtrasIn>,
    pub error: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ChoiceProbeIn {
    pub index: Option<u32>,
    pub finish_reason: Option<String>,
}

/// The fields of a non-streamed completion the passthrough path needs.
#[derive(Debug, Deserialize)]
pub(crate) struct CompletionProbeIn {
    pub choices: Option<IgnoredAny>,
    pub usage: Option<UsageIn>,
    pub error: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct UsageIn {
    #[serde(default, deserialize_with = "lenient_count")]
    pub prompt_tokens: u64,
    #[serde(default, deserialize_with = "lenient_count")]
    pub completion_tokens: u64,
    pub prompt_tokens_details: Option<PromptDetailsIn>,
    pub completion_tokens_details: Option<CompletionDetailsIn>,
    /// DeepSeek reports cache hits beside the details object.
    #[serde(default, deserialize_with = "lenient_count")]
    pub prompt_cache_hit_tokens: u64,
    /// OpenRouter's charge in USD, kept as the exact JSON text (never through `f64`).
    pub cost: Option<Box<RawValue>>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct PromptDetailsIn {
    #[serde(default, deserialize_with = "lenient_count")]
    pub cached_tokens: u64,
    /// OpenRouter.
    #[serde(default, deserialize_with = "lenient_count")]
    pub cache_write_tokens: u64,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct CompletionDetailsIn {
    #[serde(default, deserialize_with = "lenient_count")]
    pub reasoning_tokens: u64,
}

#[derive(Debug, Deserialize)]
pub(crate) struct EmbeddingsIn {
    #[serde(default, deserialize_with = "null_as_default")]
    pub data: Vec<EmbeddingIn>,
    pub model: Option<String>,
    pub usage: Option<UsageIn>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct EmbeddingIn {
    pub index: Option<usize>,
    pub embedding: EmbeddingVectorIn,
}

/// Floats as asked, or base64 from a server that ignored `encoding_format`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum EmbeddingVectorIn {
    Floats(Vec<f32>),
    Base64(String),
}

// ---------------------------------------------------------------------------------------------
// Lenient field readers.
// ---------------------------------------------------------------------------------------------

/// `null` reads as the type's default (`"choices": null` from vLLM, `"tool_calls": null`).
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A token count: an integer, a float some servers write (`12.0`), or `null`; never fails on a
/// strange value, because a billing field must not make a good answer unreadable.
fn lenient_count<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    struct CountVisitor;
    impl<'de> Visitor<'de> for CountVisitor {
        type Value = u64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a token count")
        }
        fn visit_u64<E>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }
        fn visit_i64<E>(self, v: i64) -> Result<u64, E> {
            Ok(u64::try_from(v).unwrap_or(0))
        }
        fn visit_f64<E>(self, v: f64) -> Result<u64, E> {
            // `as` saturates and maps NaN to 0, which is what a count wants.
            Ok(if v.is_finite() && v > 0.0 {
                v as u64
            } else {
                0
            })
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
            Ok(v.trim().parse().unwrap_or(0))
        }
        fn visit_unit<E>(self) -> Result<u64, E> {
            Ok(0)
        }
        fn visit_none<E>(self) -> Result<u64, E> {
            Ok(0)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<u64, D::Error> {
            d.deserialize_any(CountVisitor)
        }
        fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<u64, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(0)
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(0)
        }
        fn visit_bool<E>(self, _: bool) -> Result<u64, E> {
            Ok(0)
        }
    }
    deserializer.deserialize_any(CountVisitor)
}

/// Message content: a string, or an array of parts whose text is joined (Mistral's chunked
/// content); `null` is `None`.
fn text_or_parts<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    struct PartIn {
        #[serde(rename = "type")]
        kind: Option<String>,
        text: Option<String>,
    }
    struct ContentVisitor;
    impl<'de> Visitor<'de> for ContentVisitor {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string, an array of content parts or null")
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(ContentVisitor)
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut text = String::new();
            while let Some(part) = seq.next_element::<PartIn>()? {
                // Thinking and other non-text parts are not the answer's text.
                if matches!(part.kind.as_deref(), None | Some("text"))
                    && let Some(piece) = part.text
                {
                    text.push_str(&piece);
                }
            }
            Ok(Some(text))
        }
    }
    deserializer.deserialize_any(ContentVisitor)
}

/// The text of a function's arguments: normally a JSON string holding JSON; some servers send the
/// object itself, which is kept as its JSON text.
pub(crate) fn arguments_text(raw: Option<&RawValue>) -> String {
    let Some(raw) = raw else {
        return String::new();
    };
    let text = raw.get();
    if text.starts_with('"') {
        serde_json::from_str::<String>(text).unwrap_or_default()
    } else if text == "null" {
        String::new()
    } else {
        text.to_string()
    }
}
