//! Gemini's error answers → [`GatewayError`], through the shared upstream policy.

use std::time::Duration;

use http::HeaderMap;
use serde_json::Value;
use tollgate_types::GatewayError;

use super::wire::{ErrorBody, ErrorEnvelope};
use crate::upstream_error::{self, UpstreamFailure};

/// Maps a non-2xx answer (or an error object inside a stream) to the caller-facing error.
pub fn upstream_failure(
    provider: &str,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    api_key: Option<&str>,
) -> GatewayError {
    from_error_body(provider, status, headers, parse_error_body(body), api_key)
}

/// Maps an already parsed error body.
pub fn from_error_body(
    provider: &str,
    status: u16,
    headers: &HeaderMap,
    error: ErrorBody,
    api_key: Option<&str>,
) -> GatewayError {
    let status = effective_status(status, &error);
    let retry_delay = retry_delay(&error.details);
    let failure = UpstreamFailure {
        message: error.message,
        code: error.status,
    };
    let mapped = upstream_error::from_status(provider, status, headers, failure, api_key);
    if mapped.retry_after.is_none() && status == 429 {
        mapped.with_retry_after(retry_delay)
    } else {
        mapped
    }
}

/// Google's envelope; some endpoints wrap it in a one-element array.
pub fn parse_error_body(body: &[u8]) -> ErrorBody {
    if let Ok(envelope) = serde_json::from_slice::<ErrorEnvelope>(body) {
        return envelope.error;
    }
    serde_json::from_slice::<Vec<ErrorEnvelope>>(body)
        .ok()
        .and_then(|list| list.into_iter().next())
        .map(|envelope| envelope.error)
        .unwrap_or_default()
}

/// Gemini answers a wrong or expired API key with 400 `INVALID_ARGUMENT` (reason
/// `API_KEY_INVALID`), which the shared policy would blame on the caller. It is Tollgate's own
/// credential that is wrong, so it is treated as the 401 it means.
fn effective_status(status: u16, error: &ErrorBody) -> u16 {
    let key_rejected = error.details.iter().any(|detail| {
        matches!(
            detail.get("reason").and_then(Value::as_str),
            Some("API_KEY_INVALID" | "API_KEY_EXPIRED")
        )
    }) || error
        .message
        .as_deref()
        .is_some_and(|message| message.contains("API key not valid"));
    if status == 400 && key_rejected {
        401
    } else {
        status
    }
}

/// The `retryDelay` of a `google.rpc.RetryInfo` detail (`"3s"`, `"0.5s"`), which Gemini sends with
/// 429s instead of a `retry-after` header.
fn retry_delay(details: &[Value]) -> Option<Duration> {
    details
        .iter()
        .filter(|detail| {
            detail
                .get("@type")
                .and_then(Value::as_str)
                .is_some_and(|kind| kind.ends_with("google.rpc.RetryInfo"))
        })
        .find_map(|detail| detail.get("retryDelay").and_then(Value::as_str))
        .and_then(parse_proto_duration)
}

/// Parses protobuf's JSON duration form: decimal seconds followed by `s`.
pub fn parse_proto_duration(text: &str) -> Option<Duration> {
    let seconds: f64 = text.trim().strip_suffix('s')?.parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(86_400.0)))
}
