//! The one error type of the request path.
//!
//! It carries what policy needs (what kind of failure, who caused it, whether another attempt may
//! help) and what rendering needs (status, a message safe to show the caller, a machine code). Each
//! inbound dialect renders it once, at the edge, in its own error shape.

use std::time::Duration;

/// What went wrong, at the granularity callers and metrics care about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Malformed or invalid request (400).
    InvalidRequest,
    /// Missing or bad key (401).
    Authentication,
    /// The key may not do this (403).
    PermissionDenied,
    /// Unknown model or route (404).
    NotFound,
    /// Body over the configured limit (413).
    PayloadTooLarge,
    /// Rate limit, quota or budget (429); `code` says which.
    RateLimited,
    /// The upstream did not answer in time (504).
    UpstreamTimeout,
    /// The upstream could not be reached or is overloaded (503).
    UpstreamUnavailable,
    /// The upstream answered with a failure or with something unreadable (502).
    UpstreamError,
    /// A bug or an unavailable dependency inside Tollgate (500).
    Internal,
}

impl ErrorKind {
    pub fn default_status(self) -> u16 {
        match self {
            ErrorKind::InvalidRequest => 400,
            ErrorKind::Authentication => 401,
            ErrorKind::PermissionDenied => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::PayloadTooLarge => 413,
            ErrorKind::RateLimited => 429,
            ErrorKind::UpstreamTimeout => 504,
            ErrorKind::UpstreamUnavailable => 503,
            ErrorKind::UpstreamError => 502,
            ErrorKind::Internal => 500,
        }
    }

    /// Low-cardinality label for metrics and logs.
    pub fn as_label(self) -> &'static str {
        match self {
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::Authentication => "authentication",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::NotFound => "not_found",
            ErrorKind::PayloadTooLarge => "payload_too_large",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::UpstreamTimeout => "upstream_timeout",
            ErrorKind::UpstreamUnavailable => "upstream_unavailable",
            ErrorKind::UpstreamError => "upstream_error",
            ErrorKind::Internal => "internal",
        }
    }
}

/// Who caused the failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorSource {
    Client,
    Upstream,
    Internal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GatewayError {
    pub kind: ErrorKind,
    pub source: ErrorSource,
    /// HTTP status to answer with.
    pub status: u16,
    /// Safe to show the caller: never an internal cause (SQL, Redis) and never a provider key.
    pub message: String,
    /// Machine-readable code (`invalid_api_key`, `model_not_found`, `rate_limit_exceeded`, …).
    pub code: Option<String>,
    /// The request field at fault, when there is one (OpenAI `param`).
    pub param: Option<String>,
    /// Another attempt (same or another deployment) may succeed.
    pub retryable: bool,
    /// How long the upstream asked us to wait (`retry-after`, `retry-after-ms`).
    pub retry_after: Option<Duration>,
}

impl GatewayError {
    pub fn new(kind: ErrorKind, source: ErrorSource, message: impl Into<String>) -> Self {
        GatewayError {
            kind,
            source,
            status: kind.default_status(),
            message: message.into(),
            code: None,
            param: None,
            retryable: false,
            retry_after: None,
        }
    }

    /// A 400 caused by the caller's request.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        GatewayError::new(ErrorKind::InvalidRequest, ErrorSource::Client, message)
    }

    /// A 400 naming the offending field.
    pub fn invalid_param(param: impl Into<String>, message: impl Into<String>) -> Self {
        GatewayError::invalid_request(message).with_param(param)
    }

    pub fn authentication(message: impl Into<String>) -> Self {
        GatewayError::new(ErrorKind::Authentication, ErrorSource::Client, message)
            .with_code("invalid_api_key")
    }

    pub fn permission_denied(message: impl Into<String>) -> Self {
        GatewayError::new(ErrorKind::PermissionDenied, ErrorSource::Client, message)
    }

    pub fn model_not_found(model: &str) -> Self {
        // Echo at most a short prefix: the name is caller input and may be megabytes long.
        let model = match model.char_indices().nth(128) {
            Some((cut, _)) => format!("{}…", &model[..cut]),
            None => model.to_string(),
        };
        GatewayError::new(
            ErrorKind::NotFound,
            ErrorSource::Client,
            format!("The model `{model}` does not exist or you do not have access to it."),
        )
        .with_code("model_not_found")
        .with_param("model")
    }

    pub fn payload_too_large(limit_bytes: usize) -> Self {
        GatewayError::new(
            ErrorKind::PayloadTooLarge,
            ErrorSource::Client,
            format!("Request body is larger than the limit of {limit_bytes} bytes."),
        )
        .with_code("request_too_large")
    }

    /// A failure inside Tollgate. The caller sees a generic message; log the cause where it
    /// happens, never put it in the message.
    pub fn internal() -> Self {
        GatewayError::new(
            ErrorKind::Internal,
            ErrorSource::Internal,
            "Internal error in the gateway.",
        )
    }

    /// An upstream failure of the given kind; `retryable` per the retry policy.
    pub fn upstream(kind: ErrorKind, message: impl Into<String>) -> Self {
        let retryable = matches!(
            kind,
            ErrorKind::UpstreamTimeout
                | ErrorKind::UpstreamUnavailable
                | ErrorKind::UpstreamError
                | ErrorKind::RateLimited
        );
        GatewayError {
            retryable,
            ..GatewayError::new(kind, ErrorSource::Upstream, message)
        }
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    pub fn with_param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    pub fn with_retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }

    pub fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.retry_after = retry_after;
        self
    }
}

impl std::fmt::Display for GatewayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.kind.as_label(),
            self.status,
            self.message
        )
    }
}

// Implemented by hand: a field named `source` means something else to `thiserror`.
impl std::error::Error for GatewayError {}
