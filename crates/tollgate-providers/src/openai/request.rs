//! Canonical request → OpenAI request body, and the same-dialect passthrough body.

use std::borrow::Cow;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};
use tollgate_types::{
    ChatRequest, ContentPart, GatewayError, ImageSource, Message, ResponseFormat, Role, ToolChoice,
};

use super::wire::{
    ChatBody, ContentOut, FunctionCallOut, FunctionOut, ImageUrlOut, JsonSchemaOut, MessageOut,
    NamedFunctionOut, PartOut, ResponseFormatOut, StreamOptionsOut, ToolCallOut, ToolChoiceOut,
    ToolOut, UsageAccountingOut,
};

/// What differs between the servers this adapter speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WireOptions {
    /// OpenAI itself and Azure want `max_completion_tokens` (reasoning models reject
    /// `max_tokens`); third-party servers reject or ignore the newer name.
    pub max_completion_tokens: bool,
    /// Azure names the model by the deployment in the URL.
    pub omit_model: bool,
    /// OpenRouter: ask for usage accounting (adds `usage.cost`), and it understands `top_k`.
    pub openrouter: bool,
}

/// The body for a caller that spoke another dialect.
pub(crate) fn chat_body(
    request: &ChatRequest,
    upstream_model: &str,
    options: WireOptions,
    stream: bool,
) -> Result<Vec<u8>, GatewayError> {
    let (max_tokens, max_completion_tokens) = if options.max_completion_tokens {
        (None, request.max_tokens)
    } else {
        (request.max_tokens, None)
    };
    let body = ChatBody {
        model: (!options.omit_model).then_some(upstream_model),
        messages: request.messages.iter().map(message_out).collect(),
        tools: request
            .tools
            .iter()
            .map(|tool| ToolOut {
                kind: "function",
                function: FunctionOut {
                    name: &tool.name,
                    description: tool.description.as_deref(),
                    parameters: &tool.parameters,
                    strict: tool.strict,
                },
            })
            .collect(),
        tool_choice: request.tool_choice.as_ref().map(tool_choice_out),
        parallel_tool_calls: request.parallel_tool_calls,
        response_format: request.response_format.as_ref().map(response_format_out),
        temperature: request.temperature,
        top_p: request.top_p,
        top_k: request.top_k.filter(|_| options.openrouter),
        max_tokens,
        max_completion_tokens,
        stop: &request.stop,
        n: request.n,
        seed: request.seed,
        presence_penalty: request.presence_penalty,
        frequency_penalty: request.frequency_penalty,
        user: request.user.as_deref(),
        reasoning_effort: request.reasoning_effort.as_deref(),
        stream: stream.then_some(true),
        // Billing needs usage, whatever the caller asked for.
        stream_options: stream.then_some(StreamOptionsOut {
            include_usage: true,
        }),
        usage: options
            .openrouter
            .then_some(UsageAccountingOut { include: true }),
    };
    to_json(&body)
}

fn message_out(message: &Message) -> MessageOut<'_> {
    MessageOut {
        role: message.role.as_str(),
        content: content_out(message),
        tool_calls: message
            .tool_calls
            .iter()
            .map(|call| ToolCallOut {
                id: &call.id,
                kind: "function",
                function: FunctionCallOut {
                    name: &call.name,
                    arguments: &call.arguments,
                },
            })
            .collect(),
        tool_call_id: match message.role {
            Role::Tool => message.tool_call_id.as_deref(),
            _ => None,
        },
    }
}

/// A plain string wherever possible, because many compatible servers accept arrays of parts only
/// for user turns; an array when there are images, or several parts of a user turn.
fn content_out(message: &Message) -> Option<ContentOut<'_>> {
    let has_image = message
        .content
        .iter()
        .any(|part| matches!(part, ContentPart::Image { .. }));
    if has_image || (message.role == Role::User && message.content.len() > 1) {
        return Some(ContentOut::Parts(
            message.content.iter().map(part_out).collect(),
        ));
    }
    match message.content.as_slice() {
        [] if message.role == Role::Assistant && !message.tool_calls.is_empty() => None,
        [] => Some(ContentOut::Text(Cow::Borrowed(""))),
        [ContentPart::Text { text }] => Some(ContentOut::Text(Cow::Borrowed(text))),
        parts => {
            let texts: Vec<&str> = parts
                .iter()
                .filter_map(|part| match part {
                    ContentPart::Text { text } => Some(text.as_str()),
                    ContentPart::Image { .. } => None,
                })
                .collect();
            Some(ContentOut::Text(Cow::Owned(texts.join("\n"))))
        }
    }
}

fn part_out(part: &ContentPart) -> PartOut<'_> {
    match part {
        ContentPart::Text { text } => PartOut::Text { text },
        ContentPart::Image { source, detail } => PartOut::ImageUrl {
            image_url: ImageUrlOut {
                url: match source {
                    ImageSource::Url(url) => Cow::Borrowed(url),
                    inline @ ImageSource::Base64 { .. } => Cow::Owned(inline.to_url()),
                },
                detail: detail.as_deref(),
            },
        },
    }
}

fn tool_choice_out(choice: &ToolChoice) -> ToolChoiceOut<'_> {
    match choice {
        ToolChoice::Auto => ToolChoiceOut::Mode("auto"),
        ToolChoice::None => ToolChoiceOut::Mode("none"),
        ToolChoice::Required => ToolChoiceOut::Mode("required"),
        ToolChoice::Named(name) => ToolChoiceOut::Named {
            kind: "function",
            function: NamedFunctionOut { name },
        },
    }
}

fn response_format_out(format: &ResponseFormat) -> ResponseFormatOut<'_> {
    match format {
        ResponseFormat::Text => ResponseFormatOut::Text,
        ResponseFormat::JsonObject => ResponseFormatOut::JsonObject,
        ResponseFormat::JsonSchema {
            name,
            schema,
            strict,
        } => ResponseFormatOut::JsonSchema {
            json_schema: JsonSchemaOut {
                name,
                schema,
                strict: *strict,
            },
        },
    }
}

/// The caller's own body, re-serialised with only what Tollgate must change: the upstream's
/// model name, `stream` and `stream_options.include_usage` for streams (billing needs usage),
/// OpenRouter's usage accounting. Written straight from the borrowed map, so the caller's
/// messages are never copied.
pub(crate) fn passthrough_body(
    body: &Map<String, Value>,
    upstream_model: &str,
    options: WireOptions,
    stream: bool,
) -> Result<Vec<u8>, GatewayError> {
    to_json(&PassthroughOut {
        body,
        model: upstream_model,
        stream,
        openrouter: options.openrouter,
    })
}

struct PassthroughOut<'a> {
    body: &'a Map<String, Value>,
    model: &'a str,
    stream: bool,
    openrouter: bool,
}

impl Serialize for PassthroughOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("model", self.model)?;
        for (key, value) in self.body {
            let rewritten = match key.as_str() {
                "model" | "stream" | "stream_options" => true,
                "usage" => self.openrouter,
                _ => false,
            };
            if !rewritten {
                map.serialize_entry(key, value)?;
            }
        }
        if self.stream {
            map.serialize_entry("stream", &true)?;
            let options = with_true_flag(self.body.get("stream_options"), "include_usage");
            map.serialize_entry("stream_options", &options)?;
        }
        if self.openrouter {
            map.serialize_entry("usage", &with_true_flag(self.body.get("usage"), "include"))?;
        }
        map.end()
    }
}

/// The caller's options object (kept: it may hold other vendor flags) with `flag` forced on.
fn with_true_flag(original: Option<&Value>, flag: &str) -> Map<String, Value> {
    let mut options = match original {
        Some(Value::Object(object)) => object.clone(),
        _ => Map::new(),
    };
    options.insert(flag.to_string(), Value::Bool(true));
    options
}

fn to_json(body: &impl Serialize) -> Result<Vec<u8>, GatewayError> {
    serde_json::to_vec(body).map_err(|error| {
        tracing::error!(%error, "could not serialise an upstream request");
        GatewayError::internal()
    })
}
