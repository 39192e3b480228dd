//! A limit said no: the caller's 429, with a `code` that says which limit and headers that say
//! when to come back.

use std::time::Duration;

use tollgate_limits::{ParallelRefused, RateLimited, Refusal};
use tollgate_types::{ErrorKind, ErrorSource, GatewayError};

pub fn budget(refusal: &Refusal) -> GatewayError {
    let retry_after = refusal.resets_at_ms.map(|resets_at| {
        let now = tollgate_store::Timestamp::now().millis();
        Duration::from_millis(u64::try_from(resets_at.saturating_sub(now)).unwrap_or(0))
    });
    GatewayError::new(
        ErrorKind::RateLimited,
        ErrorSource::Client,
        refusal.to_string(),
    )
    .with_code(refusal.code.as_str())
    .with_param(refusal.scope.kind())
    .with_retry_after(retry_after)
}

pub fn rate(limited: &RateLimited) -> GatewayError {
    GatewayError::new(
        ErrorKind::RateLimited,
        ErrorSource::Client,
        limited.to_string(),
    )
    .with_code(limited.code())
    .with_param(limited.status.scope.kind())
    .with_retry_after(limited.retry_after_ms.map(Duration::from_millis))
}

pub fn parallel(refused: &ParallelRefused) -> GatewayError {
    GatewayError::new(
        ErrorKind::RateLimited,
        ErrorSource::Client,
        refused.to_string(),
    )
    .with_code(refused.code())
    .with_param(refused.scope.kind())
    // A slot frees as soon as a call in flight ends; a second is a polite guess.
    .with_retry_after(Some(Duration::from_secs(1)))
}

/// The counters' backend failed: fail closed (a budget that cannot be checked is not spent).
pub fn backend(error: &dyn std::fmt::Display) -> GatewayError {
    tracing::error!(%error, "limit counters failed");
    GatewayError::new(
        ErrorKind::UpstreamUnavailable,
        ErrorSource::Internal,
        "Tollgate could not check this key's limits; try again shortly.",
    )
    .with_code("limits_unavailable")
    .with_status(503)
}
