//! Building HTTP responses: JSON answers, errors in the caller's dialect, and Tollgate's headers.

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use tollgate_types::{Cost, Dialect, GatewayError};

use crate::dialect;

/// Content type, request id, provider, deployment, cost, cost source, attempts, and a spare
/// (streams add cache-control and x-accel-buffering).
const HEADERS_PER_ANSWER: usize = 8;

/// Headers Tollgate adds to every answer it can.
#[derive(Debug, Default, Clone)]
pub struct GatewayHeaders {
    pub request_id: String,
    pub provider: Option<String>,
    pub deployment: Option<String>,
    pub cost: Option<Cost>,
    pub attempts: Option<usize>,
    /// `x-ratelimit-*` (and on a refusal `retry-after`) of the limits the call went through.
    pub rate_limits: Vec<(&'static str, String)>,
}

impl GatewayHeaders {
    pub fn new(request_id: String) -> Self {
        GatewayHeaders {
            request_id,
            ..GatewayHeaders::default()
        }
    }

    /// An empty header map with room for every header of the answer: growing one insert at a
    /// time reallocates it several times per answer, which showed as the allocator's slow path
    /// under load (worst with the six `x-ratelimit-*` headers).
    fn map_with_room(&self) -> http::HeaderMap {
        http::HeaderMap::with_capacity(HEADERS_PER_ANSWER + 4 + self.rate_limits.len())
    }

    fn apply(&self, response: &mut Response) {
        let headers = response.headers_mut();
        let mut set = |name: &'static str, value: &str| {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(name, value);
            }
        };
        set("x-request-id", &self.request_id);
        if let Some(provider) = &self.provider {
            set("x-tollgate-provider", provider);
        }
        if let Some(deployment) = &self.deployment {
            set("x-tollgate-deployment", deployment);
        }
        if let Some(cost) = &self.cost {
            set("x-tollgate-cost-usd", &cost.usd.to_string());
            set("x-tollgate-cost-source", cost.source.as_str());
        }
        if let Some(attempts) = self.attempts {
            set("x-tollgate-attempts", &attempts.to_string());
        }
        for (name, value) in &self.rate_limits {
            set(name, value);
        }
    }
}

/// A JSON answer with Tollgate's headers.
pub fn json(status: StatusCode, body: Bytes, headers: &GatewayHeaders) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers.map_with_room();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.apply(&mut response);
    response
}

/// An error in the caller's dialect, with `retry-after` when known.
pub fn error(dialect: Dialect, error: &GatewayError, headers: &GatewayHeaders) -> Response {
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = json(status, dialect::render_error(dialect, error), headers);
    if let Some(retry_after) = error.retry_after {
        let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
        if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
    }
    if dialect == Dialect::Anthropic
        && let Ok(value) = HeaderValue::from_str(&headers.request_id)
    {
        response.headers_mut().insert("request-id", value);
    }
    response
}

/// A streamed (SSE) answer with Tollgate's headers.
pub fn event_stream(body: Body, headers: &GatewayHeaders) -> Response {
    let mut response = Response::new(body);
    *response.headers_mut() = headers.map_with_room();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // Tells nginx-style proxies in front of Tollgate not to buffer the stream.
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    headers.apply(&mut response);
    response
}
