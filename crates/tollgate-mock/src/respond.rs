//! Small helpers to build answers.

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderValue};
use serde::Serialize;

pub(crate) const JSON: &str = "application/json";
/// Google's frontends name the charset; parsers must accept media-type parameters.
pub(crate) const GOOGLE_JSON: &str = "application/json; charset=UTF-8";

pub(crate) fn bytes(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response {
    let mut response = Response::new(Body::from(body.into()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Serializes one of the mock's own wire structs. They contain no maps with non-string keys, so
/// serialization cannot fail in practice; if it ever did, say so instead of panicking.
pub(crate) fn to_bytes<T: Serialize>(value: &T) -> Bytes {
    match serde_json::to_vec(value) {
        Ok(body) => Bytes::from(body),
        Err(e) => Bytes::from(format!(
            "{{\"error\":\"mock could not serialize its answer: {e}\"}}"
        )),
    }
}

pub(crate) fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    bytes(status, JSON, to_bytes(value))
}
