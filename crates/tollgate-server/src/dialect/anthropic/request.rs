//! `POST /v1/messages` body → canonical [`ChatRequest`]. Validates everything the hub relies on;
//! unknown top-level fields are allowed (they survive in the passthrough body for an Anthropic
//! upstream).

use serde_json::Value;
use tollgate_types::{
    ChatRequest, ContentPart, Dialect, GatewayError, Message, PassthroughBody, Role, Tool,
    ToolChoice,
};

use super::fields::{
    Object, as_array, as_bool, as_number_in, as_object, as_str, as_u32_at_least, invalid, join,
    optional, optional_str, required, required_str,
};
use super::messages::parse_messages;

pub fn parse_chat_request(body: &[u8]) -> Result<ChatRequest, GatewayError> {
    let value: Value = serde_json::from_slice(body).map_err(|error| {
        GatewayError::invalid_request(format!("The request body is not valid JSON: {error}"))
    })?;
    let Value::Object(body) = value else {
        return Err(GatewayError::invalid_request(
            "The request body must be a JSON object.",
        ));
    };

    let model = required_str(&body, "model", "model")?;
    if model.is_empty() {
        return Err(invalid("model", "String should have at least 1 character"));
    }
    let max_tokens = as_u32_at_least(
        required(&body, "max_tokens", "max_tokens")?,
        "max_tokens",
        1,
    )?;

    let mut messages = system_messages(&body)?;
    messages.extend(parse_messages(required(&body, "messages", "messages")?)?);

    let (tool_choice, parallel_tool_calls) = tool_choice(&body)?;
    let stream = optional(&body, "stream")
        .map(|value| as_bool(value, "stream"))
        .transpose()?
        .unwrap_or(false);

    let mut request = ChatRequest {
        model: model.to_string(),
        messages,
        tools: tools(&body)?,
        tool_choice,
        parallel_tool_calls,
        temperature: optional(&body, "temperature")
            .map(|value| as_number_in(value, "temperature", 0.0, 1.0))
            .transpose()?,
        top_p: optional(&body, "top_p")
            .map(|value| as_number_in(value, "top_p", 0.0, 1.0))
            .transpose()?,
        top_k: optional(&body, "top_k")
            .map(|value| as_u32_at_least(value, "top_k", 0))
            .transpose()?,
        max_tokens: Some(max_tokens),
        stop: stop_sequences(&body)?,
        user: user_id(&body)?,
        reasoning_effort: reasoning_effort(&body)?,
        stream,
        // Anthropic streams always carry usage.
        include_usage: true,
        ..ChatRequest::default()
    };
    request.passthrough = Some(PassthroughBody {
        dialect: Dialect::Anthropic,
        body,
    });
    Ok(request)
}

/// `system`: a string or an array of text blocks (which may carry `cache_control`), as one
/// leading system message.
fn system_messages(body: &Object) -> Result<Vec<Message>, GatewayError> {
    let Some(system) = optional(body, "system") else {
        return Ok(Vec::new());
    };
    let mut parts = Vec::new();
    match system {
        Value::String(text) => parts.push(text.as_str()),
        Value::Array(blocks) => {
            for (index, block) in blocks.iter().enumerate() {
                let path = join("system", index);
                let block = as_object(block, &path)?;
                let kind = required_str(block, "type", &join(&path, "type"))?;
                if kind != "text" {
                    return Err(invalid(
                        &join(&path, "type"),
                        "system blocks must be of type `text`",
                    ));
                }
                parts.push(required_str(block, "text", &join(&path, "text"))?);
            }
        }
        _ => {
            return Err(invalid(
                "system",
                "Input should be a string or a list of text blocks",
            ));
        }
    }
    let content: Vec<ContentPart> = parts
        .into_iter()
        .filter(|text| !text.is_empty())
        .map(|text| ContentPart::Text {
            text: text.to_string(),
        })
        .collect();
    Ok(if content.is_empty() {
        Vec::new()
    } else {
        vec![Message {
            content,
            ..Message::text(Role::System, "")
        }]
    })
}

fn tools(body: &Object) -> Result<Vec<Tool>, GatewayError> {
    let Some(tools) = optional(body, "tools") else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (index, tool) in as_array(tools, "tools")?.iter().enumerate() {
        let path = join("tools", index);
        let tool = as_object(tool, &path)?;
        let type_path = join(&path, "type");
        if let Some(kind) = optional_str(tool, "type", &type_path)?
            && kind != "custom"
        {
            return Err(invalid(
                &type_path,
                format!("server tool `{kind}` is not supported by this gateway"),
            ));
        }
        let name_path = join(&path, "name");
        let name = required_str(tool, "name", &name_path)?;
        if name.is_empty() {
            return Err(invalid(
                &name_path,
                "String should have at least 1 character",
            ));
        }
        let schema_path = join(&path, "input_schema");
        let schema = required(tool, "input_schema", &schema_path)?;
        as_object(schema, &schema_path)?;
        out.push(Tool {
            name: name.to_string(),
            description: optional_str(tool, "description", &join(&path, "description"))?
                .map(str::to_string),
            parameters: schema.clone(),
            strict: None,
        });
    }
    Ok(out)
}

/// `tool_choice` and its `disable_parallel_tool_use` (OpenAI's `parallel_tool_calls: false`).
fn tool_choice(body: &Object) -> Result<(Option<ToolChoice>, Option<bool>), GatewayError> {
    let Some(choice) = optional(body, "tool_choice") else {
        return Ok((None, None));
    };
    let choice = as_object(choice, "tool_choice")?;
    let kind = required_str(choice, "type", "tool_choice.type")?;
    let parsed = match kind {
        "auto" => ToolChoice::Auto,
        "any" => ToolChoice::Required,
        "none" => ToolChoice::None,
        "tool" => ToolChoice::Named(required_str(choice, "name", "tool_choice.name")?.to_string()),
        other => {
            return Err(invalid(
                "tool_choice.type",
                format!("unknown tool_choice type `{other}` (expected auto, any, tool or none)"),
            ));
        }
    };
    let disable_parallel = optional(choice, "disable_parallel_tool_use")
        .map(|value| as_bool(value, "tool_choice.disable_parallel_tool_use"))
        .transpose()?
        .unwrap_or(false);
    Ok((Some(parsed), disable_parallel.then_some(false)))
}

fn stop_sequences(body: &Object) -> Result<Vec<String>, GatewayError> {
    let Some(stops) = optional(body, "stop_sequences") else {
        return Ok(Vec::new());
    };
    as_array(stops, "stop_sequences")?
        .iter()
        .enumerate()
        .map(|(index, stop)| as_str(stop, &join("stop_sequences", index)).map(str::to_string))
        .collect()
}

fn user_id(body: &Object) -> Result<Option<String>, GatewayError> {
    let Some(metadata) = optional(body, "metadata") else {
        return Ok(None);
    };
    let metadata = as_object(metadata, "metadata")?;
    Ok(optional_str(metadata, "user_id", "metadata.user_id")?.map(str::to_string))
}

/// `thinking: {type: enabled, budget_tokens}` → the hub's effort level, by budget (the provider
/// maps levels back to budgets of 1024 / 4096 / 16384).
fn reasoning_effort(body: &Object) -> Result<Option<String>, GatewayError> {
    let Some(thinking) = optional(body, "thinking") else {
        return Ok(None);
    };
    let thinking = as_object(thinking, "thinking")?;
    match required_str(thinking, "type", "thinking.type")? {
        "disabled" => Ok(None),
        "enabled" => {
            let budget = as_u32_at_least(
                required(thinking, "budget_tokens", "thinking.budget_tokens")?,
                "thinking.budget_tokens",
                1,
            )?;
            let effort = match budget {
                0..4096 => "low",
                4096..16384 => "medium",
                _ => "high",
            };
            Ok(Some(effort.to_string()))
        }
        other => Err(invalid(
            "thinking.type",
            format!("unknown thinking type `{other}` (expected enabled or disabled)"),
        )),
    }
}
