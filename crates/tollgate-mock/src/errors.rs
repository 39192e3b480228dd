//! Error answers in each provider's own shape and status conventions.

use axum::response::Response;
use http::StatusCode;
use serde::Serialize;
use serde_json::{Value, json};

use crate::Flavour;
use crate::headers::{rate_limited, request_id};
use crate::respond::{self, to_bytes};
use crate::sse::SseItem;

/// What went wrong, independent of how a provider phrases it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    BadRequest,
    Unauthorized,
    NotFound,
    MethodNotAllowed,
    RateLimited,
    ServerError,
    /// Anthropic's 529; 503 everywhere else.
    Overloaded,
}

impl ErrorKind {
    fn status(self, flavour: Flavour) -> StatusCode {
        match self {
            ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
            ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            // Google frontends answer an unknown method/path pair with 404.
            ErrorKind::MethodNotAllowed if flavour == Flavour::Gemini => StatusCode::NOT_FOUND,
            ErrorKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorKind::Overloaded if flavour == Flavour::Anthropic => overloaded_529(),
            ErrorKind::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

fn overloaded_529() -> StatusCode {
    StatusCode::from_u16(529).unwrap_or(StatusCode::SERVICE_UNAVAILABLE)
}

/// The flavour's error answer for a kind of failure.
pub(crate) fn error(flavour: Flavour, seq: u64, kind: ErrorKind, message: &str) -> Response {
    error_status(flavour, seq, kind.status(flavour), message)
}

/// The flavour's error answer for any status.
pub(crate) fn error_status(
    flavour: Flavour,
    seq: u64,
    status: StatusCode,
    message: &str,
) -> Response {
    let code = status.as_u16();
    let body = match flavour {
        Flavour::OpenAi | Flavour::Bench => to_bytes(&openai_body(code, message)),
        // OpenRouter's own shape: a numeric `code`, no `type`.
        Flavour::OpenRouter => to_bytes(&OpenRouterError {
            error: OpenRouterBody { message, code },
        }),
        // Azure's gateway errors carry the status as a string code; 400s come from the model
        // service in the OpenAI shape.
        Flavour::Azure if code == 400 => to_bytes(&openai_body(code, message)),
        Flavour::Azure => to_bytes(&AzureError {
            error: AzureBody {
                code: code.to_string(),
                message,
            },
        }),
        Flavour::Anthropic => to_bytes(&AnthropicError {
            kind: "error",
            error: AnthropicBody {
                kind: anthropic_type(code),
                message,
            },
            request_id: request_id(seq),
        }),
        Flavour::Gemini => to_bytes(&gemini_body(code, message)),
    };
    let content_type = if flavour == Flavour::Gemini {
        respond::GOOGLE_JSON
    } else {
        respond::JSON
    };
    let mut response = respond::bytes(status, content_type, body);
    if code == 429 {
        rate_limited(flavour, response.headers_mut());
    }
    response
}

#[derive(Serialize)]
struct OpenAiError<'a> {
    error: OpenAiBody<'a>,
}

#[derive(Serialize)]
struct OpenAiBody<'a> {
    message: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    param: Option<&'static str>,
    code: Option<&'static str>,
}

#[derive(Serialize)]
struct OpenRouterError<'a> {
    error: OpenRouterBody<'a>,
}

#[derive(Serialize)]
struct OpenRouterBody<'a> {
    message: &'a str,
    code: u16,
}

#[derive(Serialize)]
struct AzureError<'a> {
    error: AzureBody<'a>,
}

#[derive(Serialize)]
struct AzureBody<'a> {
    code: String,
    message: &'a str,
}

#[derive(Serialize)]
struct AnthropicError<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    error: AnthropicBody<'a>,
    request_id: String,
}

#[derive(Serialize)]
struct AnthropicBody<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    message: &'a str,
}

#[derive(Serialize)]
struct GeminiError<'a> {
    error: GeminiBody<'a>,
}

#[derive(Serialize)]
struct GeminiBody<'a> {
    code: u16,
    message: &'a str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<Value>,
}

fn openai_body(code: u16, message: &str) -> OpenAiError<'_> {
    let (kind, error_code) = match code {
        401 => ("invalid_request_error", Some("invalid_api_key")),
        403 => (
            "invalid_request_error",
            Some("unsupported_country_region_territory"),
        ),
        429 => ("requests", Some("rate_limit_exceeded")),
        500..=599 => ("server_error", None),
        _ => ("invalid_request_error", None),
    };
    OpenAiError {
        error: OpenAiBody {
            message,
            kind,
            param: None,
            code: error_code,
        },
    }
}

fn anthropic_type(code: u16) -> &'static str {
    match code {
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        500..=599 => "api_error",
        _ => "invalid_request_error",
    }
}

fn gemini_body(code: u16, message: &str) -> GeminiError<'_> {
    let status = match code {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        500 => "INTERNAL",
        501 => "UNIMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "UNKNOWN",
    };
    let details = match code {
        429 => Some(json!([{
            "@type": "type.googleapis.com/google.rpc.RetryInfo",
            "retryDelay": "1s",
        }])),
        401 => Some(json!([{
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
        }])),
        _ => None,
    };
    GeminiError {
        error: GeminiBody {
            code,
            message,
            status,
            details,
        },
    }
}

/// The standard message for a fault-driven or auth failure of each kind.
pub(crate) fn default_message(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::BadRequest => "Invalid request (mock fault).",
        ErrorKind::Unauthorized => "Incorrect API key provided.",
        ErrorKind::NotFound => "Not found.",
        ErrorKind::MethodNotAllowed => "Method not allowed.",
        ErrorKind::RateLimited => "Rate limit reached for requests. Please try again in 1s.",
        ErrorKind::ServerError => "The server had an error while processing your request.",
        ErrorKind::Overloaded => "Overloaded",
    }
}

/// The in-band error a provider sends when a stream fails after its 200 was sent.
pub(crate) fn stream_error_event(flavour: Flavour) -> SseItem {
    let message = default_message(ErrorKind::ServerError);
    match flavour {
        // The stream form of an Anthropic error has no request_id.
        Flavour::Anthropic => SseItem::named(
            "error",
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
                .to_owned(),
            false,
        ),
        Flavour::OpenRouter => data_item(&OpenRouterError {
            error: OpenRouterBody { message, code: 500 },
        }),
        Flavour::Gemini => data_item(&gemini_body(500, message)),
        Flavour::OpenAi | Flavour::Azure | Flavour::Bench => data_item(&openai_body(500, message)),
    }
}

fn data_item<T: Serialize>(body: &T) -> SseItem {
    SseItem::data(String::from_utf8_lossy(&to_bytes(body)).into_owned())
}
