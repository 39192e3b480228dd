//! [`ParallelSlots`] on Redis: a key's `max_parallel` counts the calls in flight on every
//! instance. Each scope's slots are a sorted set `p:{scope}` of holders (request ids) by lease
//! expiry, so slots held by an instance that died free themselves when the lease ends.

use std::sync::Arc;
use std::time::Duration;

use ::redis::Script;
use async_trait::async_trait;

use super::codec::{Reply, malformed, scope_key};
use super::{RedisConnection, backend};
use crate::clock::Clock;
use crate::counters::CounterError;
use crate::parallel::{ParallelError, ParallelLimit, ParallelRefused, ParallelSlots};
use crate::scope::Scope;

struct Scripts {
    acquire: Script,
    release: Script,
    renew: Script,
}

pub struct RedisParallelSlots {
    connection: RedisConnection,
    clock: Arc<dyn Clock>,
    prefix: String,
    scripts: Arc<Scripts>,
}

impl RedisParallelSlots {
    pub fn new(
        connection: RedisConnection,
        clock: Arc<dyn Clock>,
        prefix: impl Into<String>,
    ) -> RedisParallelSlots {
        RedisParallelSlots {
            connection,
            clock,
            prefix: prefix.into(),
            scripts: Arc::new(Scripts {
                acquire: Script::new(include_str!("lua/parallel_acquire.lua")),
                release: Script::new(include_str!("lua/parallel_release.lua")),
                renew: Script::new(include_str!("lua/parallel_renew.lua")),
            }),
        }
    }

    async fn run<T: ::redis::FromRedisValue>(
        &self,
        script: &Script,
        args: Vec<String>,
    ) -> Result<T, CounterError> {
        let mut invocation = script.prepare_invoke();
        for arg in args {
            invocation.arg(arg);
        }
        let mut connection = self.connection.manager();
        invocation
            .invoke_async(&mut connection)
            .await
            .map_err(backend)
    }

    /// prefix, now, lease, holder: the head of the acquire and renew scripts' arguments.
    fn head(&self, holder: &str, lease: Duration, extra: usize) -> Vec<String> {
        let mut args = Vec::with_capacity(4 + extra);
        args.push(self.prefix.clone());
        args.push(self.clock.now_millis().to_string());
        args.push(lease_millis(lease).to_string());
        args.push(holder.to_string());
        args
    }
}

fn lease_millis(lease: Duration) -> u64 {
    // At least a millisecond: a zero lease would free the slot as it is taken.
    u64::try_from(lease.as_millis()).unwrap_or(u64::MAX).max(1)
}

#[async_trait]
impl ParallelSlots for RedisParallelSlots {
    async fn acquire(
        &self,
        holder: &str,
        limits: &[ParallelLimit],
        lease: Duration,
    ) -> Result<(), ParallelError> {
        let mut args = self.head(holder, lease, limits.len() * 2);
        for limit in limits {
            args.push(scope_key(&limit.scope));
            args.push(limit.max.to_string());
        }
        let fields: Vec<String> = self
            .run(&self.scripts.acquire, args)
            .await
            .map_err(ParallelError::Failed)?;
        let mut reply = Reply::new(fields);
        match reply.text().map_err(ParallelError::Failed)?.as_str() {
            "ok" => Ok(()),
            "refused" => {
                let index = reply.uint().map_err(ParallelError::Failed)?;
                let held = reply.uint().map_err(ParallelError::Failed)?;
                let limit = usize::try_from(index)
                    .ok()
                    .and_then(|index| limits.get(index.checked_sub(1)?))
                    .ok_or_else(|| ParallelError::Failed(malformed("a refusal of no limit")))?;
                Err(ParallelError::Refused(ParallelRefused {
                    scope: limit.scope.clone(),
                    max: limit.max,
                    in_flight: u32::try_from(held).unwrap_or(u32::MAX),
                }))
            }
            other => Err(ParallelError::Failed(malformed(&format!(
                "parallel acquire answered {other:?}"
            )))),
        }
    }

    async fn release(&self, holder: &str, scopes: &[Scope]) -> Result<(), CounterError> {
        let mut args = Vec::with_capacity(2 + scopes.len());
        args.push(self.prefix.clone());
        args.push(holder.to_string());
        args.extend(scopes.iter().map(scope_key));
        self.run::<i64>(&self.scripts.release, args).await?;
        Ok(())
    }

    async fn renew(
        &self,
        holder: &str,
        scopes: &[Scope],
        lease: Duration,
    ) -> Result<(), CounterError> {
        let mut args = self.head(holder, lease, scopes.len());
        args.extend(scopes.iter().map(scope_key));
        self.run::<i64>(&self.scripts.renew, args).await?;
        Ok(())
    }

    async fn in_flight(&self, scope: &Scope) -> Result<u32, CounterError> {
        let key = format!("{}p:{}", self.prefix, scope_key(scope));
        let mut connection = self.connection.manager();
        // Slots whose lease has ended are not in flight, whether or not a script dropped them.
        let held: u64 = ::redis::cmd("ZCOUNT")
            .arg(key)
            .arg(format!("({}", self.clock.now_millis()))
            .arg("+inf")
            .query_async(&mut connection)
            .await
            .map_err(backend)?;
        Ok(u32::try_from(held).unwrap_or(u32::MAX))
    }
}
