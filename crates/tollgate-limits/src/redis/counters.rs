//! [`Counters`] on Redis: each method is one script from `lua/`.

use std::sync::Arc;
use std::time::Duration;

use ::redis::Script;
use async_trait::async_trait;
use tollgate_types::NanoUsd;

use super::codec::{Reply, malformed, scope_key, spec_args};
use super::{DEFAULT_REDIS_PREFIX, RedisConnection, backend, script};
use crate::budget::{BudgetAlert, BudgetSpec, Refusal, RefusalCode};
use crate::clock::{Clock, SystemClock};
use crate::counters::{
    CounterError, Counters, OpenReservation, ReapReport, ReleaseOutcome, RenewOutcome, Reservation,
    ReservationId, ReserveError, ReserveRequest, ScopeReport, SettleOutcome, Settlement,
};
use crate::in_process::{DEFAULT_RETENTION, validate};
use crate::scope::Scope;

const PRELUDE: &str = include_str!("lua/prelude.lua");
/// How many expired holds, old reservations and budget states one reap script handles before
/// the next one takes over, so no script blocks Redis for long.
const REAP_BATCH: usize = 1_000;
/// A bound on one reap's scripts, against a loop on a misbehaving server.
const REAP_MAX_SCRIPTS: usize = 10_000;

struct Scripts {
    reserve: Script,
    settle: Script,
    release: Script,
    renew: Script,
    seed: Script,
    reap: Script,
    explain: Script,
}

impl Scripts {
    fn load() -> Scripts {
        Scripts {
            reserve: script(PRELUDE, include_str!("lua/reserve.lua")),
            settle: script(PRELUDE, include_str!("lua/settle.lua")),
            release: script(PRELUDE, include_str!("lua/release.lua")),
            renew: script(PRELUDE, include_str!("lua/renew.lua")),
            seed: script(PRELUDE, include_str!("lua/seed.lua")),
            reap: script(PRELUDE, include_str!("lua/reap.lua")),
            explain: script(PRELUDE, include_str!("lua/explain.lua")),
        }
    }
}

/// Budget and credit counters in Redis, shared by every instance that uses the same server and
/// prefix. The same semantics as [`InProcessCounters`](crate::InProcessCounters), checked by
/// the same tests.
pub struct RedisCounters {
    connection: RedisConnection,
    clock: Arc<dyn Clock>,
    prefix: String,
    retention_ms: i64,
    scripts: Arc<Scripts>,
}

impl RedisCounters {
    /// Connect to `url` with the wall clock and the default prefix.
    pub async fn connect(url: &str) -> Result<RedisCounters, CounterError> {
        let connection = RedisConnection::connect(url).await?;
        Ok(RedisCounters::new(
            connection,
            Arc::new(SystemClock),
            DEFAULT_REDIS_PREFIX,
        ))
    }

    /// Every key starts with `prefix` (`tollgate:`); instances that count together share it.
    pub fn new(
        connection: RedisConnection,
        clock: Arc<dyn Clock>,
        prefix: impl Into<String>,
    ) -> RedisCounters {
        RedisCounters {
            connection,
            clock,
            prefix: prefix.into(),
            retention_ms: millis(DEFAULT_RETENTION),
            scripts: Arc::new(Scripts::load()),
        }
    }

    /// How long a closed reservation is remembered (see [`DEFAULT_RETENTION`]).
    pub fn with_retention(mut self, retention: Duration) -> RedisCounters {
        self.retention_ms = millis(retention);
        self
    }

    pub fn connection(&self) -> &RedisConnection {
        &self.connection
    }

    /// Run `script` with the prefix, now and the retention before `args`; `now` is returned
    /// for whatever the reply needs it for.
    async fn run<T: ::redis::FromRedisValue>(
        &self,
        script: &Script,
        args: &[String],
    ) -> Result<(T, i64), CounterError> {
        let now = self.clock.now_millis();
        let mut invocation = script.prepare_invoke();
        invocation.arg(&self.prefix).arg(now).arg(self.retention_ms);
        for arg in args {
            invocation.arg(arg);
        }
        let mut connection = self.connection.manager();
        let value = invocation
            .invoke_async(&mut connection)
            .await
            .map_err(backend)?;
        Ok((value, now))
    }

    async fn fields(&self, script: &Script, args: &[String]) -> Result<(Reply, i64), CounterError> {
        let (fields, now) = self.run::<Vec<String>>(script, args).await?;
        Ok((Reply::new(fields), now))
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[async_trait]
impl Counters for RedisCounters {
    async fn reserve(&self, request: ReserveRequest) -> Result<Reservation, ReserveError> {
        validate(&request)?;
        let mut args = Vec::with_capacity(4 + request.budgets.len() * 6);
        args.push(request.id.to_string());
        args.push(request.amount.0.to_string());
        args.push(millis(request.lease).to_string());
        args.push(request.budgets.len().to_string());
        for spec in &request.budgets {
            args.extend(spec_args(spec));
        }
        let (mut reply, now) = self.fields(&self.scripts.reserve, &args).await?;
        match reply.text()?.as_str() {
            "ok" => Ok(Reservation {
                id: request.id,
                amount: request.amount,
                expires_at_ms: reply.int()?,
            }),
            "open" => Ok(Reservation {
                id: request.id,
                amount: reply.nano()?,
                expires_at_ms: reply.int()?,
            }),
            "dup" => Err(CounterError::DuplicateId(request.id).into()),
            "refused" => {
                let index = usize::try_from(reply.int()? - 1).map_err(|_| malformed("index"))?;
                let spec = request
                    .budgets
                    .get(index)
                    .ok_or_else(|| malformed("a refused budget out of range"))?;
                let spent = reply.nano()?;
                let reserved = reply.nano()?;
                Err(ReserveError::Refused(Box::new(refusal(
                    spec,
                    spent,
                    reserved,
                    request.amount,
                    now,
                ))))
            }
            other => Err(malformed(&format!("reserve answered {other:?}")).into()),
        }
    }

    async fn settle(
        &self,
        id: &ReservationId,
        actual: NanoUsd,
    ) -> Result<SettleOutcome, CounterError> {
        if actual.0 < 0 {
            return Err(CounterError::Invalid("a settled cost cannot be negative"));
        }
        let args = [id.to_string(), actual.0.to_string()];
        let (mut reply, _) = self.fields(&self.scripts.settle, &args).await?;
        let kind = reply.text()?;
        match kind.as_str() {
            "unknown" => Ok(SettleOutcome::Unknown),
            "settled_before" => Ok(SettleOutcome::AlreadySettled {
                charged: reply.nano()?,
            }),
            "released_before" => Ok(SettleOutcome::AlreadyReleased),
            "settled" | "late" => {
                let held = reply.int()?;
                let count = reply.uint()?;
                let mut alerts = Vec::new();
                for _ in 0..count {
                    alerts.push(BudgetAlert {
                        scope: reply.scope()?,
                        limit: reply.nano()?,
                        spent: reply.nano()?,
                        threshold_percent: u8::try_from(reply.int()?)
                            .map_err(|_| malformed("a percent"))?,
                        period: reply.period()?,
                        window_start_ms: reply.window_start()?,
                    });
                }
                let settlement = settlement(held, actual.0, alerts);
                Ok(if kind == "settled" {
                    SettleOutcome::Settled(settlement)
                } else {
                    SettleOutcome::SettledAfterExpiry(settlement)
                })
            }
            other => Err(malformed(&format!("settle answered {other:?}"))),
        }
    }

    async fn release(&self, id: &ReservationId) -> Result<ReleaseOutcome, CounterError> {
        let (mut reply, _) = self
            .fields(&self.scripts.release, &[id.to_string()])
            .await?;
        match reply.text()?.as_str() {
            "unknown" => Ok(ReleaseOutcome::Unknown),
            "settled_before" => Ok(ReleaseOutcome::AlreadySettled),
            "released_before" => Ok(ReleaseOutcome::AlreadyReleased),
            "expired" => Ok(ReleaseOutcome::Expired),
            "released" => Ok(ReleaseOutcome::Released {
                amount: reply.nano()?,
            }),
            other => Err(malformed(&format!("release answered {other:?}"))),
        }
    }

    async fn renew(
        &self,
        id: &ReservationId,
        lease: Duration,
    ) -> Result<RenewOutcome, CounterError> {
        let args = [id.to_string(), millis(lease).to_string()];
        let (mut reply, _) = self.fields(&self.scripts.renew, &args).await?;
        match reply.text()?.as_str() {
            "renewed" => Ok(RenewOutcome::Renewed {
                expires_at_ms: reply.int()?,
            }),
            "not_open" => Ok(RenewOutcome::NotOpen),
            other => Err(malformed(&format!("renew answered {other:?}"))),
        }
    }

    async fn seed_spent(&self, spec: &BudgetSpec, spent: NanoUsd) -> Result<bool, CounterError> {
        if spec.limit.0 < 0 {
            return Err(CounterError::Invalid("a budget limit cannot be negative"));
        }
        let mut args = spec_args(spec).to_vec();
        args.push(spent.0.max(0).to_string());
        let (applied, _) = self.run::<i64>(&self.scripts.seed, &args).await?;
        Ok(applied == 1)
    }

    /// One script per batch of [`REAP_BATCH`]: each is atomic, the whole reap is not (it
    /// needs not be: it only cleans up).
    async fn reap(&self) -> Result<ReapReport, CounterError> {
        let mut report = ReapReport::default();
        let mut cursor = "0".to_string();
        for _ in 0..REAP_MAX_SCRIPTS {
            let args = [cursor, REAP_BATCH.to_string()];
            let (mut reply, _) = self.fields(&self.scripts.reap, &args).await?;
            report.expired += count(&mut reply)?;
            report.forgotten += count(&mut reply)?;
            report.idle_scopes += count(&mut reply)?;
            cursor = reply.text()?;
            let more = reply.text()? == "1";
            if cursor == "0" && !more {
                break;
            }
        }
        Ok(report)
    }

    async fn explain(&self, scope: &Scope) -> Result<Option<ScopeReport>, CounterError> {
        let args = [
            scope_key(scope),
            ScopeReport::LISTED_RESERVATIONS.to_string(),
        ];
        let (mut reply, _) = self.fields(&self.scripts.explain, &args).await?;
        if !reply.has_more() {
            return Ok(None);
        }
        let limit = reply.nano()?;
        let period = reply.period()?;
        let mode = reply.mode()?;
        let offset = reply.offset()?;
        let window_start = reply.window_start()?;
        let spent = reply.nano()?;
        let reserved = reply.nano()?;
        let open_count = u32::try_from(reply.uint()?).unwrap_or(u32::MAX);
        let mut open = Vec::new();
        while reply.has_more() {
            open.push(OpenReservation {
                id: ReservationId::from(reply.text()?),
                amount: reply.nano()?,
                expires_at_ms: reply.int()?,
            });
        }
        let window_start_ms = (window_start != i64::MIN).then_some(window_start);
        Ok(Some(ScopeReport {
            scope: scope.clone(),
            limit,
            period,
            mode,
            window_start_ms,
            resets_at_ms: period.window_end(window_start, offset),
            spent,
            reserved,
            open_count,
            open,
        }))
    }
}

fn count(reply: &mut Reply) -> Result<usize, CounterError> {
    usize::try_from(reply.uint()?).map_err(|_| malformed("a count"))
}

fn refusal(
    spec: &BudgetSpec,
    spent: NanoUsd,
    reserved: NanoUsd,
    requested: NanoUsd,
    now: i64,
) -> Refusal {
    let code = match spec.scope {
        Scope::Credits(_) => RefusalCode::InsufficientCredits,
        _ => RefusalCode::BudgetExceeded,
    };
    Refusal {
        scope: spec.scope.clone(),
        code,
        mode: spec.mode,
        period: spec.period,
        limit: spec.limit,
        spent,
        reserved,
        requested,
        resets_at_ms: spec.period.window_end(now, spec.offset),
    }
}

fn settlement(held: i64, actual: i64, alerts: Vec<BudgetAlert>) -> Settlement {
    Settlement {
        charged: NanoUsd(actual),
        released: NanoUsd(held.saturating_sub(actual).max(0)),
        overrun: NanoUsd(actual.saturating_sub(held).max(0)),
        alerts,
    }
}
