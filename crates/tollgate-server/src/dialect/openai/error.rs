//! Errors in OpenAI's shape: `{"error":{"message","type","param","code"}}`.

use bytes::Bytes;
use serde::Serialize;
use tollgate_types::{ErrorKind, GatewayError};

use super::response::to_body;

#[derive(Serialize)]
pub(super) struct ErrorEnvelope<'a> {
    error: ErrorOut<'a>,
}

#[derive(Serialize)]
struct ErrorOut<'a> {
    message: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    param: Option<&'a str>,
    code: Option<&'a str>,
}

impl<'a> ErrorEnvelope<'a> {
    pub fn new(error: &'a GatewayError) -> Self {
        ErrorEnvelope {
            error: ErrorOut {
                message: &error.message,
                kind: error_type(error),
                param: error.param.as_deref(),
                code: error.code.as_deref(),
            },
        }
    }
}

pub fn render_error(error: &GatewayError) -> Bytes {
    to_body(&ErrorEnvelope::new(error))
}

/// The `type` the OpenAI SDKs and their users expect for each kind of failure.
pub(super) fn error_type(error: &GatewayError) -> &'static str {
    match error.kind {
        ErrorKind::InvalidRequest | ErrorKind::PayloadTooLarge => "invalid_request_error",
        ErrorKind::Authentication => "authentication_error",
        ErrorKind::PermissionDenied => "permission_error",
        ErrorKind::NotFound => "not_found_error",
        ErrorKind::RateLimited if is_quota(error.code.as_deref()) => "insufficient_quota",
        ErrorKind::RateLimited => "rate_limit_error",
        ErrorKind::UpstreamTimeout => "timeout_error",
        ErrorKind::UpstreamUnavailable | ErrorKind::UpstreamError => "api_error",
        ErrorKind::Internal => "server_error",
    }
}

/// Money ran out rather than a rate: retrying soon will not help (OpenAI's `insufficient_quota`).
fn is_quota(code: Option<&str>) -> bool {
    code.is_some_and(|code| {
        code.contains("quota") || code.contains("budget") || code.contains("credit")
    })
}
