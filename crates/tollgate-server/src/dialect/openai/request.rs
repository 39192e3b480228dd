//! `POST /v1/chat/completions` body → canonical [`ChatRequest`].
//!
//! Everything the hub relies on is validated here, with OpenAI-style messages and `param`; unknown
//! top-level fields are allowed, because they survive in the passthrough body for an OpenAI
//! upstream (vendor parameters such as `logit_bias` or `provider`).

use serde_json::{Map, Value};
use tollgate_types::{
    ChatRequest, Dialect, GatewayError, PassthroughBody, ResponseFormat, Tool, ToolChoice,
};

use super::fields::{
    Object, Path, as_array, as_integer_in, as_number_in, as_object, as_positive_u32, as_str,
    invalid_type, invalid_value, is_function_name, optional, optional_bool, optional_str, required,
    required_str, unsupported,
};
use super::messages::parse_messages;

/// The most stop sequences OpenAI accepts.
const MAX_STOP_SEQUENCES: usize = 4;

/// Parses a JSON body into an object, with OpenAI's wording for the two ways that fails.
/// serde_json's recursion limit (128) stays on, so deep nesting is an error, not a stack overflow.
pub(super) fn parse_object(body: &[u8]) -> Result<Object, GatewayError> {
    let value: Value = serde_json::from_slice(body).map_err(|error| {
        GatewayError::invalid_request(format!(
            "We could not parse the JSON body of your request ({error}). The body must be valid \
             JSON."
        ))
        .with_code("invalid_json")
    })?;
    match value {
        Value::Object(object) => Ok(object),
        _ => Err(
            GatewayError::invalid_request("The request body must be a JSON object.")
                .with_code("invalid_json"),
        ),
    }
}

/// The `model` field: a non-empty string.
pub(super) fn parse_model(body: &Object) -> Result<String, GatewayError> {
    let path = Path::Root;
    let path = path.field("model");
    let model = required_str(body, "model", &path)?;
    if model.trim().is_empty() {
        return Err(invalid_value(&path, "the model name must not be empty."));
    }
    Ok(model.to_string())
}

pub fn parse_chat_request(body: &[u8]) -> Result<ChatRequest, GatewayError> {
    let body = parse_object(body)?;
    let root = Path::Root;
    let model = parse_model(&body)?;
    let messages_path = root.field("messages");
    let messages = parse_messages(required(&body, "messages", &messages_path)?, &messages_path)?;

    let tools = parse_tools(&body)?;
    let tool_choice = parse_tool_choice(&body, &tools)?;
    let stream = optional_bool(&body, "stream", &root.field("stream"))?.unwrap_or(false);
    let include_usage = parse_stream_options(&body, stream)?;
    let max_tokens = match optional(&body, "max_completion_tokens") {
        Some(value) => Some(as_positive_u32(
            value,
            &root.field("max_completion_tokens"),
        )?),
        None => optional(&body, "max_tokens")
            .map(|value| as_positive_u32(value, &root.field("max_tokens")))
            .transpose()?,
    };
    // Not an OpenAI parameter, but vLLM, Together and OpenRouter take it; read it when it is
    // well-formed and otherwise leave it to the passthrough body.
    let top_k = optional(&body, "top_k")
        .and_then(Value::as_u64)
        .and_then(|top_k| u32::try_from(top_k).ok());

    let request = ChatRequest {
        model,
        messages,
        tool_choice,
        parallel_tool_calls: optional_bool(
            &body,
            "parallel_tool_calls",
            &root.field("parallel_tool_calls"),
        )?,
        response_format: parse_response_format(&body)?,
        temperature: number_in(&body, "temperature", 0.0, 2.0)?,
        top_p: number_in(&body, "top_p", 0.0, 1.0)?,
        top_k,
        max_tokens,
        stop: parse_stop(&body)?,
        n: optional(&body, "n")
            .map(|value| as_integer_in(value, &root.field("n"), 1, 128))
            .transpose()?
            .and_then(|n| u32::try_from(n).ok()),
        seed: optional(&body, "seed")
            .map(|value| as_integer_in(value, &root.field("seed"), i64::MIN, i64::MAX))
            .transpose()?,
        presence_penalty: number_in(&body, "presence_penalty", -2.0, 2.0)?,
        frequency_penalty: number_in(&body, "frequency_penalty", -2.0, 2.0)?,
        user: optional_str(&body, "user", &root.field("user"))?.map(str::to_string),
        reasoning_effort: parse_reasoning_effort(&body)?,
        stream,
        include_usage,
        tools,
        passthrough: None,
    };
    Ok(ChatRequest {
        passthrough: Some(PassthroughBody {
            dialect: Dialect::OpenAi,
            body,
        }),
        ..request
    })
}

fn number_in(body: &Object, key: &str, min: f64, max: f64) -> Result<Option<f64>, GatewayError> {
    let root = Path::Root;
    optional(body, key)
        .map(|value| as_number_in(value, &root.field(key), min, max))
        .transpose()
}

fn parse_stream_options(body: &Object, stream: bool) -> Result<bool, GatewayError> {
    let root = Path::Root;
    let path = root.field("stream_options");
    let Some(options) = optional(body, "stream_options") else {
        return Ok(false);
    };
    if !stream {
        return Err(invalid_value(
            &path,
            "'stream_options' is only allowed when 'stream' is true.",
        ));
    }
    let options = as_object(options, &path)?;
    Ok(optional_bool(options, "include_usage", &path.field("include_usage"))?.unwrap_or(false))
}

fn parse_stop(body: &Object) -> Result<Vec<String>, GatewayError> {
    let root = Path::Root;
    let path = root.field("stop");
    match optional(body, "stop") {
        None => Ok(Vec::new()),
        Some(Value::String(stop)) => Ok(vec![stop.clone()]),
        Some(Value::Array(stops)) => {
            if stops.len() > MAX_STOP_SEQUENCES {
                return Err(invalid_value(
                    &path,
                    format_args!("at most {MAX_STOP_SEQUENCES} stop sequences are allowed."),
                ));
            }
            stops
                .iter()
                .enumerate()
                .map(|(index, stop)| as_str(stop, &path.index(index)).map(str::to_string))
                .collect()
        }
        Some(other) => Err(invalid_type(
            &path,
            "one of a string or an array of strings",
            other,
        )),
    }
}

fn parse_reasoning_effort(body: &Object) -> Result<Option<String>, GatewayError> {
    let root = Path::Root;
    let path = root.field("reasoning_effort");
    match optional_str(body, "reasoning_effort", &path)? {
        // New levels keep appearing (`minimal`, `xhigh`); only nonsense is refused.
        Some("") => Err(invalid_value(&path, "must not be empty.")),
        effort => Ok(effort.map(str::to_string)),
    }
}

/// `tools`, plus the legacy `functions` (same function objects, no wrapper).
fn parse_tools(body: &Object) -> Result<Vec<Tool>, GatewayError> {
    let root = Path::Root;
    let mut tools = Vec::new();
    if let Some(value) = optional(body, "tools") {
        let path = root.field("tools");
        for (index, tool) in as_array(value, &path)?.iter().enumerate() {
            let tool_path = path.index(index);
            let object = as_object(tool, &tool_path)?;
            let type_path = tool_path.field("type");
            let kind = required_str(object, "type", &type_path)?;
            if kind != "function" {
                return Err(unsupported(&type_path, &format!("tool type '{kind}'")));
            }
            let function_path = tool_path.field("function");
            let function = required(object, "function", &function_path)?;
            tools.push(parse_function_definition(function, &function_path)?);
        }
    }
    if let Some(value) = optional(body, "functions") {
        let path = root.field("functions");
        for (index, function) in as_array(value, &path)?.iter().enumerate() {
            tools.push(parse_function_definition(function, &path.index(index))?);
        }
    }
    Ok(tools)
}

fn parse_function_definition(value: &Value, path: &Path<'_>) -> Result<Tool, GatewayError> {
    let object = as_object(value, path)?;
    let name_path = path.field("name");
    let name = required_str(object, "name", &name_path)?;
    if !is_function_name(name) {
        return Err(invalid_value(
            &name_path,
            format_args!("'{name}' does not match '^[a-zA-Z0-9_-]{{1,64}}$'."),
        ));
    }
    let parameters = match optional(object, "parameters") {
        Some(parameters) => {
            as_object(parameters, &path.field("parameters"))?;
            parameters.clone()
        }
        // A function without parameters; upstreams that need a schema get an empty object one.
        None => serde_json::json!({"type": "object", "properties": {}}),
    };
    Ok(Tool {
        name: name.to_string(),
        description: optional_str(object, "description", &path.field("description"))?
            .map(str::to_string),
        parameters,
        strict: optional_bool(object, "strict", &path.field("strict"))?,
    })
}

/// `tool_choice`, or the legacy `function_call` when it is absent. A named tool must exist.
fn parse_tool_choice(body: &Object, tools: &[Tool]) -> Result<Option<ToolChoice>, GatewayError> {
    let root = Path::Root;
    let (key, value) = match (
        optional(body, "tool_choice"),
        optional(body, "function_call"),
    ) {
        (Some(value), _) => ("tool_choice", value),
        (None, Some(value)) => ("function_call", value),
        (None, None) => return Ok(None),
    };
    let path = root.field(key);
    let choice = match value {
        Value::String(mode) => match (mode.as_str(), key) {
            ("none", _) => ToolChoice::None,
            ("auto", _) => ToolChoice::Auto,
            ("required", "tool_choice") => ToolChoice::Required,
            (other, _) => {
                let allowed = if key == "tool_choice" {
                    "'none', 'auto' and 'required'"
                } else {
                    "'none' and 'auto'"
                };
                return Err(invalid_value(
                    &path,
                    format_args!(
                        "'{other}' is not one of {allowed}, or an object naming a function."
                    ),
                ));
            }
        },
        Value::Object(object) => ToolChoice::Named(named_choice(object, key, &path)?),
        other => return Err(invalid_type(&path, "one of a string or an object", other)),
    };
    match &choice {
        ToolChoice::Required if tools.is_empty() => Err(invalid_value(
            &path,
            "a tool is required but no 'tools' were given.",
        )),
        ToolChoice::Named(name) if !tools.iter().any(|tool| &tool.name == name) => {
            Err(invalid_value(
                &path,
                format_args!("the function '{name}' is not among the given tools."),
            ))
        }
        _ => Ok(Some(choice)),
    }
}

/// `{"type":"function","function":{"name":"x"}}`, or the legacy `{"name":"x"}`.
fn named_choice(
    object: &Map<String, Value>,
    key: &str,
    path: &Path<'_>,
) -> Result<String, GatewayError> {
    if key == "function_call" {
        return required_str(object, "name", &path.field("name")).map(str::to_string);
    }
    let type_path = path.field("type");
    let kind = required_str(object, "type", &type_path)?;
    if kind != "function" {
        return Err(unsupported(
            &type_path,
            &format!("tool choice type '{kind}'"),
        ));
    }
    let function_path = path.field("function");
    let function = as_object(
        required(object, "function", &function_path)?,
        &function_path,
    )?;
    required_str(function, "name", &function_path.field("name")).map(str::to_string)
}

fn parse_response_format(body: &Object) -> Result<Option<ResponseFormat>, GatewayError> {
    let root = Path::Root;
    let path = root.field("response_format");
    let Some(value) = optional(body, "response_format") else {
        return Ok(None);
    };
    let object = as_object(value, &path)?;
    let type_path = path.field("type");
    let format = match required_str(object, "type", &type_path)? {
        "text" => ResponseFormat::Text,
        "json_object" => ResponseFormat::JsonObject,
        "json_schema" => {
            let schema_path = path.field("json_schema");
            let json_schema =
                as_object(required(object, "json_schema", &schema_path)?, &schema_path)?;
            let name_path = schema_path.field("name");
            let name = required_str(json_schema, "name", &name_path)?;
            if !is_function_name(name) {
                return Err(invalid_value(
                    &name_path,
                    format_args!("'{name}' does not match '^[a-zA-Z0-9_-]{{1,64}}$'."),
                ));
            }
            let schema = match optional(json_schema, "schema") {
                Some(schema) => {
                    as_object(schema, &schema_path.field("schema"))?;
                    schema.clone()
                }
                None => Value::Object(Map::new()),
            };
            ResponseFormat::JsonSchema {
                name: name.to_string(),
                schema,
                strict: optional_bool(json_schema, "strict", &schema_path.field("strict"))?,
            }
        }
        other => {
            return Err(invalid_value(
                &type_path,
                format_args!("'{other}' is not one of 'text', 'json_object' and 'json_schema'."),
            ));
        }
    };
    Ok(Some(format))
}
