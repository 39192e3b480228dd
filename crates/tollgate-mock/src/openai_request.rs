//! Reading an OpenAI Chat Completions request (shared by OpenAI, OpenRouter and Azure) into the
//! neutral [`Prompt`].

use serde_json::Value;

use crate::json::{Object, opt_array, opt_bool, opt_object, opt_str, opt_u64};
use crate::reply::Prompt;

pub(crate) struct ChatRequest {
    pub(crate) model: Option<String>,
    pub(crate) stream: bool,
    pub(crate) include_usage: bool,
    pub(crate) prompt: Prompt,
}

/// `usage_include` honours OpenRouter's own `"usage":{"include":true}` switch for streams.
pub(crate) fn parse(body: &Object, usage_include: bool) -> Result<ChatRequest, String> {
    let model = opt_str(body, &["model"])?.map(str::to_owned);
    let messages =
        opt_array(body, &["messages"])?.ok_or("Missing required parameter: 'messages'.")?;
    if messages.is_empty() {
        return Err(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, \
                    but got an empty array instead."
                .to_owned(),
        );
    }

    let mut prompt = Prompt::new();
    let mut last = ("", String::new());
    for (i, message) in messages.iter().enumerate() {
        let message = message
            .as_object()
            .ok_or_else(|| format!("Invalid type for 'messages[{i}]': expected an object."))?;
        let role = opt_str(message, &["role"])?
            .ok_or_else(|| format!("Missing required parameter: 'messages[{i}].role'."))?;
        if !matches!(
            role,
            "system" | "developer" | "user" | "assistant" | "tool" | "function"
        ) {
            return Err(format!(
                "Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user', \
                 'function', 'tool', and 'developer'."
            ));
        }
        let text = content_text(message.get("content"), i)?;
        prompt.add_text(&text);
        if role == "user" {
            prompt.last_user_text.clone_from(&text);
        }
        last = (role, text);
    }
    match last {
        ("tool" | "function", text) => prompt.tool_result = Some(text),
        ("user", _) => prompt.ends_with_user = true,
        _ => {}
    }

    prompt.tool = chosen_tool(body)?;
    prompt.max_tokens = match opt_u64(body, &["max_completion_tokens"])? {
        Some(n) => Some(n),
        None => opt_u64(body, &["max_tokens"])?,
    };
    if prompt.max_tokens == Some(0) {
        return Err(
            "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, \
                    but got 0 instead."
                .to_owned(),
        );
    }
    let n = opt_u64(body, &["n"])?.unwrap_or(1);
    if !(1..=128).contains(&n) {
        return Err(format!(
            "Invalid 'n': expected a value between 1 and 128, but got {n} instead."
        ));
    }
    prompt.choices = n;
    prompt.json_mode = json_mode(body)?;

    let stream = opt_bool(body, &["stream"])?.unwrap_or(false);
    let stream_options = opt_object(body, &["stream_options"])?;
    if stream_options.is_some() && !stream {
        return Err(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.".to_owned(),
        );
    }
    let mut include_usage = match stream_options {
        Some(options) => opt_bool(options, &["include_usage"])?.unwrap_or(false),
        None => false,
    };
    if usage_include && let Some(usage) = opt_object(body, &["usage"])? {
        include_usage |= opt_bool(usage, &["include"])?.unwrap_or(false);
    }

    Ok(ChatRequest {
        model,
        stream,
        include_usage,
        prompt,
    })
}

/// A message's text: the string itself, or its `text` parts concatenated (images and other parts
/// carry no text).
fn content_text(content: Option<&Value>, index: usize) -> Result<String, String> {
    match content {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Array(parts)) => {
            let mut text = String::new();
            for (j, part) in parts.iter().enumerate() {
                let part = part.as_object().ok_or_else(|| {
                    format!(
                        "Invalid type for 'messages[{index}].content[{j}]': expected an object."
                    )
                })?;
                if opt_str(part, &["type"])? == Some("text") {
                    text.push_str(opt_str(part, &["text"])?.unwrap_or_default());
                }
            }
            Ok(text)
        }
        Some(_) => Err(format!(
            "Invalid type for 'messages[{index}].content': expected one of a string or an array."
        )),
    }
}

/// The tool to call: the named one for a named `tool_choice`, else the first declared function,
/// unless `tool_choice` is `none`.
fn chosen_tool(body: &Object) -> Result<Option<String>, String> {
    let Some(tools) = opt_array(body, &["tools"])? else {
        return Ok(None);
    };
    let first = tools
        .iter()
        .find_map(|t| t.get("function")?.get("name")?.as_str());
    let Some(first) = first else {
        return Ok(None);
    };
    let name = match body.get("tool_choice") {
        None | Some(Value::Null) => Some(first),
        Some(Value::String(choice)) => match choice.as_str() {
            "none" => None,
            "auto" | "required" => Some(first),
            other => return Err(format!("Invalid value for 'tool_choice': '{other}'.")),
        },
        Some(Value::Object(choice)) => {
            let named = choice.get("function").and_then(|f| f.get("name")?.as_str());
            Some(named.unwrap_or(first))
        }
        Some(_) => return Err("Invalid type for 'tool_choice'.".to_owned()),
    };
    Ok(name.map(str::to_owned))
}

fn json_mode(body: &Object) -> Result<bool, String> {
    let Some(format) = opt_object(body, &["response_format"])? else {
        return Ok(false);
    };
    match opt_str(format, &["type"])? {
        Some("json_object" | "json_schema") => Ok(true),
        Some("text") | None => Ok(false),
        Some(other) => Err(format!(
            "Invalid value for 'response_format.type': '{other}'."
        )),
    }
}
