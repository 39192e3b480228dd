//! The canonical chat request.

use serde_json::{Map, Value};

/// The API dialect a caller speaks (and, for passthrough, the one an upstream speaks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    OpenAi,
    Anthropic,
}

/// One chat request, whatever dialect it arrived in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatRequest {
    /// The public model name the caller asked for (routing key).
    pub model: String,
    /// System prompts stay in the message list (role `System`), in order; adapters whose upstream
    /// wants a separate system field collect them.
    pub messages: Vec<Message>,
    pub tools: Vec<Tool>,
    pub tool_choice: Option<ToolChoice>,
    pub parallel_tool_calls: Option<bool>,
    pub response_format: Option<ResponseFormat>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub top_k: Option<u32>,
    /// Upper bound on generated tokens (OpenAI `max_completion_tokens` ?? `max_tokens`,
    /// Anthropic `max_tokens`).
    pub max_tokens: Option<u32>,
    pub stop: Vec<String>,
    /// Number of choices; `None` means one.
    pub n: Option<u32>,
    pub seed: Option<i64>,
    pub presence_penalty: Option<f64>,
    pub frequency_penalty: Option<f64>,
    /// End-user identifier (OpenAI `user`, Anthropic `metadata.user_id`).
    pub user: Option<String>,
    pub reasoning_effort: Option<String>,
    pub stream: bool,
    /// The caller asked for a usage chunk at the end of the stream (OpenAI
    /// `stream_options.include_usage`). Tollgate always asks upstreams for usage itself; this only
    /// decides whether the caller sees it.
    pub include_usage: bool,
    /// The caller's original JSON body, kept so an upstream speaking the same dialect can receive it
    /// nearly verbatim (unknown vendor parameters survive). Cleared by anything that rewrites the
    /// canonical fields (e.g. redaction), so the canonical form is then the source of truth.
    pub passthrough: Option<PassthroughBody>,
}

/// The caller's original body, for same-dialect forwarding.
#[derive(Debug, Clone, PartialEq)]
pub struct PassthroughBody {
    pub dialect: Dialect,
    pub body: Map<String, Value>,
}

impl ChatRequest {
    /// Passthrough body if the caller spoke `dialect`.
    pub fn passthrough_for(&self, dialect: Dialect) -> Option<&Map<String, Value>> {
        self.passthrough
            .as_ref()
            .filter(|p| p.dialect == dialect)
            .map(|p| &p.body)
    }

    /// The dialect the caller spoke, when known.
    pub fn caller_dialect(&self) -> Option<Dialect> {
        self.passthrough.as_ref().map(|p| p.dialect)
    }

    /// All text of the request (system, messages, tool results and tool-call arguments), for
    /// token estimates and guardrails.
    pub fn text_parts(&self) -> impl Iterator<Item = &str> {
        self.messages.iter().flat_map(|m| {
            m.content
                .iter()
                .filter_map(|p| match p {
                    ContentPart::Text { text } => Some(text.as_str()),
                    ContentPart::Image { .. } => None,
                })
                .chain(m.tool_calls.iter().map(|c| c.arguments.as_str()))
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Also OpenAI's `developer` role, which upstreams other than OpenAI do not know.
    System,
    User,
    Assistant,
    /// A tool result; `Message::tool_call_id` says which call it answers.
    Tool,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub role: Role,
    pub content: Vec<ContentPart>,
    /// Calls requested by an assistant turn.
    pub tool_calls: Vec<ToolCall>,
    /// For `Role::Tool`: the id of the call this result answers.
    pub tool_call_id: Option<String>,
    /// For `Role::Tool`: the tool's name when the dialect says it (Gemini matches results by name).
    pub name: Option<String>,
    /// For `Role::Tool`: the result reports a failure (Anthropic `is_error`).
    pub is_error: bool,
}

impl Message {
    pub fn text(role: Role, text: impl Into<String>) -> Self {
        Message {
            role,
            content: vec![ContentPart::Text { text: text.into() }],
            tool_calls: Vec::new(),
            tool_call_id: None,
            name: None,
            is_error: false,
        }
    }

    /// The text parts joined, images skipped.
    pub fn joined_text(&self) -> String {
        let mut out = String::new();
        for part in &self.content {
            if let ContentPart::Text { text } = part {
                out.push_str(text);
            }
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ContentPart {
    Text {
        text: String,
    },
    Image {
        source: ImageSource,
        /// OpenAI's `detail` (`auto|low|high`), kept for OpenAI upstreams.
        detail: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum ImageSource {
    Url(String),
    Base64 { media_type: String, data: String },
}

impl ImageSource {
    /// Parses an OpenAI `image_url.url`: a `data:<mime>;base64,<data>` URL becomes `Base64`.
    pub fn from_url(url: &str) -> Self {
        if let Some(rest) = url.strip_prefix("data:")
            && let Some((meta, data)) = rest.split_once(',')
            && let Some(media_type) = meta.strip_suffix(";base64")
        {
            return ImageSource::Base64 {
                media_type: media_type.to_string(),
                data: data.to_string(),
            };
        }
        ImageSource::Url(url.to_string())
    }

    /// The OpenAI form: a URL, or a data URL for inline bytes.
    pub fn to_url(&self) -> String {
        match self {
            ImageSource::Url(url) => url.clone(),
            ImageSource::Base64 { media_type, data } => format!("data:{media_type};base64,{data}"),
        }
    }
}

/// A tool call requested by the model.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    /// JSON text of the arguments (OpenAI's form); adapters whose wire wants an object parse it.
    pub arguments: String,
}

/// A function the model may call.
#[derive(Debug, Clone, PartialEq)]
pub struct Tool {
    pub name: String,
    pub description: Option<String>,
    /// JSON Schema of the arguments.
    pub parameters: Value,
    pub strict: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ToolChoice {
    Auto,
    None,
    /// The model must call some tool (OpenAI `required`, Anthropic `any`, Gemini `ANY`).
    Required,
    /// The model must call this tool.
    Named(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ResponseFormat {
    Text,
    JsonObject,
    JsonSchema {
        name: String,
        schema: Value,
        strict: Option<bool>,
    },
}
