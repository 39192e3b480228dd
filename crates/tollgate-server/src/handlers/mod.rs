//! Route handlers, one file per endpoint family.

pub mod chat;
pub mod embeddings;
pub mod health;
pub mod models;

use axum::response::Response;
use http::HeaderMap;
use tollgate_types::{Dialect, ErrorKind, ErrorSource, GatewayError};

use crate::respond::{self, GatewayHeaders};

/// Unknown paths: a 404 in OpenAI's error shape (the dialect most clients speak).
pub async fn not_found(headers: HeaderMap, uri: http::Uri) -> Response {
    let error = GatewayError::new(
        ErrorKind::NotFound,
        ErrorSource::Client,
        format!("Unknown route `{}`.", uri.path()),
    )
    .with_code("unknown_route");
    respond::error(Dialect::OpenAi, &error, &GatewayHeaders::for_call(&headers))
}
