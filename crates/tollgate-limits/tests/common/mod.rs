//! Helpers shared by the integration tests: backends behind their traits, requests, races.
//!
//! Every behavioural test runs against both backends: `on_both_backends!(a, b)` turns
//! `async fn a(backend: Backend)` into `in_process::a` and `redis::a`. The Redis half uses
//! `TOLLGATE_TEST_REDIS_URL` (default `redis://127.0.0.1:6379`) under a key prefix of its own,
//! and FAILS if Redis is unreachable: it is never skipped.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Barrier;
use tollgate_limits::{
    BudgetSpec, Counters, InProcessCounters, InProcessRateLimiter, InProcessSlots, ManualClock,
    ParallelLimiter, RateLimiter, RedisConnection, RedisCounters, RedisParallelSlots,
    RedisRateLimiter, Refusal, ReserveError, ReserveRequest, SettleOutcome,
};
use tollgate_types::NanoUsd;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    InProcess,
    Redis,
}

/// One test's backend: builds fresh counters and limiters, each in a namespace of its own (as
/// a new in-process backend would be), all under one prefix removed when the test ends.
#[derive(Clone)]
pub struct Backend {
    pub kind: Kind,
    prefix: String,
    redis: Option<RedisConnection>,
    fresh: Arc<AtomicU64>,
}

pub fn redis_url() -> String {
    std::env::var("TOLLGATE_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A prefix no other test (process or thread) uses.
pub fn unique_prefix() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "tgtest:{}-{nanos}-{}:",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

pub async fn redis_connection() -> RedisConnection {
    let url = redis_url();
    RedisConnection::connect(&url)
        .await
        .unwrap_or_else(|error| {
            panic!(
                "Redis is required by the limits suite and is unreachable at {url}: {error}. Start \
             it (`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save \"\" \
             --appendonly no`) or point TOLLGATE_TEST_REDIS_URL at one."
            )
        })
}

impl Backend {
    pub async fn new(kind: Kind) -> Backend {
        let redis = match kind {
            Kind::InProcess => None,
            Kind::Redis => Some(redis_connection().await),
        };
        Backend {
            kind,
            prefix: unique_prefix(),
            redis,
            fresh: Arc::new(AtomicU64::new(0)),
        }
    }

    fn fresh_prefix(&self) -> String {
        format!(
            "{}{}:",
            self.prefix,
            self.fresh.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// New counters, sharing nothing with earlier ones (as a new in-process backend).
    pub async fn counters(&self, clock: &Arc<ManualClock>) -> Arc<dyn Counters> {
        self.counters_with_retention(clock, tollgate_limits::DEFAULT_RETENTION)
            .await
    }

    pub async fn counters_with_retention(
        &self,
        clock: &Arc<ManualClock>,
        retention: Duration,
    ) -> Arc<dyn Counters> {
        match &self.redis {
            None => Arc::new(InProcessCounters::with_retention(clock.clone(), retention)),
            Some(connection) => Arc::new(
                RedisCounters::new(connection.clone(), clock.clone(), self.fresh_prefix())
                    .with_retention(retention),
            ),
        }
    }

    /// A new rate limiter, sharing nothing with earlier ones.
    pub fn rate_limiter(&self, clock: &Arc<ManualClock>) -> Arc<dyn RateLimiter> {
        match &self.redis {
            None => Arc::new(InProcessRateLimiter::new(clock.clone())),
            Some(connection) => Arc::new(RedisRateLimiter::new(
                connection.clone(),
                clock.clone(),
                self.fresh_prefix(),
            )),
        }
    }

    /// A new parallel limiter, sharing nothing with earlier ones.
    pub fn parallel(&self, clock: &Arc<ManualClock>) -> ParallelLimiter {
        let prefix = self.fresh_prefix();
        self.parallel_at(clock, &prefix)
    }

    /// A parallel limiter on `prefix`: two of them with one prefix are two instances sharing
    /// their slots (in-process, each has its own).
    pub fn parallel_at(&self, clock: &Arc<ManualClock>, prefix: &str) -> ParallelLimiter {
        let background = tokio_util::task::TaskTracker::new();
        match &self.redis {
            None => ParallelLimiter::new(Arc::new(InProcessSlots::new()), background),
            Some(connection) => ParallelLimiter::new(
                Arc::new(RedisParallelSlots::new(
                    connection.clone(),
                    clock.clone(),
                    prefix,
                )),
                background,
            ),
        }
    }

    /// A prefix of this test's own, for [`Backend::parallel_at`].
    pub fn new_prefix(&self) -> String {
        self.fresh_prefix()
    }

    /// Delete every key this test made.
    pub async fn cleanup(&self) {
        if self.redis.is_none() {
            return;
        }
        delete_prefix(&self.prefix).await;
    }
}

pub async fn delete_prefix(prefix: &str) {
    let client = redis::Client::open(redis_url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let mut cursor: u64 = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}*"))
            .arg("COUNT")
            .arg(1_000)
            .query_async(&mut connection)
            .await
            .unwrap();
        if !keys.is_empty() {
            let _: () = redis::cmd("DEL")
                .arg(&keys)
                .query_async(&mut connection)
                .await
                .unwrap();
        }
        if next == 0 {
            break;
        }
        cursor = next;
    }
}

/// Runs `test` on a new backend of `kind`, then removes its Redis keys (when it passed; a
/// failed test's keys stay for a look).
pub async fn run<F, Fut>(kind: Kind, test: F)
where
    F: FnOnce(Backend) -> Fut,
    Fut: Future<Output = ()>,
{
    let backend = Backend::new(kind).await;
    test(backend.clone()).await;
    backend.cleanup().await;
}

/// `in_process::NAME` and `redis::NAME` from `async fn NAME(backend: Backend)`.
#[allow(unused_macros)]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod in_process {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    $crate::common::run($crate::common::Kind::InProcess, super::$name).await;
                }
            )+
        }
        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    $crate::common::run($crate::common::Kind::Redis, super::$name).await;
                }
            )+
        }
    };
}

/// 2024-03-10T15:00:00Z, a Sunday.
pub const SUNDAY_AFTERNOON: i64 = 1_710_082_800_000;
pub const DAY_MS: i64 = 86_400_000;

pub fn manual_clock(at: i64) -> Arc<ManualClock> {
    Arc::new(ManualClock::new(at))
}

pub fn request(id: &str, budgets: Vec<BudgetSpec>, amount: i64) -> ReserveRequest {
    ReserveRequest {
        id: id.into(),
        budgets,
        amount: NanoUsd(amount),
        lease: Duration::from_secs(60),
    }
}

#[derive(Debug, Default)]
pub struct RaceResult {
    pub served: usize,
    pub refused: Vec<Refusal>,
    /// What the served calls were charged, by their own settle outcomes.
    pub charged: i64,
}

/// `tasks` calls at once on a multi-thread runtime: each reserves `reserve` against
/// `budgets_for(i)`, yields (so others interleave while it holds), then settles `actual`. A
/// refused call settles its id too, as a sloppy caller might, which must charge nothing.
pub async fn race(
    counters: &Arc<dyn Counters>,
    prefix: &str,
    tasks: usize,
    budgets_for: impl Fn(usize) -> Vec<BudgetSpec>,
    reserve: i64,
    actual: i64,
) -> RaceResult {
    let barrier = Arc::new(Barrier::new(tasks));
    let mut handles = Vec::with_capacity(tasks);
    for i in 0..tasks {
        let counters = Arc::clone(counters);
        let barrier = Arc::clone(&barrier);
        let request = request(&format!("{prefix}-{i}"), budgets_for(i), reserve);
        handles.push(tokio::spawn(async move {
            barrier.wait().await;
            let id = request.id.clone();
            match counters.reserve(request).await {
                Ok(_) => {
                    tokio::task::yield_now().await;
                    match counters.settle(&id, NanoUsd(actual)).await.unwrap() {
                        SettleOutcome::Settled(settlement) => Ok(settlement.charged.0),
                        other => panic!("a served call settles once: {other:?}"),
                    }
                }
                Err(ReserveError::Refused(refusal)) => {
                    let outcome = counters.settle(&id, NanoUsd(actual)).await.unwrap();
                    assert_eq!(outcome, SettleOutcome::Unknown, "refused and charged");
                    Err(*refusal)
                }
                Err(other) => panic!("backend failed: {other}"),
            }
        }));
    }
    let mut result = RaceResult::default();
    for handle in handles {
        match handle.await.unwrap() {
            Ok(charged) => {
                result.served += 1;
                result.charged += charged;
            }
            Err(refusal) => result.refused.push(refusal),
        }
    }
    result
}

/// Every refusal was justified by its own numbers: the call really did not fit.
pub fn assert_refusals_justified(refusals: &[Refusal]) {
    for refusal in refusals {
        let total = i128::from(refusal.spent.0)
            + i128::from(refusal.reserved.0)
            + i128::from(refusal.requested.0);
        assert!(
            total > i128::from(refusal.limit.0),
            "refused a call that fit: {refusal:?}"
        );
    }
}
