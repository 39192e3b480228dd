//! Maps an upstream's failure answer to a [`GatewayError`], the same way for every provider.
//!
//! Policy: the caller's own mistakes that the upstream caught (400, 404, 413, 422) keep their status
//! and the provider's message. A 401/403 from the upstream means *Tollgate's* credentials are wrong,
//! not the caller's, so it becomes a 502 (the caller's key is fine). 429 stays 429 and may be retried
//! elsewhere, except an exhausted quota. 5xx and Anthropic's 529 "overloaded" are retryable.

use std::time::Duration;

use http::HeaderMap;
use tollgate_types::{ErrorKind, GatewayError};

/// What an adapter extracted from an upstream error body.
#[derive(Debug, Default, Clone)]
pub struct UpstreamFailure {
    pub message: Option<String>,
    /// The provider's error code or type (`rate_limit_exceeded`, `overloaded_error`, …).
    pub code: Option<String>,
}

/// Builds the caller-facing error for an upstream's non-2xx answer.
pub fn from_status(
    provider: &str,
    status: u16,
    headers: &HeaderMap,
    failure: UpstreamFailure,
    api_key: Option<&str>,
) -> GatewayError {
    let detail = failure
        .message
        .map(|message| scrub_secrets(&message, api_key))
        .unwrap_or_else(|| format!("HTTP {status}"));
    let code = if is_context_overflow(failure.code.as_deref(), &detail) {
        Some(CONTEXT_LENGTH_EXCEEDED.to_string())
    } else {
        failure.code
    };
    let message = format!("Upstream `{provider}` answered {status}: {detail}");
    let retry_after = retry_after(headers);
    let error = match status {
        400 | 422 => GatewayError::new(
            ErrorKind::InvalidRequest,
            tollgate_types::ErrorSource::Upstream,
            message,
        ),
        404 => GatewayError::new(
            ErrorKind::NotFound,
            tollgate_types::ErrorSource::Upstream,
            message,
        ),
        413 => GatewayError::new(
            ErrorKind::PayloadTooLarge,
            tollgate_types::ErrorSource::Upstream,
            message,
        ),
        401 | 403 => GatewayError::upstream(ErrorKind::UpstreamError, message)
            .with_retryable(false)
            .with_code("upstream_authentication_error"),
        408 => GatewayError::upstream(ErrorKind::UpstreamTimeout, message),
        429 => {
            let quota_exhausted = code.as_deref() == Some("insufficient_quota");
            GatewayError::upstream(ErrorKind::RateLimited, message)
                .with_retryable(!quota_exhausted)
                .with_code(if quota_exhausted {
                    "insufficient_quota"
                } else {
                    "rate_limit_exceeded"
                })
        }
        503 | 529 => GatewayError::upstream(ErrorKind::UpstreamUnavailable, message)
            .with_code("upstream_overloaded"),
        504 => GatewayError::upstream(ErrorKind::UpstreamTimeout, message),
        409 | 500..=599 => GatewayError::upstream(ErrorKind::UpstreamError, message),
        _ => GatewayError::upstream(ErrorKind::UpstreamError, message).with_retryable(false),
    };
    let error = error.with_retry_after(retry_after);
    match (error.code.is_none(), code) {
        (true, Some(code)) => error.with_code(code),
        _ => error,
    }
}

/// The code a request too long for the model's context window gets, whatever the provider said, so
/// the router can send it to a larger-context model.
pub const CONTEXT_LENGTH_EXCEEDED: &str = "context_length_exceeded";

/// OpenAI says `context_length_exceeded`; Anthropic "prompt is too long"; Gemini "exceeds the
/// maximum number of tokens"; compatible servers use variants of "maximum context length".
fn is_context_overflow(code: Option<&str>, message: &str) -> bool {
    if code == Some(CONTEXT_LENGTH_EXCEEDED) {
        return true;
    }
    let message = message.to_ascii_lowercase();
    [
        "context length",
        "context window",
        "prompt is too long",
        "exceeds the maximum number of tokens",
        "input is too long",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}

/// `retry-after-ms` (OpenAI, Azure) is preferred to `retry-after` (seconds or an HTTP date; only the
/// seconds form is honoured, dates are rare upstream and would need a clock to be trusted).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_millis(ms as u64));
    }
    header("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// Removes the gateway's provider key, and anything shaped like an API key, from an upstream
/// message before it reaches a caller (OpenAI echoes part of a wrong key back).
pub fn scrub_secrets(message: &str, api_key: Option<&str>) -> String {
    let mut text = match api_key {
        Some(key) if key.len() >= 4 => message.replace(key, "*****"),
        _ => message.to_string(),
    };
    for prefix in ["sk-", "sk_", "AIza", "xai-", "gsk_"] {
        text = mask_tokens_with_prefix(&text, prefix);
    }
    text
}

fn mask_tokens_with_prefix(text: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(prefix) {
        let starts_word = rest[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_ascii_alphanumeric());
        let token_len = rest[at..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '*' | '.')))
            .unwrap_or(rest.len() - at);
        // A sentence's full stop after a key is not part of the key.
        let token_len = rest[at..at + token_len].trim_end_matches('.').len();
        out.push_str(&rest[..at]);
        if starts_word && token_len >= prefix.len() + 6 {
            out.push_str(prefix);
            out.push_str("*****");
        } else {
            out.push_str(&rest[at..at + token_len]);
        }
        rest = &rest[at + token_len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_the_provider_key_and_key_shaped_tokens() {
        let text = "Incorrect API key provided: sk-proj-abcd****wxyz. Key secret-123456 bad";
        let scrubbed = scrub_secrets(text, Some("secret-123456"));
        assert_eq!(
            scrubbed,
            "Incorrect API key provided: sk-*****. Key ***** bad"
        );
        assert_eq!(scrub_secrets("task-done", None), "task-done");
    }

    #[test]
    fn context_overflow_is_recognised_in_every_providers_words() {
        for message in [
            "This model's maximum context length is 128000 tokens.",
            "prompt is too long: 250000 tokens > 200000 maximum",
            "The input token count (2000000) exceeds the maximum number of tokens allowed (1048576).",
        ] {
            let failure = UpstreamFailure {
                message: Some(message.into()),
                code: Some("invalid_request_error".into()),
            };
            let error = from_status("p", 400, &HeaderMap::new(), failure, None);
            assert_eq!(
                error.code.as_deref(),
                Some(CONTEXT_LENGTH_EXCEEDED),
                "{message}"
            );
            assert!(!error.retryable);
        }
    }

    #[test]
    fn upstream_auth_failure_is_a_gateway_problem_not_the_callers() {
        let error = from_status(
            "openai",
            401,
            &HeaderMap::new(),
            UpstreamFailure::default(),
            None,
        );
        assert_eq!(error.status, 502);
        assert!(!error.retryable);
    }

    #[test]
    fn rate_limits_keep_retry_after_and_quota_is_final() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", http::HeaderValue::from_static("2"));
        let limited = from_status("a", 429, &headers, UpstreamFailure::default(), None);
        assert_eq!(limited.status, 429);
        assert!(limited.retryable);
        assert_eq!(limited.retry_after, Some(Duration::from_secs(2)));
        let quota = UpstreamFailure {
            message: None,
            code: Some("insufficient_quota".into()),
        };
        assert!(!from_status("a", 429, &headers, quota, None).retryable);
        let overloaded = from_status("a", 529, &headers, UpstreamFailure::default(), None);
        assert_eq!((overloaded.status, overloaded.retryable), (503, true));
    }
}
