//! `messages[]` of an OpenAI chat request → canonical messages.

use serde_json::Value;
use tollgate_types::{ContentPart, GatewayError, ImageSource, Message, Role, ToolCall};

use super::fields::{
    Object, Path, as_array, as_object, invalid_type, invalid_value, missing, optional,
    optional_str, required, required_str, unsupported,
};

pub(super) fn parse_messages(value: &Value, path: &Path<'_>) -> Result<Vec<Message>, GatewayError> {
    let items = as_array(value, path)?;
    if items.is_empty() {
        return Err(invalid_value(
            path,
            "expected an array with minimum length 1, but got an empty array instead.",
        ));
    }
    let mut legacy_calls = LegacyCalls::default();
    items
        .iter()
        .enumerate()
        .map(|(index, item)| parse_message(item, &path.index(index), &mut legacy_calls))
        .collect()
}

/// Legacy `function_call`s carry no id, but canonical tool results are matched to calls by id, so
/// each call gets one and the following `function` message with the same name picks it up.
#[derive(Default)]
struct LegacyCalls {
    opened: usize,
    pending: Vec<(String, String)>,
}

impl LegacyCalls {
    fn open(&mut self, name: &str) -> String {
        let id = format!("call_legacy_{}", self.opened);
        self.opened += 1;
        self.pending.push((name.to_string(), id.clone()));
        id
    }

    fn answer(&mut self, name: &str) -> String {
        match self
            .pending
            .iter()
            .rposition(|(pending, _)| pending == name)
        {
            Some(at) => self.pending.remove(at).1,
            None => format!("call_legacy_{name}"),
        }
    }
}

/// Which content part types a role may carry.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Parts {
    TextOnly,
    User,
    Assistant,
}

fn parse_message(
    value: &Value,
    path: &Path<'_>,
    legacy_calls: &mut LegacyCalls,
) -> Result<Message, GatewayError> {
    let object = as_object(value, path)?;
    let role_path = path.field("role");
    let role = required_str(object, "role", &role_path)?;
    let name = optional_str(object, "name", &path.field("name"))?;
    let content_path = path.field("content");
    let mut message = match role {
        "system" | "developer" => Message {
            content: required_content(object, &content_path, Parts::TextOnly)?,
            ..bare(Role::System)
        },
        "user" => Message {
            content: required_content(object, &content_path, Parts::User)?,
            ..bare(Role::User)
        },
        "assistant" => parse_assistant(object, path, legacy_calls)?,
        "tool" => Message {
            content: required_content(object, &content_path, Parts::TextOnly)?,
            tool_call_id: Some(
                required_str(object, "tool_call_id", &path.field("tool_call_id"))?.to_string(),
            ),
            ..bare(Role::Tool)
        },
        "function" => {
            let name = name.ok_or_else(|| missing(&path.field("name")))?;
            Message {
                content: optional_content(object, &content_path, Parts::TextOnly)?,
                tool_call_id: Some(legacy_calls.answer(name)),
                ..bare(Role::Tool)
            }
        }
        other => {
            return Err(invalid_value(
                &role_path,
                format_args!(
                    "'{other}' is not one of 'system', 'developer', 'user', 'assistant', 'tool' \
                     and 'function'."
                ),
            ));
        }
    };
    if message.role == Role::Tool {
        message.name = name.map(str::to_string);
    }
    Ok(message)
}

fn bare(role: Role) -> Message {
    Message {
        role,
        content: Vec::new(),
        tool_calls: Vec::new(),
        tool_call_id: None,
        name: None,
        is_error: false,
    }
}

fn parse_assistant(
    object: &Object,
    path: &Path<'_>,
    legacy_calls: &mut LegacyCalls,
) -> Result<Message, GatewayError> {
    let mut tool_calls = Vec::new();
    if let Some(calls) = optional(object, "tool_calls") {
        let calls_path = path.field("tool_calls");
        for (index, call) in as_array(calls, &calls_path)?.iter().enumerate() {
            tool_calls.push(parse_tool_call(call, &calls_path.index(index))?);
        }
    }
    if let Some(call) = optional(object, "function_call") {
        let call_path = path.field("function_call");
        let (name, arguments) = parse_function(call, &call_path)?;
        tool_calls.push(ToolCall {
            id: legacy_calls.open(&name),
            name,
            arguments,
        });
    }
    // An assistant turn may be only tool calls; earlier turns are context, so an empty one is
    // tolerated rather than refused.
    let content = optional_content(object, &path.field("content"), Parts::Assistant)?;
    Ok(Message {
        content,
        tool_calls,
        ..bare(Role::Assistant)
    })
}

fn parse_tool_call(value: &Value, path: &Path<'_>) -> Result<ToolCall, GatewayError> {
    let object = as_object(value, path)?;
    let id = required_str(object, "id", &path.field("id"))?;
    if let Some(kind) = optional_str(object, "type", &path.field("type"))?
        && kind != "function"
    {
        return Err(unsupported(
            &path.field("type"),
            &format!("tool call type '{kind}'"),
        ));
    }
    let (name, arguments) = parse_function(
        required(object, "function", &path.field("function"))?,
        &path.field("function"),
    )?;
    Ok(ToolCall {
        id: id.to_string(),
        name,
        arguments,
    })
}

/// `{"name": ..., "arguments": "<JSON text>"}`: arguments are a string, never an object.
fn parse_function(value: &Value, path: &Path<'_>) -> Result<(String, String), GatewayError> {
    let object = as_object(value, path)?;
    let name = required_str(object, "name", &path.field("name"))?;
    let arguments = required_str(object, "arguments", &path.field("arguments"))?;
    Ok((name.to_string(), arguments.to_string()))
}

fn required_content(
    object: &Object,
    path: &Path<'_>,
    allowed: Parts,
) -> Result<Vec<ContentPart>, GatewayError> {
    match optional(object, "content") {
        Some(content) => parse_content(content, path, allowed),
        None => Err(missing(path)),
    }
}

fn optional_content(
    object: &Object,
    path: &Path<'_>,
    allowed: Parts,
) -> Result<Vec<ContentPart>, GatewayError> {
    match optional(object, "content") {
        Some(content) => parse_content(content, path, allowed),
        None => Ok(Vec::new()),
    }
}

fn parse_content(
    value: &Value,
    path: &Path<'_>,
    allowed: Parts,
) -> Result<Vec<ContentPart>, GatewayError> {
    match value {
        Value::String(text) => Ok(vec![ContentPart::Text { text: text.clone() }]),
        Value::Array(parts) => {
            let mut content = Vec::with_capacity(parts.len());
            for (index, part) in parts.iter().enumerate() {
                if let Some(part) = parse_part(part, &path.index(index), allowed)? {
                    content.push(part);
                }
            }
            Ok(content)
        }
        other => Err(invalid_type(
            path,
            "one of a string or an array of content parts",
            other,
        )),
    }
}

/// One content part; `None` for parts that carry nothing for the model (an assistant's refusal).
fn parse_part(
    value: &Value,
    path: &Path<'_>,
    allowed: Parts,
) -> Result<Option<ContentPart>, GatewayError> {
    let object = as_object(value, path)?;
    let type_path = path.field("type");
    let kind = required_str(object, "type", &type_path)?;
    match (kind, allowed) {
        ("text", _) => Ok(Some(ContentPart::Text {
            text: required_str(object, "text", &path.field("text"))?.to_string(),
        })),
        ("image_url", Parts::User) => parse_image(object, path).map(Some),
        ("refusal", Parts::Assistant) => {
            required_str(object, "refusal", &path.field("refusal"))?;
            Ok(None)
        }
        ("input_audio" | "file", Parts::User) => Err(unsupported(
            &type_path,
            &format!("content part type '{kind}'"),
        )),
        (other, _) => {
            let expected = match allowed {
                Parts::TextOnly => "'text'",
                Parts::User => "'text' or 'image_url'",
                Parts::Assistant => "'text' or 'refusal'",
            };
            Err(invalid_value(
                &type_path,
                format_args!(
                    "'{other}' is not a valid content part type here; expected {expected}."
                ),
            ))
        }
    }
}

fn parse_image(object: &Object, path: &Path<'_>) -> Result<ContentPart, GatewayError> {
    let image_path = path.field("image_url");
    let image = required(object, "image_url", &image_path)?;
    // Some clients send the URL directly instead of `{"url": ...}`.
    let (url, detail) = match image {
        Value::String(url) => (url.as_str(), None),
        Value::Object(image_object) => (
            required_str(image_object, "url", &image_path.field("url"))?,
            optional_str(image_object, "detail", &image_path.field("detail"))?,
        ),
        other => return Err(invalid_type(&image_path, "an object", other)),
    };
    if url.is_empty() {
        return Err(invalid_value(
            &image_path.field("url"),
            "the image URL must not be empty.",
        ));
    }
    if let Some(detail) = detail
        && !matches!(detail, "auto" | "low" | "high")
    {
        return Err(invalid_value(
            &image_path.field("detail"),
            format_args!("'{detail}' is not one of 'auto', 'low' and 'high'."),
        ));
    }
    Ok(ContentPart::Image {
        source: ImageSource::from_url(url),
        detail: detail.map(str::to_string),
    })
}
