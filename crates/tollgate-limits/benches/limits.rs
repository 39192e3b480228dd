//! The limits' share of one request, in process: a requests/min and a tokens/min check, a
//! reservation over four budgets (key, user, team, organization), its settlement and the token
//! refund. The budget: under 5 µs. The same on the Redis backends (four round trips to
//! `TOLLGATE_BENCH_REDIS_URL`, default the local Redis), for scale-out's cost per request.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use tollgate_limits::{
    BudgetSpec, Counters, InProcessCounters, InProcessRateLimiter, Period, RateCheck, RateLimiter,
    RedisConnection, RedisCounters, RedisRateLimiter, ReservationId, ReserveRequest, Scope,
    SystemClock,
};
use tollgate_types::NanoUsd;

fn one_request(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let clock = Arc::new(SystemClock);
    // A short retention, as a busy gateway's steady state: closed reservations are forgotten
    // while the bench runs instead of piling up.
    let counters: Arc<dyn Counters> = Arc::new(InProcessCounters::with_retention(
        clock.clone(),
        Duration::from_secs(1),
    ));
    let limiter: Arc<dyn RateLimiter> = Arc::new(InProcessRateLimiter::new(clock));
    bench_backend(
        c,
        &runtime,
        "rate check + reserve 4 budgets + settle + refund",
        counters,
        limiter,
    );
}

fn one_request_on_redis(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = std::env::var("TOLLGATE_BENCH_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let connection = runtime
        .block_on(RedisConnection::connect(&url))
        .expect("the Redis bench needs a Redis");
    let prefix = format!("tgbench:{}:", std::process::id());
    let clock = Arc::new(SystemClock);
    let counters: Arc<dyn Counters> = Arc::new(
        RedisCounters::new(connection.clone(), clock.clone(), prefix.clone())
            .with_retention(Duration::from_secs(1)),
    );
    let limiter: Arc<dyn RateLimiter> =
        Arc::new(RedisRateLimiter::new(connection, clock, prefix.clone()));
    bench_backend(
        c,
        &runtime,
        "redis: rate check + reserve 4 budgets + settle + refund",
        counters,
        limiter,
    );
    runtime.block_on(async {
        let client = redis::Client::open(url).unwrap();
        let mut connection = client.get_multiplexed_async_connection().await.unwrap();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{prefix}*"))
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
    });
}

fn bench_backend(
    c: &mut Criterion,
    runtime: &tokio::runtime::Runtime,
    name: &str,
    counters: Arc<dyn Counters>,
    limiter: Arc<dyn RateLimiter>,
) {
    let huge = NanoUsd(i64::MAX / 4);
    let budgets = vec![
        BudgetSpec::hard(Scope::Key("key-1".into()), huge, Period::Daily),
        BudgetSpec::hard(Scope::User("user-1".into()), huge, Period::Monthly),
        BudgetSpec::hard(Scope::Team("team-1".into()), huge, Period::Monthly),
        BudgetSpec::credits("org-1", huge),
    ];
    let checks = vec![
        RateCheck::requests(Scope::Key("key-1".into()), 1_000_000_000),
        RateCheck::tokens(Scope::Key("key-1".into()), 1_000_000_000_000, 1_200),
    ];
    let next_id = AtomicU64::new(0);

    c.bench_function(name, |b| {
        b.iter(|| {
            runtime.block_on(async {
                let grant = limiter.acquire(checks.clone()).await.unwrap();
                let id =
                    ReservationId::from(format!("req-{}", next_id.fetch_add(1, Ordering::Relaxed)));
                let request = ReserveRequest {
                    id: id.clone(),
                    budgets: budgets.clone(),
                    amount: NanoUsd(1_500_000),
                    lease: Duration::from_secs(600),
                };
                counters.reserve(request).await.unwrap();
                counters.settle(&id, NanoUsd(900_000)).await.unwrap();
                if let Some(refund) = grant.into_refund(800) {
                    limiter.refund(refund).await.unwrap();
                }
            })
        })
    });
}

/// What the bench itself costs (runtime entry, a fresh id, cloning the inputs), to subtract
/// from the number above.
fn harness_only(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let budgets = vec![BudgetSpec::hard(Scope::Key("key-1".into()), NanoUsd(1), Period::Daily); 4];
    let checks = vec![RateCheck::requests(Scope::Key("key-1".into()), 1); 2];
    let next_id = AtomicU64::new(0);
    c.bench_function("harness only", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let id =
                    ReservationId::from(format!("req-{}", next_id.fetch_add(1, Ordering::Relaxed)));
                criterion::black_box((id, budgets.clone(), checks.clone()))
            })
        })
    });
}

criterion_group!(benches, one_request, one_request_on_redis, harness_only);
criterion_main!(benches);
