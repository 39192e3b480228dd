//! Anthropic Messages (`POST /anthropic/v1/messages`): request reading, auth and the non-streamed
//! answer. The stream lives in `anthropic_stream.rs`.

use axum::response::Response;
use serde::Serialize;
use serde_json::{Value, json};

use crate::anthropic_stream;
use crate::call::Call;
use crate::errors::ErrorKind;
use crate::json::{Object, opt_array, opt_bool, opt_object, opt_str, opt_u64};
use crate::reply::{ANTHROPIC_TOOL_USE_ID, Answer, Finish, Prompt, Reply, Usage, reply};
use crate::respond::JSON;

const SSE: &str = "text/event-stream; charset=utf-8";

pub(crate) async fn messages(mut call: Call) -> Response {
    let expected = call.app.options.api_key.as_str();
    match call.header("x-api-key") {
        Some(key) if key == expected => {}
        Some(_) => return call.error(ErrorKind::Unauthorized, "invalid x-api-key"),
        None => return call.error(ErrorKind::Unauthorized, "x-api-key header is required"),
    }
    if call.header("anthropic-version").is_none_or(str::is_empty) {
        return call.invalid("anthropic-version: header is required");
    }
    let parsed = call
        .json_object()
        .and_then(|body| parse(body).map_err(|m| call.invalid(&m)));
    let (model, stream, prompt) = match parsed {
        Ok(parsed) => parsed,
        Err(response) => return response,
    };
    if let Some(response) = call.model_fault(&model).await {
        return response;
    }
    let reply = reply(&prompt);
    let id = format!("msg_mock{}", call.seq);
    if stream {
        call.sse(SSE, anthropic_stream::items(&id, &model, &reply))
    } else {
        call.json(JSON, &message(&id, &model, &reply))
    }
}

fn parse(body: &Object) -> Result<(String, bool, Prompt), String> {
    let model = opt_str(body, &["model"])?
        .ok_or("model: Field required")?
        .to_owned();
    let max_tokens = opt_u64(body, &["max_tokens"])?.ok_or("max_tokens: Field required")?;
    if max_tokens == 0 {
        return Err("max_tokens: Input should be greater than or equal to 1".to_owned());
    }
    let messages = opt_array(body, &["messages"])?.ok_or("messages: Field required")?;
    if messages.is_empty() {
        return Err("messages: at least one message is required".to_owned());
    }
    let mut prompt = Prompt::new();
    prompt.max_tokens = Some(max_tokens);

    match body.get("system") {
        None | Some(Value::Null) => {}
        Some(Value::String(system)) => prompt.add_text(system),
        Some(Value::Array(blocks)) => {
            for block in blocks {
                if let Some(text) = block.get("text").and_then(Value::as_str) {
                    prompt.add_text(text);
                }
            }
        }
        Some(_) => {
            return Err("system: Input should be a valid string or list of text blocks".to_owned());
        }
    }

    let mut last = ("", None);
    for (i, message) in messages.iter().enumerate() {
        let message = message
            .as_object()
            .ok_or_else(|| format!("messages.{i}: Input should be a valid dictionary"))?;
        let role = opt_str(message, &["role"])?.unwrap_or_default();
        if role != "user" && role != "assistant" {
            return Err(format!(
                "messages.{i}.role: Input should be 'user' or 'assistant'"
            ));
        }
        let content = read_content(message.get("content"), i, &mut prompt)?;
        if role == "user" && content.has_text {
            prompt.last_user_text = content.text;
        }
        last = (role, content.trailing_tool_result);
    }
    match last {
        ("user", Some(result)) => prompt.tool_result = Some(result),
        ("user", None) => prompt.ends_with_user = true,
        _ => {}
    }
    prompt.tool = chosen_tool(body)?;
    let stream = opt_bool(body, &["stream"])?.unwrap_or(false);
    Ok((model, stream, prompt))
}

struct Content {
    /// Text blocks concatenated: the user's words.
    text: String,
    has_text: bool,
    /// Set when the last block is a `tool_result`: its content as text.
    trailing_tool_result: Option<String>,
}

/// Reads one message's content; text blocks and tool results both count as prompt text.
fn read_content(content: Option<&Value>, i: usize, prompt: &mut Prompt) -> Result<Content, String> {
    let blocks = match content {
        Some(Value::String(text)) => {
            prompt.add_text(text);
            return Ok(Content {
                text: text.clone(),
                has_text: true,
                trailing_tool_result: None,
            });
        }
        Some(Value::Array(blocks)) => blocks,
        _ => {
            return Err(format!(
                "messages.{i}.content: Input should be a valid string or list"
            ));
        }
    };
    let mut out = Content {
        text: String::new(),
        has_text: false,
        trailing_tool_result: None,
    };
    for (j, block) in blocks.iter().enumerate() {
        let block = block.as_object().ok_or_else(|| {
            format!("messages.{i}.content.{j}: Input should be a valid dictionary")
        })?;
        out.trailing_tool_result = None;
        match opt_str(block, &["type"])? {
            Some("text") => {
                let text = opt_str(block, &["text"])?.unwrap_or_default();
                prompt.add_text(text);
                out.text.push_str(text);
                out.has_text = true;
            }
            Some("tool_result") => {
                let result = tool_result_text(block.get("content"));
                prompt.add_text(&result);
                out.trailing_tool_result = Some(result);
            }
            Some(_) => {}
            None => return Err(format!("messages.{i}.content.{j}.type: Field required")),
        }
    }
    Ok(out)
}

/// A `tool_result`'s content: a string, or its text blocks concatenated.
fn tool_result_text(content: Option<&Value>) -> String {
    match content {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(blocks)) => blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect(),
        Some(other) => other.to_string(),
    }
}

fn chosen_tool(body: &Object) -> Result<Option<String>, String> {
    let Some(tools) = opt_array(body, &["tools"])? else {
        return Ok(None);
    };
    let Some(first) = tools.iter().find_map(|t| t.get("name")?.as_str()) else {
        return Ok(None);
    };
    let name = match opt_object(body, &["tool_choice"])? {
        None => Some(first),
        Some(choice) => match opt_str(choice, &["type"])? {
            Some("none") => None,
            Some("tool") => Some(opt_str(choice, &["name"])?.unwrap_or(first)),
            _ => Some(first),
        },
    };
    Ok(name.map(str::to_owned))
}

pub(crate) fn stop_reason(finish: Finish) -> &'static str {
    match finish {
        Finish::Stop => "end_turn",
        Finish::Length => "max_tokens",
        Finish::ToolCalls => "tool_use",
    }
}

#[derive(Serialize)]
pub(crate) struct MessageOut<'a> {
    pub(crate) id: &'a str,
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) role: &'static str,
    pub(crate) model: &'a str,
    pub(crate) content: Vec<Block<'a>>,
    pub(crate) stop_reason: Option<&'static str>,
    pub(crate) stop_sequence: Option<&'a str>,
    pub(crate) usage: UsageOut,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Block<'a> {
    Text {
        text: &'a str,
    },
    ToolUse {
        id: &'static str,
        name: &'a str,
        input: Value,
    },
}

#[derive(Serialize)]
pub(crate) struct UsageOut {
    input_tokens: u64,
    cache_creation_input_tokens: u64,
    cache_read_input_tokens: u64,
    cache_creation: CacheCreation,
    output_tokens: u64,
    service_tier: &'static str,
}

#[derive(Serialize)]
struct CacheCreation {
    ephemeral_5m_input_tokens: u64,
    ephemeral_1h_input_tokens: u64,
}

impl UsageOut {
    /// Anthropic's split: `input_tokens` is only the uncached, unwritten part of the prompt.
    pub(crate) fn new(usage: &Usage, output_tokens: u64) -> UsageOut {
        UsageOut {
            input_tokens: usage
                .prompt
                .saturating_sub(usage.cached + usage.cache_write),
            cache_creation_input_tokens: usage.cache_write,
            cache_read_input_tokens: usage.cached,
            cache_creation: CacheCreation {
                ephemeral_5m_input_tokens: usage.cache_write,
                ephemeral_1h_input_tokens: 0,
            },
            output_tokens,
            service_tier: "standard",
        }
    }
}

/// Anthropic bills thinking inside `output_tokens`, so the mock's reasoning tokens go there.
pub(crate) fn output_tokens(usage: &Usage) -> u64 {
    usage.output + usage.reasoning
}

/// The tool call's `input` object (the arguments text is always the mock's own valid JSON).
pub(crate) fn tool_input(arguments: &str) -> Value {
    serde_json::from_str(arguments).unwrap_or_else(|_| json!({}))
}

fn message<'a>(id: &'a str, model: &'a str, reply: &'a Reply) -> MessageOut<'a> {
    let content = match &reply.answer {
        Answer::Text(text) => vec![Block::Text { text }],
        Answer::ToolCall { name, arguments } => vec![Block::ToolUse {
            id: ANTHROPIC_TOOL_USE_ID,
            name,
            input: tool_input(arguments),
        }],
    };
    MessageOut {
        id,
        kind: "message",
        role: "assistant",
        model,
        content,
        stop_reason: Some(stop_reason(reply.finish)),
        stop_sequence: None,
        usage: UsageOut::new(&reply.usage, output_tokens(&reply.usage)),
    }
}
