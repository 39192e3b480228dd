//! Reading a request body with a size limit.

use axum::body::Body;
use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use tollgate_types::GatewayError;

/// Reads the whole body, failing with 413 once it passes `limit` bytes (checked while reading, so
/// an oversize body is never buffered whole).
pub async fn read_limited(body: Body, limit: usize) -> Result<Bytes, GatewayError> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => {
            Err(GatewayError::payload_too_large(limit))
        }
        Err(_) => Err(GatewayError::invalid_request(
            "The request body could not be read.",
        )),
    }
}
