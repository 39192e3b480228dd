//! Building HTTP responses: JSON answers, errors in the caller's dialect, and Tollgate's headers.

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode, header};
use tollgate_types::{Cost, Dialect, GatewayError};

use crate::dialect;

/// Content type, request id, client request id, provider, deployment, cost, cost source,
/// attempts, and a spare
/// (streams add cache-control and x-accel-buffering).
const HEADERS_PER_ANSWER: usize = 9;

// Header names built once: inserting by `&'static str` parses and validates the name again on
// every answer (it showed in the load profile).
const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const X_CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("x-client-request-id");
const X_TOLLGATE_PROVIDER: HeaderName = HeaderName::from_static("x-tollgate-provider");
const X_TOLLGATE_DEPLOYMENT: HeaderName = HeaderName::from_static("x-tollgate-deployment");
const X_TOLLGATE_COST_USD: HeaderName = HeaderName::from_static("x-tollgate-cost-usd");
const X_TOLLGATE_COST_SOURCE: HeaderName = HeaderName::from_static("x-tollgate-cost-source");
const X_TOLLGATE_ATTEMPTS: HeaderName = HeaderName::from_static("x-tollgate-attempts");
const X_ACCEL_BUFFERING: HeaderName = HeaderName::from_static("x-accel-buffering");
const REQUEST_ID: HeaderName = HeaderName::from_static("request-id");

/// Headers Tollgate adds to every answer it can.
#[derive(Debug, Default, Clone)]
pub struct GatewayHeaders {
    pub request_id: String,
    /// The caller's own id, echoed back (see `request_id`).
    pub client_request_id: Option<String>,
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

    /// The headers of a gateway call: Tollgate's own unique id, and the caller's beside it.
    pub fn for_call(headers: &http::HeaderMap) -> Self {
        let ids = crate::request_id::call_ids(headers);
        GatewayHeaders {
            request_id: ids.request_id,
            client_request_id: ids.client_request_id,
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
        let mut set = |name: HeaderName, value: &str| {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(name, value);
            }
        };
        set(X_REQUEST_ID, &self.request_id);
        if let Some(client_request_id) = &self.client_request_id {
            set(X_CLIENT_REQUEST_ID, client_request_id);
        }
        if let Some(provider) = &self.provider {
            set(X_TOLLGATE_PROVIDER, provider);
        }
        if let Some(deployment) = &self.deployment {
            set(X_TOLLGATE_DEPLOYMENT, deployment);
        }
        if let Some(cost) = &self.cost {
            set(X_TOLLGATE_COST_USD, &cost.usd.to_string());
            set(X_TOLLGATE_COST_SOURCE, cost.source.as_str());
        }
        if let Some(attempts) = self.attempts {
            set(X_TOLLGATE_ATTEMPTS, &attempts.to_string());
        }
        for (name, value) in &self.rate_limits {
            set(HeaderName::from_static(name), value);
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
        response.headers_mut().insert(REQUEST_ID, value);
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
    h.insert(X_ACCEL_BUFFERING, HeaderValue::from_static("no"));
    headers.apply(&mut response);
    response
}
