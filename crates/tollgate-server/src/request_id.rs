//! The id that follows a request through logs, headers and (later) the spend log.

use http::HeaderMap;

/// The caller's `x-request-id` when it is a sane token, else a fresh UUIDv7 (time-ordered, so ids
/// sort by arrival in logs and tables).
pub fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|id| {
            !id.is_empty()
                && id.len() <= 128
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string())
}
