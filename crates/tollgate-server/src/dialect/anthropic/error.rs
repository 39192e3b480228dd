//! [`GatewayError`] → Anthropic's error body. The status is `error.status`; the `type` is what the
//! official Anthropic SDKs expect beside that status.

use bytes::Bytes;
use serde::Serialize;
use tollgate_types::{ErrorKind, GatewayError};

use super::response::to_json_bytes;

pub fn render_error(error: &GatewayError) -> Bytes {
    to_json_bytes(&ErrorBody::new(error))
}

/// `{"type":"error","error":{"type","message"}}`, also the data of a stream's `error` event.
#[derive(Serialize)]
pub(super) struct ErrorBody<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    message: &'a str,
}

impl<'a> ErrorBody<'a> {
    pub(super) fn new(error: &'a GatewayError) -> Self {
        ErrorBody {
            kind: "error",
            error: ErrorDetail {
                kind: error_type(error.kind),
                message: &error.message,
            },
        }
    }
}

pub(super) fn error_type(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidRequest => "invalid_request_error",
        ErrorKind::Authentication => "authentication_error",
        ErrorKind::PermissionDenied => "permission_error",
        ErrorKind::NotFound => "not_found_error",
        ErrorKind::PayloadTooLarge => "request_too_large",
        ErrorKind::RateLimited => "rate_limit_error",
        ErrorKind::UpstreamUnavailable => "overloaded_error",
        ErrorKind::UpstreamTimeout | ErrorKind::UpstreamError | ErrorKind::Internal => "api_error",
    }
}
