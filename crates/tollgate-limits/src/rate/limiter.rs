//! The rate-limit contract and what it answers.

use async_trait::async_trait;

use super::headers::{go_duration, retry_after_headers};
use super::quota::{RateCheck, RateKind};
use crate::counters::CounterError;
use crate::scope::Scope;

/// Rate-limit counters: in-process now, Redis later, the same tests for both.
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Atomically take every check's amount, or none if any does not fit. Each (scope, kind)
    /// at most once per call.
    async fn acquire(&self, checks: Vec<RateCheck>) -> Result<RateGrant, RateError>;

    /// Give back tokens reserved for a worst case that did not happen.
    async fn refund(&self, refund: TokenRefund) -> Result<(), CounterError>;

    /// Drop the state of full buckets (which is the same as none); how many.
    async fn reap(&self) -> Result<usize, CounterError>;
}

/// One limit's numbers after (or, refused, before) a take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateStatus {
    pub scope: Scope,
    pub kind: RateKind,
    pub limit: u64,
    pub remaining: u64,
    /// Until the limit is fully replenished.
    pub reset_ms: u64,
}

impl RateStatus {
    fn push_headers(&self, headers: &mut Vec<(&'static str, String)>) {
        let (limit, remaining, reset) = match self.kind {
            RateKind::Requests => (
                "x-ratelimit-limit-requests",
                "x-ratelimit-remaining-requests",
                "x-ratelimit-reset-requests",
            ),
            RateKind::Tokens => (
                "x-ratelimit-limit-tokens",
                "x-ratelimit-remaining-tokens",
                "x-ratelimit-reset-tokens",
            ),
        };
        headers.push((limit, self.limit.to_string()));
        headers.push((remaining, self.remaining.to_string()));
        headers.push((reset, go_duration(self.reset_ms)));
    }
}

/// What an admitted call took, and the binding limit of each kind for its headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateGrant {
    pub requests: Option<RateStatus>,
    pub tokens: Option<RateStatus>,
    /// Tokens taken per scope, for the refund.
    pub(crate) tokens_taken: Vec<(Scope, u64)>,
}

impl RateGrant {
    /// `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` of the tightest limit of each
    /// kind (the one with the fewest remaining), as OpenAI reports its own.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = Vec::with_capacity(6);
        for status in [&self.requests, &self.tokens].into_iter().flatten() {
            status.push_headers(&mut headers);
        }
        headers
    }

    /// The unused part of the tokens taken, once the call's real usage is known. Consumes the
    /// grant so a refund cannot be made twice.
    pub fn into_refund(self, used_tokens: u64) -> Option<TokenRefund> {
        let unused: Vec<(Scope, u64)> = self
            .tokens_taken
            .into_iter()
            .map(|(scope, taken)| (scope, taken.saturating_sub(used_tokens)))
            .filter(|(_, unused)| *unused > 0)
            .collect();
        (!unused.is_empty()).then_some(TokenRefund { unused })
    }
}

/// Tokens to give back, per scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRefund {
    pub unused: Vec<(Scope, u64)>,
}

/// A limit refused the call: answer 429 `rate_limit_exceeded`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimited {
    pub status: RateStatus,
    pub requested: u64,
    /// `None` when the call asks for more than the whole limit and no wait can help (OpenAI's
    /// "Request too large").
    pub retry_after_ms: Option<u64>,
}

impl RateLimited {
    pub fn code(&self) -> &'static str {
        "rate_limit_exceeded"
    }

    /// The refused limit's `x-ratelimit-*` headers plus `retry-after` / `retry-after-ms`.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = Vec::with_capacity(5);
        self.status.push_headers(&mut headers);
        if let Some(ms) = self.retry_after_ms {
            retry_after_headers(ms, &mut headers);
        }
        headers
    }
}

impl std::fmt::Display for RateLimited {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let RateStatus {
            scope, kind, limit, ..
        } = &self.status;
        let kind = kind.as_str();
        match self.retry_after_ms {
            Some(ms) => write!(
                f,
                "Rate limit reached for {scope} on {kind}: limit {limit}, remaining {}, \
                 requested {}. Please try again in {}.",
                self.status.remaining,
                self.requested,
                go_duration(ms)
            ),
            None => write!(
                f,
                "Request too large for {scope} on {kind}: limit {limit}, requested {}.",
                self.requested
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error("{0}")]
    Limited(Box<RateLimited>),
    #[error(transparent)]
    Failed(#[from] CounterError),
}
