//! Anthropic `messages` → canonical messages.
//!
//! One Anthropic turn may become several canonical messages: each `tool_result` block of a user
//! turn is a canonical `Tool` message (OpenAI-style upstreams want tool results as their own
//! messages, right after the assistant's calls), followed by the turn's remaining text and images
//! as a `User` message.

use serde_json::Value;
use tollgate_types::{ContentPart, GatewayError, ImageSource, Message, Role, ToolCall};

use super::fields::{
    Object, as_array, as_bool, as_object, invalid, join, optional, required, required_str,
};

pub fn parse_messages(messages: &Value) -> Result<Vec<Message>, GatewayError> {
    let messages = as_array(messages, "messages")?;
    if messages.is_empty() {
        return Err(invalid("messages", "List should have at least 1 item"));
    }
    let mut out = Vec::with_capacity(messages.len());
    for (index, message) in messages.iter().enumerate() {
        parse_message(message, &join("messages", index), &mut out)?;
    }
    Ok(out)
}

fn parse_message(value: &Value, path: &str, out: &mut Vec<Message>) -> Result<(), GatewayError> {
    let message = as_object(value, path)?;
    let role_path = join(path, "role");
    let role = match required_str(message, "role", &role_path)? {
        "user" => Role::User,
        "assistant" => Role::Assistant,
        other => {
            return Err(invalid(
                &role_path,
                format!(
                    "unexpected role `{other}`: roles must be `user` or `assistant` (put system prompts in the top-level `system` field)"
                ),
            ));
        }
    };
    let content_path = join(path, "content");
    let content = required(message, "content", &content_path)?;
    let mut turn = Message {
        content: Vec::new(),
        ..Message::text(role, "")
    };
    let messages_before = out.len();
    match content {
        Value::String(text) => turn.content.push(ContentPart::Text { text: text.clone() }),
        Value::Array(blocks) => {
            for (index, block) in blocks.iter().enumerate() {
                let block_path = join(&content_path, index);
                parse_block(block, &block_path, &mut turn, out)?;
            }
        }
        _ => {
            return Err(invalid(
                &content_path,
                "Input should be a string or a list of content blocks",
            ));
        }
    }
    let only_tool_results = turn.content.is_empty() && out.len() > messages_before;
    if !only_tool_results {
        out.push(turn);
    }
    Ok(())
}

/// Adds one content block to `turn`, or (a tool result) as its own message to `out`.
fn parse_block(
    value: &Value,
    path: &str,
    turn: &mut Message,
    out: &mut Vec<Message>,
) -> Result<(), GatewayError> {
    let block = as_object(value, path)?;
    let type_path = join(path, "type");
    match required_str(block, "type", &type_path)? {
        "text" => turn.content.push(text_block(block, path)?),
        "image" => turn.content.push(image_block(block, path)?),
        "tool_use" => {
            if turn.role != Role::Assistant {
                return Err(invalid(
                    &type_path,
                    "`tool_use` blocks are only allowed in assistant messages",
                ));
            }
            turn.tool_calls.push(tool_use_block(block, path)?);
        }
        "tool_result" => {
            if turn.role != Role::User {
                return Err(invalid(
                    &type_path,
                    "`tool_result` blocks are only allowed in user messages",
                ));
            }
            out.push(tool_result_block(block, path)?);
        }
        // Signed reasoning from an earlier turn: only Anthropic can verify it, and the hub has
        // nowhere to carry it, so it is dropped (the passthrough body still has it).
        "thinking" | "redacted_thinking" => {}
        "document" => {
            return Err(invalid(
                &type_path,
                "`document` blocks are not supported by this gateway yet",
            ));
        }
        other => {
            return Err(invalid(
                &type_path,
                format!("unsupported content block type `{other}`"),
            ));
        }
    }
    Ok(())
}

fn text_block(block: &Object, path: &str) -> Result<ContentPart, GatewayError> {
    let text = required_str(block, "text", &join(path, "text"))?;
    Ok(ContentPart::Text {
        text: text.to_string(),
    })
}

fn image_block(block: &Object, path: &str) -> Result<ContentPart, GatewayError> {
    let source_path = join(path, "source");
    let source = as_object(required(block, "source", &source_path)?, &source_path)?;
    let type_path = join(&source_path, "type");
    let source = match required_str(source, "type", &type_path)? {
        "base64" => ImageSource::Base64 {
            media_type: required_str(source, "media_type", &join(&source_path, "media_type"))?
                .to_string(),
            data: required_str(source, "data", &join(&source_path, "data"))?.to_string(),
        },
        "url" => {
            ImageSource::Url(required_str(source, "url", &join(&source_path, "url"))?.to_string())
        }
        other => {
            return Err(invalid(
                &type_path,
                format!("image source type `{other}` is not supported (use base64 or url)"),
            ));
        }
    };
    Ok(ContentPart::Image {
        source,
        detail: None,
    })
}

fn tool_use_block(block: &Object, path: &str) -> Result<ToolCall, GatewayError> {
    let input_path = join(path, "input");
    let input = required(block, "input", &input_path)?;
    as_object(input, &input_path)?;
    Ok(ToolCall {
        id: required_str(block, "id", &join(path, "id"))?.to_string(),
        name: required_str(block, "name", &join(path, "name"))?.to_string(),
        arguments: input.to_string(),
    })
}

fn tool_result_block(block: &Object, path: &str) -> Result<Message, GatewayError> {
    let tool_use_id = required_str(block, "tool_use_id", &join(path, "tool_use_id"))?;
    let content_path = join(path, "content");
    let content = match optional(block, "content") {
        None => Vec::new(),
        Some(Value::String(text)) => vec![ContentPart::Text { text: text.clone() }],
        Some(Value::Array(blocks)) => {
            let mut parts = Vec::with_capacity(blocks.len());
            for (index, inner) in blocks.iter().enumerate() {
                let inner_path = join(&content_path, index);
                let inner = as_object(inner, &inner_path)?;
                let type_path = join(&inner_path, "type");
                parts.push(match required_str(inner, "type", &type_path)? {
                    "text" => text_block(inner, &inner_path)?,
                    "image" => image_block(inner, &inner_path)?,
                    other => {
                        return Err(invalid(
                            &type_path,
                            format!("unsupported tool_result content block type `{other}`"),
                        ));
                    }
                });
            }
            parts
        }
        Some(_) => {
            return Err(invalid(
                &content_path,
                "Input should be a string or a list of content blocks",
            ));
        }
    };
    let is_error = optional(block, "is_error")
        .map(|value| as_bool(value, &join(path, "is_error")))
        .transpose()?
        .unwrap_or(false);
    Ok(Message {
        role: Role::Tool,
        content,
        tool_calls: Vec::new(),
        tool_call_id: Some(tool_use_id.to_string()),
        name: None,
        is_error,
    })
}
