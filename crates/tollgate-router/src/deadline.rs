//! The total deadline of one call: every attempt, retry, fallback and backoff wait included.
//!
//! Each deployment has its own timeouts for one attempt; the deadline bounds what the caller
//! waits for the whole plan. For a stream it runs until the first event (after that the
//! stream's idle timeout applies), since that is when the caller starts receiving.

use std::time::Duration;

use tokio::time::Instant;
use tollgate_types::{ErrorKind, GatewayError};

#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    pub(crate) at: Instant,
    limit: Duration,
}

impl Deadline {
    pub(crate) fn starting_now(limit: Duration) -> Self {
        Deadline {
            at: Instant::now() + limit,
            limit,
        }
    }

    pub(crate) fn passed(&self) -> bool {
        Instant::now() >= self.at
    }

    /// Whether waiting `wait` would leave no time for the attempt after it.
    pub(crate) fn would_pass(&self, wait: Duration) -> bool {
        Instant::now() + wait >= self.at
    }

    /// 504 `deadline_exceeded`: the caller's wait is over, whatever the plan had left.
    pub(crate) fn error(&self) -> GatewayError {
        GatewayError::upstream(
            ErrorKind::UpstreamTimeout,
            format!(
                "No deployment answered within the call's deadline of {} ms (retries and \
                 fallbacks included).",
                self.limit.as_millis()
            ),
        )
        .with_code("deadline_exceeded")
        .with_retryable(false)
    }
}
