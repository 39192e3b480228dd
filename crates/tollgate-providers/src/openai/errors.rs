//! Reading OpenAI-style failures: non-2xx bodies, `200` bodies that hold an error, and
//! `data: {"error":…}` in the middle of a stream. Every shape is tolerated (OpenAI's
//! `{"error":{message,type,code,param}}`, Azure's `innererror`, FastAPI's `{"detail":…}`,
//! `{"error":"text"}`, plain text), because a failure must never become a second failure.

use http::HeaderMap;
use serde_json::Value;
use tollgate_types::GatewayError;

use crate::upstream_error::{self, UpstreamFailure};

/// Longest upstream error text passed on to a caller; longer bodies are usually HTML pages.
const MAX_MESSAGE_CHARS: usize = 500;

/// Who failed, for error messages and key scrubbing. Owned, so a stream can carry it.
#[derive(Debug, Clone)]
pub(crate) struct ErrorScope {
    pub provider: String,
    pub api_key: Option<String>,
}

impl ErrorScope {
    /// The caller-facing error for a non-2xx answer.
    pub fn status_error(&self, status: u16, headers: &HeaderMap, body: &[u8]) -> GatewayError {
        upstream_error::from_status(
            &self.provider,
            status,
            headers,
            parse_failure(body),
            self.api_key.as_deref(),
        )
    }

    /// The error for an error object found inside a 2xx answer or a stream. Its status comes
    /// from a numeric `code` (OpenRouter writes the HTTP status there) or the error's kind.
    pub fn inline_error(&self, error: &Value) -> GatewayError {
        let failure = failure_from_error_value(error);
        let status = inline_status(error, failure.code.as_deref());
        upstream_error::from_status(
            &self.provider,
            status,
            &HeaderMap::new(),
            failure,
            self.api_key.as_deref(),
        )
    }

    pub fn unreadable(&self, detail: impl std::fmt::Display) -> GatewayError {
        crate::http::unreadable_body(&self.provider, detail)
    }
}

/// Message and code out of any error body.
pub(crate) fn parse_failure(body: &[u8]) -> UpstreamFailure {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return UpstreamFailure {
            message: non_empty(truncate(String::from_utf8_lossy(body).trim())),
            code: None,
        };
    };
    if let Some(error) = value.get("error") {
        let mut failure = failure_from_error_value(error);
        if failure.message.is_none() {
            failure.message = value.get("message").and_then(text_of);
        }
        return failure;
    }
    let message = value
        .get("message")
        .or_else(|| value.get("detail"))
        .and_then(text_of)
        .or_else(|| non_empty(truncate(&value.to_string())));
    UpstreamFailure {
        message,
        code: value
            .get("code")
            .or_else(|| value.get("type"))
            .and_then(code_of),
    }
}

/// The `error` member: an object (OpenAI, Azure) or a bare string.
pub(crate) fn failure_from_error_value(error: &Value) -> UpstreamFailure {
    match error {
        Value::Object(object) => {
            let code = object
                .get("code")
                .and_then(code_of)
                .or_else(|| object.get("type").and_then(code_of))
                .or_else(|| {
                    object
                        .get("innererror")
                        .and_then(|inner| inner.get("code"))
                        .and_then(code_of)
                });
            UpstreamFailure {
                message: object.get("message").and_then(text_of),
                code,
            }
        }
        other => UpstreamFailure {
            message: text_of(other),
            code: None,
        },
    }
}

fn inline_status(error: &Value, code: Option<&str>) -> u16 {
    if let Some(status) = error.get("code").and_then(Value::as_u64)
        && (400..=599).contains(&status)
    {
        return status as u16;
    }
    match code {
        Some("rate_limit_exceeded" | "insufficient_quota" | "rate_limit_error") => 429,
        Some("invalid_request_error" | "context_length_exceeded") => 400,
        _ => 500,
    }
}

/// A human-readable text for a JSON value: strings as they are, anything else compact.
fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(text) => non_empty(truncate(text.trim())),
        other => non_empty(truncate(&other.to_string())),
    }
}

/// Codes are strings in OpenAI's shape and numbers in OpenRouter's.
fn code_of(value: &Value) -> Option<String> {
    match value {
        Value::String(code) if !code.is_empty() => Some(code.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

fn truncate(text: &str) -> String {
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

fn non_empty(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}
