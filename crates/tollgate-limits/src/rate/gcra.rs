//! The generic cell rate algorithm on one (scope, kind): one number of state, exact integers.
//!
//! Time is kept in units of `1 / limit` ms ("scaled" time: ms × limit), so one unit's emission
//! interval `period / limit` is exactly `period_ms` scaled units and no rounding ever happens;
//! the only divisions turn scaled time back into whole milliseconds, rounded up. The bucket is
//! full when the theoretical arrival time (TAT) is not after now; a take of `n` units fits if
//! `max(tat, now) + n × period_ms - now <= period_ms × limit`.
//!
//! A Redis script does the same with the TAT split into whole ms and a remainder, since Lua's
//! numbers are doubles.

use super::quota::Quota;

#[derive(Debug, Clone, Copy)]
pub(super) struct Gcra {
    /// Theoretical arrival time in scaled units.
    tat: i128,
    quota: Quota,
}

/// Where a bucket stands, in the numbers OpenAI's headers carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Standing {
    pub(super) remaining: u64,
    /// Until the bucket is full again.
    pub(super) reset_ms: u64,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Take {
    /// The new TAT to store, and the standing after the take.
    Fits { tat: i128, after: Standing },
    /// The standing now, and how long until the take would fit (`None`: never, it exceeds the
    /// whole limit).
    Denied {
        now: Standing,
        retry_after_ms: Option<u64>,
    },
}

impl Gcra {
    pub(super) fn new(quota: Quota, now_ms: i64) -> Gcra {
        Gcra {
            tat: scaled(now_ms, quota),
            quota,
        }
    }

    /// Adopt a changed quota keeping the used fraction of the bucket.
    pub(super) fn requantize(&mut self, quota: Quota, now_ms: i64) {
        if quota == self.quota {
            return;
        }
        let old_debt = (self.tat - scaled(now_ms, self.quota)).max(0);
        // Same period (the usual case: a per-minute limit changed): the ratio of capacities is
        // the ratio of limits, and `debt x limit` fits an i128 for every valid quota.
        let new_debt = if quota.period_ms() == self.quota.period_ms() {
            old_debt
                .checked_mul(i128::from(quota.limit()))
                .map(|product| ceil_div(product, limit(self.quota)))
        } else {
            old_debt
                .checked_mul(capacity(quota))
                .map(|product| ceil_div(product, capacity(self.quota).max(1)))
        };
        self.quota = quota;
        self.tat = scaled(now_ms, quota) + new_debt.unwrap_or(0);
    }

    pub(super) fn take(&self, amount: u64, now_ms: i64) -> Take {
        let quota = self.quota;
        let now = scaled(now_ms, quota);
        let start = self.tat.max(now);
        if quota.limit() == 0 {
            let now = Standing {
                remaining: 0,
                reset_ms: 0,
            };
            return Take::Denied {
                now,
                retry_after_ms: None,
            };
        }
        let tat = start + i128::from(amount) * i128::from(quota.period_ms());
        let overflow = tat - now - capacity(quota);
        if overflow <= 0 {
            return Take::Fits {
                tat,
                after: standing(tat - now, quota),
            };
        }
        let retry_after_ms =
            (amount <= quota.limit()).then(|| to_ms(ceil_div(overflow, limit(quota))));
        Take::Denied {
            now: standing(start - now, quota),
            retry_after_ms,
        }
    }

    pub(super) fn commit(&mut self, tat: i128) {
        self.tat = tat;
    }

    /// Give back `amount` units taken earlier (tokens reserved for a worst case that did not
    /// happen). Never past "full": time that went by has refilled the bucket already.
    pub(super) fn refund(&mut self, amount: u64, now_ms: i64) {
        let now = scaled(now_ms, self.quota);
        self.tat = (self.tat - i128::from(amount) * i128::from(self.quota.period_ms())).max(now);
    }

    /// A full bucket is the same as no state at all, so it can be dropped.
    pub(super) fn is_full(&self, now_ms: i64) -> bool {
        self.tat <= scaled(now_ms, self.quota)
    }
}

fn standing(debt: i128, quota: Quota) -> Standing {
    let free = (capacity(quota) - debt).max(0);
    Standing {
        remaining: u64::try_from(free / i128::from(quota.period_ms())).unwrap_or(u64::MAX),
        reset_ms: to_ms(ceil_div(debt.max(0), limit(quota))),
    }
}

fn scaled(now_ms: i64, quota: Quota) -> i128 {
    i128::from(now_ms) * i128::from(quota.limit())
}

/// The bucket's size in scaled units: one period.
fn capacity(quota: Quota) -> i128 {
    i128::from(quota.period_ms()) * i128::from(quota.limit())
}

fn limit(quota: Quota) -> i128 {
    i128::from(quota.limit()).max(1)
}

fn ceil_div(numerator: i128, denominator: i128) -> i128 {
    let quotient = numerator / denominator;
    if numerator % denominator > 0 {
        quotient + 1
    } else {
        quotient
    }
}

fn to_ms(value: i128) -> u64 {
    u64::try_from(value.max(0)).unwrap_or(u64::MAX)
}
