//! Canonical chat request → Gemini `generateContent` body (providers.md §3.4).

use serde_json::{Map, Value};
use tollgate_types::{
    ChatRequest, ContentPart, GatewayError, ImageSource, Message, ResponseFormat, Role, Tool,
    ToolChoice,
};

use super::schema::{has_no_properties, to_gemini_schema};
use super::wire::{
    Content, FileData, FunctionCall, FunctionCallingConfig, FunctionDeclaration, FunctionResponse,
    GenerateContentRequest, GenerationConfig, InlineData, Part, ThinkingConfig, ToolConfig,
    ToolDeclarations,
};

const USER: &str = "user";
const MODEL: &str = "model";

/// Builds the body; fails (400) only on what the caller sent wrong, such as tool-call arguments
/// that are not a JSON object.
pub fn build_request(request: &ChatRequest) -> Result<GenerateContentRequest<'_>, GatewayError> {
    let mut system_parts = Vec::new();
    let mut contents: Vec<Content<'_>> = Vec::with_capacity(request.messages.len());
    for (position, message) in request.messages.iter().enumerate() {
        match message.role {
            Role::System => system_parts.extend(text_parts(message)),
            Role::User => push_turn(&mut contents, USER, content_parts(message)),
            Role::Assistant => {
                let mut parts = content_parts(message);
                for call in &message.tool_calls {
                    parts.push(Part::FunctionCall(FunctionCall {
                        name: &call.name,
                        args: parse_arguments(&call.id, &call.arguments)?,
                    }));
                }
                push_turn(&mut contents, MODEL, parts);
            }
            // Gemini takes tool results in a user turn.
            Role::Tool => {
                let earlier = &request.messages[..position];
                let part = Part::FunctionResponse(tool_result(message, earlier)?);
                push_turn(&mut contents, USER, vec![part]);
            }
        }
    }
    Ok(GenerateContentRequest {
        contents,
        system_instruction: (!system_parts.is_empty()).then_some(Content {
            role: None,
            parts: system_parts,
        }),
        tools: tool_declarations(&request.tools),
        tool_config: tool_config(request),
        generation_config: generation_config(request),
    })
}

/// Appends a turn, merging it into the previous one when the role repeats: Gemini expects turns
/// to alternate, and consecutive tool results must travel together in one user turn.
fn push_turn<'a>(contents: &mut Vec<Content<'a>>, role: &'static str, parts: Vec<Part<'a>>) {
    if parts.is_empty() {
        return;
    }
    match contents.last_mut() {
        Some(last) if last.role == Some(role) => last.parts.extend(parts),
        _ => contents.push(Content {
            role: Some(role),
            parts,
        }),
    }
}

fn text_parts(message: &Message) -> impl Iterator<Item = Part<'_>> {
    message.content.iter().filter_map(|part| match part {
        ContentPart::Text { text } if !text.is_empty() => Some(Part::Text(text)),
        _ => None,
    })
}

fn content_parts(message: &Message) -> Vec<Part<'_>> {
    let mut parts = Vec::with_capacity(message.content.len() + message.tool_calls.len());
    for part in &message.content {
        match part {
            // Gemini rejects a part with empty text.
            ContentPart::Text { text } if text.is_empty() => {}
            ContentPart::Text { text } => parts.push(Part::Text(text)),
            ContentPart::Image { source, .. } => parts.push(image_part(source)),
        }
    }
    parts
}

fn image_part(source: &ImageSource) -> Part<'_> {
    match source {
        ImageSource::Base64 { media_type, data } => Part::InlineData(InlineData {
            mime_type: media_type,
            data,
        }),
        ImageSource::Url(url) => Part::FileData(FileData {
            mime_type: guess_image_mime_type(url),
            file_uri: url,
        }),
    }
}

/// Gemini wants a MIME type with every `fileData`; the URL's extension is the only hint at hand.
pub fn guess_image_mime_type(url: &str) -> &'static str {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let extension = path
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase());
    match extension.as_deref() {
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("gif") => "image/gif",
        Some("heic") => "image/heic",
        Some("heif") => "image/heif",
        _ => "image/jpeg",
    }
}

/// OpenAI carries arguments as JSON text; Gemini wants the object itself.
fn parse_arguments(call_id: &str, arguments: &str) -> Result<Value, GatewayError> {
    // Some clients send "" for a function without parameters.
    if arguments.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    match serde_json::from_str(arguments) {
        Ok(Value::Object(object)) => Ok(Value::Object(object)),
        _ => Err(GatewayError::invalid_param(
            "messages",
            format!("The arguments of tool call `{call_id}` are not a JSON object."),
        )),
    }
}

/// Gemini matches a result to its call by function name, so the name comes from the assistant
/// turn that made the call with this `tool_call_id` (the latest one, should ids repeat across
/// turns), or else from the message's own `name`.
fn tool_result<'a>(
    message: &'a Message,
    earlier: &'a [Message],
) -> Result<FunctionResponse<'a>, GatewayError> {
    let call_id = message.tool_call_id.as_deref();
    let name = call_id
        .and_then(|id| {
            earlier
                .iter()
                .rev()
                .flat_map(|m| m.tool_calls.iter())
                .find(|call| call.id == id)
                .map(|call| call.name.as_str())
        })
        .or(message.name.as_deref())
        .ok_or_else(|| {
            GatewayError::invalid_param(
                "messages",
                format!(
                    "The tool result for call `{}` answers no earlier tool call and has no name.",
                    call_id.unwrap_or_default()
                ),
            )
        })?;
    Ok(FunctionResponse {
        name,
        response: tool_response_object(&message.joined_text(), message.is_error),
    })
}

/// Gemini's `response` must be an object: a JSON-object result is passed as is, anything else is
/// wrapped. Failures go under `error`, the key Gemini documents for error details.
pub fn tool_response_object(text: &str, is_error: bool) -> Value {
    if let Ok(Value::Object(object)) = serde_json::from_str(text) {
        return Value::Object(object);
    }
    let key = if is_error { "error" } else { "content" };
    Value::Object(Map::from_iter([(
        key.to_string(),
        Value::String(text.to_string()),
    )]))
}

fn tool_declarations(tools: &[Tool]) -> Vec<ToolDeclarations<'_>> {
    if tools.is_empty() {
        return Vec::new();
    }
    let function_declarations = tools
        .iter()
        .map(|tool| FunctionDeclaration {
            name: &tool.name,
            description: tool.description.as_deref(),
            parameters: Some(to_gemini_schema(&tool.parameters))
                .filter(|schema| !has_no_properties(schema)),
        })
        .collect();
    vec![ToolDeclarations {
        function_declarations,
    }]
}

fn tool_config(request: &ChatRequest) -> Option<ToolConfig<'_>> {
    if request.tools.is_empty() {
        return None;
    }
    let (mode, allowed_function_names) = match request.tool_choice.as_ref()? {
        ToolChoice::Auto => ("AUTO", Vec::new()),
        ToolChoice::None => ("NONE", Vec::new()),
        ToolChoice::Required => ("ANY", Vec::new()),
        ToolChoice::Named(name) => ("ANY", vec![name.as_str()]),
    };
    Some(ToolConfig {
        function_calling_config: FunctionCallingConfig {
            mode,
            allowed_function_names,
        },
    })
}

fn generation_config(request: &ChatRequest) -> GenerationConfig<'_> {
    let (response_mime_type, response_schema) = match &request.response_format {
        None | Some(ResponseFormat::Text) => (None, None),
        Some(ResponseFormat::JsonObject) => (Some("application/json"), None),
        Some(ResponseFormat::JsonSchema { schema, .. }) => {
            (Some("application/json"), Some(to_gemini_schema(schema)))
        }
    };
    GenerationConfig {
        max_output_tokens: request.max_tokens,
        temperature: request.temperature,
        top_p: request.top_p,
        top_k: request.top_k,
        stop_sequences: &request.stop,
        candidate_count: request.n,
        seed: request.seed,
        presence_penalty: request.presence_penalty,
        frequency_penalty: request.frequency_penalty,
        response_mime_type,
        response_schema,
        thinking_config: request
            .reasoning_effort
            .as_deref()
            .and_then(thinking_budget)
            .map(|thinking_budget| ThinkingConfig {
                thinking_budget,
                include_thoughts: true,
            }),
    }
}

/// OpenAI's `reasoning_effort` → a thinking budget in tokens. Unknown efforts (and `none`, which
/// some Gemini models cannot honour) leave the model's default.
fn thinking_budget(effort: &str) -> Option<u32> {
    match effort {
        "minimal" | "low" => Some(1024),
        "medium" => Some(8192),
        "high" => Some(24576),
        _ => None,
    }
}
