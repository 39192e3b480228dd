//! The id that follows a request through logs, headers and the spend log.
//!
//! A gateway call (`/v1/...`) always gets Tollgate's own id: it keys the call's budget
//! reservation and its spend row, so it must be unique, and a caller's header cannot promise
//! that (two calls sending the same `x-request-id` would share one reservation, and the second
//! spend row would be dropped as a duplicate). The caller's own id, from `x-client-request-id`
//! (OpenAI's name for it) or `x-request-id`, is kept beside it for correlation: echoed in
//! `x-client-request-id` and stored in the spend row's `client_request_id`.

use http::HeaderMap;

/// Tollgate's id and the caller's, of one gateway call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallIds {
    /// Unique per call: a fresh UUIDv7 (time-ordered, so ids sort by arrival in logs and tables).
    pub request_id: String,
    /// The caller's own id, when it sent a sane one; not unique.
    pub client_request_id: Option<String>,
}

/// The ids of a gateway call.
pub fn call_ids(headers: &HeaderMap) -> CallIds {
    CallIds {
        request_id: fresh(),
        client_request_id: caller_id(headers, "x-client-request-id")
            .or_else(|| caller_id(headers, "x-request-id"))
            .map(str::to_string),
    }
}

/// An admin call's id: the caller's `x-request-id` when it is a sane token (an operator's script
/// correlates its changes with audit events by it), else a fresh UUIDv7.
pub fn request_id(headers: &HeaderMap) -> String {
    caller_id(headers, "x-request-id").map_or_else(fresh, str::to_string)
}

fn fresh() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The header's value when it is a sane token: 1 to 128 characters of `[A-Za-z0-9-_.:]`.
fn caller_id<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|id| {
            !id.is_empty()
                && id.len() <= 128
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn a_call_always_gets_its_own_unique_id() {
        let sent = headers(&[("x-request-id", "same-id")]);
        let (a, b) = (call_ids(&sent), call_ids(&sent));
        assert_ne!(a.request_id, b.request_id);
        assert_ne!(a.request_id, "same-id");
        assert_eq!(a.client_request_id.as_deref(), Some("same-id"));
    }

    #[test]
    fn the_client_id_prefers_x_client_request_id_and_drops_odd_values() {
        let both = headers(&[("x-request-id", "a"), ("x-client-request-id", "b")]);
        assert_eq!(call_ids(&both).client_request_id.as_deref(), Some("b"));
        let odd = headers(&[("x-request-id", "has space"), ("x-client-request-id", "")]);
        assert_eq!(call_ids(&odd).client_request_id, None);
        let long = "x".repeat(129);
        assert_eq!(
            call_ids(&headers(&[("x-request-id", &long)])).client_request_id,
            None
        );
    }

    #[test]
    fn an_admin_call_keeps_a_sane_caller_id() {
        assert_eq!(
            request_id(&headers(&[("x-request-id", "change-42")])),
            "change-42"
        );
        assert_ne!(
            request_id(&headers(&[("x-request-id", "bad id")])),
            "bad id"
        );
    }
}
