//! How long to wait before retrying a deployment that already failed in this call.
//!
//! Moving to a deployment not yet tried needs no wait; backoff applies only when the plan has to
//! come back to one (e.g. a model with one deployment and `retries: 2`).

use std::time::Duration;

use rand::Rng;
use tollgate_types::GatewayError;

#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
    /// The most Tollgate waits for an upstream's `retry-after` inside one call; longer waits are
    /// better spent on a fallback (the deployment cools down for the full time meanwhile).
    pub max_retry_after: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(50),
            max: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(5),
        }
    }
}

impl Backoff {
    /// Exponential in `round` with "equal jitter" (half fixed, half random), or the upstream's
    /// `retry-after` when it asked for longer (capped).
    pub fn delay(&self, round: u32, last_error: Option<&GatewayError>) -> Duration {
        let exponential = self
            .base
            .saturating_mul(1u32 << round.min(16))
            .min(self.max);
        let half = exponential / 2;
        let jitter = Duration::from_micros(
            rand::rng().random_range(0..=u64::try_from(half.as_micros()).unwrap_or(0)),
        );
        let computed = half + jitter;
        match last_error.and_then(|e| e.retry_after) {
            Some(asked) => computed.max(asked.min(self.max_retry_after)),
            None => computed,
        }
    }
}
