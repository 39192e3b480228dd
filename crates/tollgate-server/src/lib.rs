//! Tollgate's HTTP server: inbound dialects, auth, the request path, health.
//!
//! [`build_app`] assembles the axum router; its doc comment lists the request path stage by stage.
//! Tests build the whole app in process with [`build_app`] and a [`AppState`], without the binary.

pub mod accounting;
pub mod admin;
pub mod auth;
pub mod body;
pub mod dialect;
pub mod guardrails;
mod handlers;
pub mod limits;
pub mod metrics;
pub mod request_id;
pub mod respond;
pub mod state;
mod streaming;

#[cfg(test)]
mod tests;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub use auth::{Auth, Principal};
pub use state::{AppState, Reloaded, ServerLimits};

/// Builds the gateway's HTTP app. Every inference request flows one way through these stages
/// (design.md §1); each is one module:
///
/// 1. **Ingress** (`body`): the body is read up to `max_body_bytes` (413 past it).
/// 2. **Auth** (`auth`): `Authorization: Bearer <key>` or `x-api-key: <key>`, checked against the
///    SHA-256 of the master key. Auth runs before parsing so unauthenticated callers cost no JSON
///    work.
/// 3. **Parse** (`dialect::{openai,anthropic}`): the caller's dialect into the canonical request;
///    bad input stops here with a 4xx in that dialect's error shape.
/// 4. **Policy**: the model must exist (404) and be allowed for the caller's key (403).
/// 5. **Guardrails, input** (`tollgate_guard`): PII redaction, injection scoring, content policy.
/// 6. **Limits and reserve** (`limits`): parallel slots, requests/min and tokens/min, then the
///    call's worst-case cost reserved against every budget of the key's chain and its
///    organization's credits, all or none (429 before any provider is called).
/// 7. **Route** (`tollgate_router`): pick a deployment, retry and fall back on retryable failures
///    before anything reached the caller.
/// 8. **Provider adapter** (`tollgate_providers`): canonical → the upstream's wire format and back;
///    same-dialect calls pass through with only usage parsed out.
/// 9. **Guardrails, output**: answers scanned, streams with a bounded holdback.
/// 10. **Settle** (`accounting`, `limits`): the actual cost charged, the rest of the reservation
///     released, unused tokens refunded, one spend-log row handed to the batched writer.
/// 11. **Egress** (`respond`, `streaming`): the answer in the caller's dialect with `x-request-id`,
///     `x-tollgate-provider`, `x-tollgate-deployment`, `x-ratelimit-*` and, when known,
///     `x-tollgate-cost-usd` / `x-tollgate-cost-source`; streams carry the cost in their final
///     usage frame.
pub fn build_app(state: AppState) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(handlers::chat::openai))
        .route("/chat/completions", post(handlers::chat::openai))
        .route("/v1/messages", post(handlers::chat::anthropic))
        .route("/v1/embeddings", post(handlers::embeddings::create))
        .route("/embeddings", post(handlers::embeddings::create))
        .route("/v1/models", get(handlers::models::list))
        .route("/v1/models/{*id}", get(handlers::models::get_one))
        .route("/health/live", get(handlers::health::live))
        .route("/health/ready", get(handlers::health::ready))
        .route("/metrics", get(handlers::health::metrics))
        .merge(admin::routes())
        .fallback(handlers::not_found)
        // The body limit is enforced by `body::read_limited`, which answers in the caller's dialect.
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
}
