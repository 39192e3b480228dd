//! [`RateLimiter`] on Redis: the GCRA of `rate/gcra.rs` in one script per method.

use std::sync::Arc;

use ::redis::Script;
use async_trait::async_trait;

use super::codec::{Reply, malformed, rate_bucket};
use super::{DEFAULT_REDIS_PREFIX, RedisConnection, backend, script};
use crate::clock::{Clock, SystemClock};
use crate::counters::CounterError;
use crate::rate::{
    RateCheck, RateError, RateGrant, RateKind, RateLimited, RateLimiter, RateStatus, TokenRefund,
};

const PRELUDE: &str = include_str!("lua/rate_prelude.lua");
const REAP_BATCH: i64 = 1_000;
const REAP_MAX_SCRIPTS: usize = 10_000;

struct Scripts {
    acquire: Script,
    refund: Script,
    reap: Script,
}

/// Requests/min and tokens/min in Redis, shared by every instance on the same server and
/// prefix; the same answers and headers as [`InProcessRateLimiter`](crate::InProcessRateLimiter).
pub struct RedisRateLimiter {
    connection: RedisConnection,
    clock: Arc<dyn Clock>,
    prefix: String,
    scripts: Arc<Scripts>,
}

impl RedisRateLimiter {
    /// Connect to `url` with the wall clock and the default prefix.
    pub async fn connect(url: &str) -> Result<RedisRateLimiter, CounterError> {
        let connection = RedisConnection::connect(url).await?;
        Ok(RedisRateLimiter::new(
            connection,
            Arc::new(SystemClock),
            DEFAULT_REDIS_PREFIX,
        ))
    }

    pub fn new(
        connection: RedisConnection,
        clock: Arc<dyn Clock>,
        prefix: impl Into<String>,
    ) -> RedisRateLimiter {
        RedisRateLimiter {
            connection,
            clock,
            prefix: prefix.into(),
            scripts: Arc::new(Scripts {
                acquire: script(PRELUDE, include_str!("lua/acquire.lua")),
                refund: script(PRELUDE, include_str!("lua/refund.lua")),
                reap: script(PRELUDE, include_str!("lua/rate_reap.lua")),
            }),
        }
    }

    async fn run<T: ::redis::FromRedisValue>(
        &self,
        script: &Script,
        args: &[String],
    ) -> Result<T, CounterError> {
        let mut invocation = script.prepare_invoke();
        invocation.arg(&self.prefix).arg(self.clock.now_millis());
        for arg in args {
            invocation.arg(arg);
        }
        let mut connection = self.connection.manager();
        invocation
            .invoke_async(&mut connection)
            .await
            .map_err(backend)
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn acquire(&self, checks: Vec<RateCheck>) -> Result<RateGrant, RateError> {
        if has_duplicates(&checks) {
            return Err(CounterError::Invalid("a limit appears twice in one rate check").into());
        }
        let mut args = Vec::with_capacity(1 + checks.len() * 4);
        args.push(checks.len().to_string());
        for check in &checks {
            args.push(rate_bucket(&check.scope, check.kind));
            args.push(check.quota.limit().to_string());
            args.push(check.quota.period_ms().to_string());
            args.push(check.amount.to_string());
        }
        let mut reply = Reply::new(
            self.run::<Vec<String>>(&self.scripts.acquire, &args)
                .await?,
        );
        match reply.text()?.as_str() {
            "ok" => {
                let mut grant = RateGrant {
                    requests: None,
                    tokens: None,
                    tokens_taken: Vec::new(),
                };
                for check in checks {
                    let status = RateStatus {
                        scope: check.scope.clone(),
                        kind: check.kind,
                        limit: check.quota.limit(),
                        remaining: reply.uint()?,
                        reset_ms: reply.uint()?,
                    };
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
            "limited" => {
                let index = usize::try_from(reply.int()? - 1).map_err(|_| malformed("index"))?;
                let check = checks
                    .get(index)
                    .ok_or_else(|| malformed("a limited check out of range"))?;
                let remaining = reply.uint()?;
                let reset_ms = reply.uint()?;
                let retry = reply.int()?;
                Err(RateError::Limited(Box::new(RateLimited {
                    status: RateStatus {
                        scope: check.scope.clone(),
                        kind: check.kind,
                        limit: check.quota.limit(),
                        remaining,
                        reset_ms,
                    },
                    requested: check.amount,
                    retry_after_ms: u64::try_from(retry).ok(),
                })))
            }
            other => Err(malformed(&format!("acquire answered {other:?}")).into()),
        }
    }

    async fn refund(&self, refund: TokenRefund) -> Result<(), CounterError> {
        let mut args = Vec::with_capacity(1 + refund.unused.len() * 2);
        args.push(refund.unused.len().to_string());
        for (scope, unused) in &refund.unused {
            args.push(rate_bucket(scope, RateKind::Tokens));
            args.push(unused.to_string());
        }
        self.run::<i64>(&self.scripts.refund, &args).await?;
        Ok(())
    }

    async fn reap(&self) -> Result<usize, CounterError> {
        let mut dropped = 0;
        for _ in 0..REAP_MAX_SCRIPTS {
            let batch = self
                .run::<i64>(&self.scripts.reap, &[REAP_BATCH.to_string()])
                .await?;
            dropped += usize::try_from(batch).unwrap_or(0);
            if batch < REAP_BATCH {
                break;
            }
        }
        Ok(dropped)
    }
}

fn has_duplicates(checks: &[RateCheck]) -> bool {
    checks.iter().enumerate().any(|(index, check)| {
        checks[..index]
            .iter()
            .any(|earlier| earlier.scope == check.scope && earlier.kind == check.kind)
    })
}
