//! What a rate limit allows, and one check against it.

use std::time::Duration;

use crate::scope::Scope;

/// What a rate limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RateKind {
    Requests,
    Tokens,
}

impl RateKind {
    /// The suffix OpenAI's headers use (`x-ratelimit-limit-requests`).
    pub fn as_str(self) -> &'static str {
        match self {
            RateKind::Requests => "requests",
            RateKind::Tokens => "tokens",
        }
    }
}

/// `limit` units per `period`, with a burst of the whole limit: a full bucket serves `limit`
/// at once and then refills continuously, one unit every `period / limit`. A limit of 0
/// allows nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quota {
    limit: u64,
    period_ms: u64,
}

impl Quota {
    /// Large enough for any real tokens/min limit, small enough that the GCRA arithmetic
    /// (time × limit) cannot overflow an `i128`.
    pub const MAX_LIMIT: u64 = 1_000_000_000_000_000;
    const MAX_PERIOD_MS: u64 = 366 * 86_400_000;

    /// `limit` per minute (`rpm_limit`, `tpm_limit`); limits above [`Quota::MAX_LIMIT`] are
    /// clamped to it.
    pub fn per_minute(limit: u64) -> Quota {
        Quota {
            limit: limit.min(Quota::MAX_LIMIT),
            period_ms: 60_000,
        }
    }

    /// `None` for a period under a millisecond or over a year, or a limit over
    /// [`Quota::MAX_LIMIT`].
    pub fn new(limit: u64, period: Duration) -> Option<Quota> {
        let period_ms = u64::try_from(period.as_millis()).ok()?;
        let valid = (1..=Quota::MAX_PERIOD_MS).contains(&period_ms) && limit <= Quota::MAX_LIMIT;
        valid.then_some(Quota { limit, period_ms })
    }

    pub fn limit(self) -> u64 {
        self.limit
    }

    pub fn period_ms(self) -> u64 {
        self.period_ms
    }
}

/// Take `amount` units from one scope's limit of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateCheck {
    pub scope: Scope,
    pub kind: RateKind,
    pub quota: Quota,
    pub amount: u64,
}

impl RateCheck {
    /// One request against a requests/min limit.
    pub fn requests(scope: Scope, per_minute: u64) -> RateCheck {
        RateCheck {
            scope,
            kind: RateKind::Requests,
            quota: Quota::per_minute(per_minute),
            amount: 1,
        }
    }

    /// The call's worst-case tokens (estimated input + max output) against a tokens/min limit;
    /// the unused part is refunded once usage is known.
    pub fn tokens(scope: Scope, per_minute: u64, worst_case_tokens: u64) -> RateCheck {
        RateCheck {
            scope,
            kind: RateKind::Tokens,
            quota: Quota::per_minute(per_minute),
            amount: worst_case_tokens,
        }
    }
}
