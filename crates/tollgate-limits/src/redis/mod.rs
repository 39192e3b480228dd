//! Counters in Redis: the scale-out mode's backend (design.md §3), shared by every instance.
//!
//! Every trait method is one Lua script (`EVALSHA`, loaded on first use), so each operation is
//! atomic across instances exactly as the in-process backend's operations are atomic under its
//! lock: the scripts in `lua/` repeat `in_process/state.rs` and `rate/gcra.rs` step by step.
//! Time still comes from the backend's own [`Clock`](crate::Clock), passed to each script as
//! `now`, so tests move it by hand; instances must keep their clocks in sync (NTP), as they do
//! for lease expiry anyway.
//!
//! Exactness: Redis's Lua numbers are doubles, exact only to 2^53. Money is i64 nano-USD, so the
//! scripts add and compare it in two exact parts (`hi * 1e9 + lo`); the GCRA's scaled times
//! (ms x limit) are kept as whole ms plus a remainder, with an exact long multiplication where
//! a product would pass 2^53.
//!
//! Keys (all under the configured prefix, `tollgate:` by default):
//!
//! | key | what |
//! |---|---|
//! | `b:{scope}` | a budget's state (hash: spec, window start, spent, reserved, open, alerted) |
//! | `o:{scope}` | the budget's open holds (sorted set by lease expiry), for explain |
//! | `r:{id}` | a reservation (hash: status, amount, expiry, the budgets' specs, charged) |
//! | `holds` | open holds by lease expiry (sorted set) |
//! | `forget` | closed reservations by when they may be forgotten (sorted set) |
//! | `scopes` | every budget state's scope (set), for the reaper |
//! | `q:{kind}:{scope}` | a rate limit's GCRA state (hash) |
//! | `qfull` | rate-limit buckets by when they are full again (sorted set), for the reaper |
//! | `p:{scope}` | a scope's parallel slots: holders by lease expiry (sorted set; expires with its last lease) |
//!
//! The scripts reach keys they learn as they run (a reservation's budgets), so they need a
//! standalone Redis (or Sentinel / a managed primary); on Redis Cluster, put every key in one
//! slot with a hash tag in the prefix (`{tollgate}:`).

mod codec;
mod counters;
mod parallel;
mod rate;

use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::counters::CounterError;

pub use counters::RedisCounters;
pub use parallel::RedisParallelSlots;
pub use rate::RedisRateLimiter;

/// The key prefix when none is configured.
pub const DEFAULT_REDIS_PREFIX: &str = "tollgate:";

/// A connection to Redis shared by the counters and the rate limiter: multiplexed (every
/// concurrent call pipelines on it) and reconnecting on its own after a failure.
#[derive(Clone)]
pub struct RedisConnection {
    manager: ConnectionManager,
}

impl RedisConnection {
    /// Connect to `url` (`redis://host:port/db`, `rediss://` for TLS if built with it).
    pub async fn connect(url: &str) -> Result<RedisConnection, CounterError> {
        let client = ::redis::Client::open(url).map_err(backend)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(3)
            .set_max_delay(Duration::from_secs(1));
        let manager = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(backend)?;
        Ok(RedisConnection { manager })
    }

    fn manager(&self) -> ConnectionManager {
        self.manager.clone()
    }
}

impl std::fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedisConnection")
    }
}

fn backend(error: ::redis::RedisError) -> CounterError {
    CounterError::Backend(error.to_string())
}

/// A script: the shared prelude, then its body.
fn script(prelude: &str, body: &str) -> ::redis::Script {
    ::redis::Script::new(&format!("{prelude}\n{body}"))
}
