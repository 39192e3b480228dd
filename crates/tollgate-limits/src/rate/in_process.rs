//! Rate limits in this process's memory: one GCRA state per (scope, kind) under one mutex.

use crate::FastMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;

use super::gcra::{Gcra, Take};
use super::limiter::{RateError, RateGrant, RateLimited, RateLimiter, RateStatus, TokenRefund};
use super::quota::{RateCheck, RateKind};
use crate::clock::Clock;
use crate::counters::CounterError;
use crate::scope::Scope;

pub struct InProcessRateLimiter {
    clock: Arc<dyn Clock>,
    /// Keyed by scope alone so a lookup borrows the scope instead of cloning its id.
    buckets: Mutex<FastMap<Scope, Buckets>>,
}

#[derive(Debug, Default)]
struct Buckets {
    requests: Option<Gcra>,
    tokens: Option<Gcra>,
}

impl Buckets {
    fn of(&mut self, kind: RateKind) -> &mut Option<Gcra> {
        match kind {
            RateKind::Requests => &mut self.requests,
            RateKind::Tokens => &mut self.tokens,
        }
    }
}

impl InProcessRateLimiter {
    pub fn new(clock: Arc<dyn Clock>) -> InProcessRateLimiter {
        InProcessRateLimiter {
            clock,
            buckets: Mutex::new(FastMap::default()),
        }
    }
}

#[async_trait]
impl RateLimiter for InProcessRateLimiter {
    async fn acquire(&self, checks: Vec<RateCheck>) -> Result<RateGrant, RateError> {
        if has_duplicates(&checks) {
            return Err(CounterError::Invalid("a limit appears twice in one rate check").into());
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let now = self.clock.now_millis();
        // First every check, then every take: a refused call takes nothing anywhere.
        let mut takes = Vec::with_capacity(checks.len());
        for check in &checks {
            let bucket = buckets
                .get_mut(&check.scope)
                .and_then(|scope| scope.of(check.kind).as_mut());
            let take = match bucket {
                Some(bucket) => {
                    bucket.requantize(check.quota, now);
                    bucket.take(check.amount, now)
                }
                None => Gcra::new(check.quota, now).take(check.amount, now),
            };
            match take {
                Take::Fits { tat, after } => takes.push((tat, status(check, after))),
                Take::Denied {
                    now: standing,
                    retry_after_ms,
                } => {
                    return Err(RateError::Limited(Box::new(RateLimited {
                        status: status(check, standing),
                        requested: check.amount,
                        retry_after_ms,
                    })));
                }
            }
        }
        let mut grant = RateGrant {
            requests: None,
            tokens: None,
            tokens_taken: Vec::new(),
        };
        for (check, (tat, status)) in checks.into_iter().zip(takes) {
            if !buckets.contains_key(&check.scope) {
                buckets.insert(check.scope.clone(), Buckets::default());
            }
            if let Some(scope) = buckets.get_mut(&check.scope) {
                scope
                    .of(check.kind)
                    .get_or_insert_with(|| Gcra::new(check.quota, now))
                    .commit(tat);
            }
            if check.kind == RateKind::Tokens && check.amount > 0 {
                grant.tokens_taken.push((check.scope, check.amount));
            }
            let tightest = match status.kind {
                RateKind::Requests => &mut grant.requests,
                RateKind::Tokens => &mut grant.tokens,
            };
            if tightest
                .as_ref()
                .is_none_or(|t| status.remaining < t.remaining)
            {
                *tightest = Some(status);
            }
        }
        Ok(grant)
    }

    async fn refund(&self, refund: TokenRefund) -> Result<(), CounterError> {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let now = self.clock.now_millis();
        for (scope, unused) in refund.unused {
            // No state means a full bucket: nothing to give back to.
            if let Some(bucket) = buckets.get_mut(&scope).and_then(|b| b.tokens.as_mut()) {
                bucket.refund(unused, now);
            }
        }
        Ok(())
    }

    async fn reap(&self) -> Result<usize, CounterError> {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let now = self.clock.now_millis();
        let mut dropped = 0;
        buckets.retain(|_, scope| {
            for bucket in [&mut scope.requests, &mut scope.tokens] {
                if bucket.as_ref().is_some_and(|gcra| gcra.is_full(now)) {
                    *bucket = None;
                    dropped += 1;
                }
            }
            scope.requests.is_some() || scope.tokens.is_some()
        });
        Ok(dropped)
    }
}

fn status(check: &RateCheck, standing: super::gcra::Standing) -> RateStatus {
    RateStatus {
        scope: check.scope.clone(),
        kind: check.kind,
        limit: check.quota.limit(),
        remaining: standing.remaining,
        reset_ms: standing.reset_ms,
    }
}

fn has_duplicates(checks: &[RateCheck]) -> bool {
    checks.iter().enumerate().any(|(index, check)| {
        checks[..index]
            .iter()
            .any(|earlier| earlier.scope == check.scope && earlier.kind == check.kind)
    })
}
