//! Anthropic failures (an HTTP error answer, or an `error` event mid-stream) → [`GatewayError`],
//! both through the shared policy of [`crate::upstream_error`].

use http::HeaderMap;
use tollgate_types::GatewayError;

use super::wire::{ErrorBody, ErrorEnvelope};
use crate::upstream_error::{self, UpstreamFailure};

/// Who failed and which key to keep out of messages.
#[derive(Debug, Clone)]
pub struct ErrorContext {
    pub provider: String,
    pub api_key: Option<String>,
}

impl ErrorContext {
    /// A non-2xx answer; `body` is whatever could be read of it.
    pub fn http_failure(&self, status: u16, headers: &HeaderMap, body: &[u8]) -> GatewayError {
        let failure = serde_json::from_slice::<ErrorEnvelope>(body)
            .map(|envelope| failure(envelope.error))
            .unwrap_or_default();
        upstream_error::from_status(
            &self.provider,
            status,
            headers,
            failure,
            self.api_key.as_deref(),
        )
    }

    /// An `event: error` after the stream began: the status it would have had as an HTTP answer
    /// decides kind and retryability, so `overloaded_error` is a retryable 503 either way.
    pub fn stream_failure(&self, error: ErrorBody) -> GatewayError {
        let status = status_of_error_type(error.kind.as_deref());
        upstream_error::from_status(
            &self.provider,
            status,
            &HeaderMap::new(),
            failure(error),
            self.api_key.as_deref(),
        )
    }
}

fn failure(error: ErrorBody) -> UpstreamFailure {
    UpstreamFailure {
        message: error.message,
        code: error.kind,
    }
}

/// The HTTP status Anthropic pairs with each `error.type` (providers.md §2.4).
fn status_of_error_type(kind: Option<&str>) -> u16 {
    match kind {
        Some("invalid_request_error") => 400,
        Some("authentication_error") => 401,
        Some("billing_error") => 402,
        Some("permission_error") => 403,
        Some("not_found_error") => 404,
        Some("request_too_large") => 413,
        Some("rate_limit_error") => 429,
        Some("timeout_error") => 504,
        Some("overloaded_error") => 529,
        _ => 500,
    }
}
