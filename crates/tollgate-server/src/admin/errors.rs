//! Admin API errors: `{"error":{"message","type","code","param"}}` with the right status.
//!
//! 400 names the field at fault (`param`); 401 bad or missing key; 403 the caller's role is too low
//! for something inside its own tenant; 404 unknown, or outside the caller's tenant (the two are
//! deliberately indistinguishable); 409 a uniqueness or still-referenced conflict. Store and other
//! internal causes are logged, never echoed.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Serialize;
use tollgate_store::StoreError;
use tollgate_types::{ErrorKind, GatewayError};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminError {
    pub status: StatusCode,
    pub message: String,
    /// The request field at fault, for validation errors.
    pub param: Option<String>,
}

/// The error body every admin endpoint answers with.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    pub message: String,
    /// `invalid_request_error`, `authentication_error`, `permission_error`, `not_found_error`,
    /// `conflict_error` or `api_error`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `invalid_field`, `invalid_api_key`, `forbidden`, `not_found`, `conflict` or
    /// `internal_error`.
    pub code: &'static str,
    /// The request field at fault, when there is one.
    pub param: Option<String>,
}

impl AdminError {
    fn new(status: StatusCode, message: impl Into<String>) -> AdminError {
        AdminError {
            status,
            message: message.into(),
            param: None,
        }
    }

    /// A 400 naming the field: the message starts with it, and `param` carries it.
    pub fn field(field: &str, problem: impl std::fmt::Display) -> AdminError {
        AdminError {
            status: StatusCode::BAD_REQUEST,
            message: format!("{field}: {problem}"),
            param: Some(field.to_string()),
        }
    }

    /// A 400 about the request as a whole (unreadable JSON, an empty body).
    pub fn bad_request(message: impl Into<String>) -> AdminError {
        AdminError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> AdminError {
        AdminError::new(StatusCode::UNAUTHORIZED, message)
    }

    pub fn forbidden(message: impl Into<String>) -> AdminError {
        AdminError::new(StatusCode::FORBIDDEN, message)
    }

    /// `what` is e.g. "key `key_0190…`".
    pub fn not_found(what: impl std::fmt::Display) -> AdminError {
        AdminError::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }

    pub fn conflict(message: impl Into<String>) -> AdminError {
        AdminError::new(StatusCode::CONFLICT, message)
    }

    pub fn internal() -> AdminError {
        AdminError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error; see the gateway's logs.",
        )
    }

    fn kind_and_code(&self) -> (&'static str, &'static str) {
        match self.status {
            StatusCode::BAD_REQUEST => ("invalid_request_error", "invalid_field"),
            StatusCode::UNAUTHORIZED => ("authentication_error", "invalid_api_key"),
            StatusCode::FORBIDDEN => ("permission_error", "forbidden"),
            StatusCode::NOT_FOUND => ("not_found_error", "not_found"),
            StatusCode::CONFLICT => ("conflict_error", "conflict"),
            _ => ("api_error", "internal_error"),
        }
    }

    pub fn body(&self) -> ErrorBody {
        let (kind, code) = self.kind_and_code();
        ErrorBody {
            error: ErrorDetail {
                message: self.message.clone(),
                kind,
                code,
                param: self.param.clone(),
            },
        }
    }
}

impl std::fmt::Display for AdminError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

impl From<StoreError> for AdminError {
    fn from(error: StoreError) -> AdminError {
        match error {
            // The store's own messages for these are written for callers (no SQL in them).
            StoreError::NotFound { entity, id } => {
                AdminError::not_found(format!("{entity} `{id}`"))
            }
            StoreError::Conflict(message) => AdminError::conflict(message),
            StoreError::Invalid(message) => AdminError::bad_request(message),
            other => {
                tracing::error!(error = %other, "admin API store call failed");
                AdminError::internal()
            }
        }
    }
}

impl From<GatewayError> for AdminError {
    fn from(error: GatewayError) -> AdminError {
        match error.kind {
            ErrorKind::Authentication => AdminError::unauthorized(error.message),
            ErrorKind::PermissionDenied => AdminError::forbidden(error.message),
            ErrorKind::InvalidRequest | ErrorKind::PayloadTooLarge => AdminError {
                status: StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST),
                message: error.message,
                param: error.param,
            },
            _ => AdminError::internal(),
        }
    }
}
