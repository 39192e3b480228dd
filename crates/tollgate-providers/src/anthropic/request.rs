//! Canonical request → Anthropic Messages request (providers.md §2.5).

use serde_json::{Map, Value};
use tollgate_types::{
    ChatRequest, ContentPart, GatewayError, ImageSource, Message, ResponseFormat, Role, ToolChoice,
};

use super::wire::{
    ImageSourceWire, MessagesRequest, Metadata, RequestBlock, Thinking, ToolChoiceWire,
    ToolDefinition, Turn,
};

/// Anthropic requires `max_tokens`; this is used when the caller gave none.
pub const DEFAULT_MAX_TOKENS: u32 = 4096;

/// The forced tool that emulates `response_format` (Anthropic has no JSON mode): its input is the
/// answer, returned to the caller as the message text.
pub const JSON_TOOL_NAME: &str = "json_response";

/// Builds the wire request for `model` (the upstream's own name).
pub fn build_request<'a>(
    request: &'a ChatRequest,
    model: &'a str,
    stream: bool,
) -> Result<MessagesRequest<'a>, GatewayError> {
    if request.n.is_some_and(|n| n > 1) {
        return Err(GatewayError::invalid_param(
            "n",
            "n > 1 is not supported by Anthropic models",
        ));
    }
    let json_schema = json_mode_schema(request);
    // A forced tool and extended thinking cannot be combined upstream; structured output wins,
    // because the caller's program parses it while reasoning is only informative.
    let thinking_budget = match json_schema {
        Some(_) => None,
        None => thinking_budget(request.reasoning_effort.as_deref())?,
    };
    let mut max_tokens = request.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS);
    if let Some(budget) = thinking_budget
        && max_tokens <= budget
    {
        // The budget must be below `max_tokens`; keep the caller's limit for the visible answer
        // on top of the thinking budget rather than starving the answer.
        max_tokens = budget.saturating_add(max_tokens);
    }

    let mut tools: Vec<ToolDefinition<'a>> = request
        .tools
        .iter()
        .map(|tool| ToolDefinition {
            name: &tool.name,
            description: tool.description.as_deref(),
            input_schema: input_schema(&tool.parameters),
        })
        .collect();
    let tool_choice = match json_schema {
        Some(schema) => {
            tools.push(ToolDefinition {
                name: JSON_TOOL_NAME,
                description: Some("Respond with a JSON object that matches this schema."),
                input_schema: schema,
            });
            Some(ToolChoiceWire {
                kind: "tool",
                name: Some(JSON_TOOL_NAME),
                disable_parallel_tool_use: true,
            })
        }
        None if tools.is_empty() => None,
        None => tool_choice(request.tool_choice.as_ref(), request.parallel_tool_calls),
    };

    // Extended thinking rejects sampling parameters other than the defaults.
    let sampling_allowed = thinking_budget.is_none();
    Ok(MessagesRequest {
        model,
        max_tokens,
        messages: turns(&request.messages)?,
        system: system_prompt(&request.messages),
        stop_sequences: &request.stop,
        temperature: request
            .temperature
            .filter(|_| sampling_allowed)
            .map(|t| t.min(1.0)),
        top_p: request.top_p.filter(|_| sampling_allowed),
        top_k: request.top_k.filter(|_| sampling_allowed),
        metadata: request.user.as_deref().map(|user_id| Metadata { user_id }),
        tools,
        tool_choice,
        thinking: thinking_budget.map(|budget_tokens| Thinking {
            kind: "enabled",
            budget_tokens,
        }),
        stream,
    })
}

/// The schema of the emulated JSON answer, when the caller asked for one.
pub fn json_mode_schema(request: &ChatRequest) -> Option<Value> {
    match &request.response_format {
        Some(ResponseFormat::JsonSchema { schema, .. }) => Some(schema.clone()),
        Some(ResponseFormat::JsonObject) => Some(object_schema()),
        Some(ResponseFormat::Text) | None => None,
    }
}

fn object_schema() -> Value {
    let mut schema = Map::new();
    schema.insert("type".into(), Value::String("object".into()));
    Value::Object(schema)
}

/// Anthropic requires an object schema; OpenAI allows a tool without parameters.
fn input_schema(parameters: &Value) -> Value {
    match parameters {
        Value::Null => object_schema(),
        other => other.clone(),
    }
}

fn thinking_budget(effort: Option<&str>) -> Result<Option<u32>, GatewayError> {
    match effort {
        None | Some("none") => Ok(None),
        Some("minimal" | "low") => Ok(Some(1024)),
        Some("medium") => Ok(Some(4096)),
        Some("high") => Ok(Some(16384)),
        Some(other) => Err(GatewayError::invalid_param(
            "reasoning_effort",
            format!("Unknown reasoning_effort `{other}`: use low, medium or high."),
        )),
    }
}

fn tool_choice(
    choice: Option<&ToolChoice>,
    parallel_tool_calls: Option<bool>,
) -> Option<ToolChoiceWire<'_>> {
    let disable_parallel = parallel_tool_calls == Some(false);
    let (kind, name) = match choice {
        Some(ToolChoice::None) => {
            // `disable_parallel_tool_use` is not allowed beside `none`.
            return Some(ToolChoiceWire {
                kind: "none",
                name: None,
                disable_parallel_tool_use: false,
            });
        }
        None if !disable_parallel => return None,
        None | Some(ToolChoice::Auto) => ("auto", None),
        Some(ToolChoice::Required) => ("any", None),
        Some(ToolChoice::Named(name)) => ("tool", Some(name.as_str())),
    };
    Some(ToolChoiceWire {
        kind,
        name,
        disable_parallel_tool_use: disable_parallel,
    })
}

/// System and developer messages, wherever they stand, joined in order.
fn system_prompt(messages: &[Message]) -> Option<String> {
    let parts: Vec<String> = messages
        .iter()
        .filter(|m| m.role == Role::System)
        .map(Message::joined_text)
        .filter(|text| !text.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join("\n\n"))
}

/// The user/assistant turns. Tool results become `tool_result` blocks of a user turn, and
/// consecutive turns of one role are merged, because Anthropic wants strictly alternating roles
/// with tool results in the user turn right after the `tool_use`.
fn turns(messages: &[Message]) -> Result<Vec<Turn<'_>>, GatewayError> {
    let mut turns: Vec<Turn<'_>> = Vec::new();
    for (position, message) in messages.iter().enumerate() {
        let (role, blocks) = match message.role {
            Role::System => continue,
            Role::User => ("user", content_blocks(&message.content)),
            Role::Assistant => ("assistant", assistant_blocks(message, position)?),
            Role::Tool => ("user", vec![tool_result_block(message, position)?]),
        };
        if blocks.is_empty() {
            // Anthropic rejects empty turns (e.g. an assistant `content: ""`); nothing is lost.
            continue;
        }
        match turns.last_mut() {
            Some(last) if last.role == role => last.content.extend(blocks),
            _ => turns.push(Turn {
                role,
                content: blocks,
            }),
        }
    }
    Ok(turns)
}

/// Text and image blocks; empty text is skipped because Anthropic rejects empty text blocks.
fn content_blocks(parts: &[ContentPart]) -> Vec<RequestBlock<'_>> {
    parts
        .iter()
        .filter_map(|part| match part {
            ContentPart::Text { text } if text.is_empty() => None,
            ContentPart::Text { text } => Some(RequestBlock::Text { text }),
            ContentPart::Image { source, .. } => Some(RequestBlock::Image {
                source: match source {
                    ImageSource::Url(url) => ImageSourceWire::Url { url },
                    ImageSource::Base64 { media_type, data } => {
                        ImageSourceWire::Base64 { media_type, data }
                    }
                },
            }),
        })
        .collect()
}

fn assistant_blocks(
    message: &Message,
    position: usize,
) -> Result<Vec<RequestBlock<'_>>, GatewayError> {
    let mut blocks = content_blocks(&message.content);
    for (call_index, call) in message.tool_calls.iter().enumerate() {
        blocks.push(RequestBlock::ToolUse {
            id: &call.id,
            name: &call.name,
            input: tool_input(&call.arguments, position, call_index)?,
        });
    }
    Ok(blocks)
}

/// Anthropic takes the arguments as an object, OpenAI as JSON text.
fn tool_input(arguments: &str, position: usize, call_index: usize) -> Result<Value, GatewayError> {
    let param = format!("messages[{position}].tool_calls[{call_index}].function.arguments");
    if arguments.trim().is_empty() {
        return Ok(empty_object());
    }
    match serde_json::from_str::<Value>(arguments) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err(GatewayError::invalid_param(
            param.clone(),
            format!("`{param}` must be a JSON object."),
        )),
        Err(error) => Err(GatewayError::invalid_param(
            param.clone(),
            format!("`{param}` is not valid JSON: {error}"),
        )),
    }
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

fn tool_result_block(message: &Message, position: usize) -> Result<RequestBlock<'_>, GatewayError> {
    let Some(tool_use_id) = message.tool_call_id.as_deref() else {
        let param = format!("messages[{position}].tool_call_id");
        return Err(GatewayError::invalid_param(
            param.clone(),
            format!("`{param}` is required for a tool message."),
        ));
    };
    Ok(RequestBlock::ToolResult {
        tool_use_id,
        content: content_blocks(&message.content),
        is_error: message.is_error,
    })
}
