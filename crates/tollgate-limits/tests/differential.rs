//! The Redis backends against the in-process ones, operation by operation: thousands of random
//! reserves, settles, releases, renewals, seeds, explains and rate-limit takes and refunds on a
//! clock that jumps across leases, midnights, month ends and quota changes, in random zones and
//! with amounts past 2^53 (where Lua's doubles stop being exact). Every answer must be equal.
//! Also: two Redis instances (two connections, one prefix) racing one budget.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{SUNDAY_AFTERNOON, manual_clock, redis_connection, unique_prefix};
use tollgate_limits::{
    BudgetMode, BudgetSpec, Counters, InProcessCounters, InProcessRateLimiter, Period, Quota,
    RateCheck, RateKind, RateLimiter, RedisCounters, RedisRateLimiter, ReserveRequest, Scope,
    UtcOffset,
};
use tollgate_types::NanoUsd;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize].clone()
    }
}

const BIG: i64 = 9_007_199_254_740_993; // 2^53 + 1

fn scopes() -> Vec<Scope> {
    vec![
        Scope::Key("k1".into()),
        Scope::Key("k2".into()),
        Scope::Team("t".into()),
        Scope::Org("o".into()),
        Scope::EndUser {
            org: Some("o".into()),
            id: "alice".into(),
        },
        Scope::Credits("o".into()),
    ]
}

fn random_spec(rng: &mut Rng, scope: Scope, huge: bool) -> BudgetSpec {
    let limit = if huge {
        BIG * (1 + rng.below(1_000) as i64) + rng.below(1_000) as i64
    } else {
        rng.below(10_000) as i64
    };
    let period = rng.pick(&[Period::None, Period::Daily, Period::Weekly, Period::Monthly]);
    let mut spec = BudgetSpec::hard(scope, NanoUsd(limit), period);
    if rng.below(3) == 0 {
        spec.mode = BudgetMode::Soft;
    }
    if rng.below(3) == 0 {
        spec.alert_at_percent = Some(1 + rng.below(100) as u8);
    }
    let minutes = rng.pick(&[0, 0, 120, -300, 330, 840, -720]);
    spec.with_offset(UtcOffset::from_minutes(minutes).unwrap())
}

async fn counters_agree(seed: u64, huge: bool) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let local: Arc<dyn Counters> = Arc::new(InProcessCounters::with_retention(
        clock.clone(),
        Duration::from_secs(600),
    ));
    let prefix = unique_prefix();
    let redis: Arc<dyn Counters> = Arc::new(
        RedisCounters::new(redis_connection().await, clock.clone(), prefix.clone())
            .with_retention(Duration::from_secs(600)),
    );
    let mut rng = Rng(seed);
    let scopes = scopes();
    // Each scope keeps one spec for a while, then changes it (as limits change between calls).
    let mut specs: Vec<BudgetSpec> = scopes
        .iter()
        .map(|s| random_spec(&mut rng, s.clone(), huge))
        .collect();
    let unit = if huge { BIG / 7 } else { 1 };
    let mut ids = Vec::new();
    for step in 0..1_500 {
        match rng.below(100) {
            0..=34 => {
                let id = format!("r{step}");
                let mut budgets = Vec::new();
                for spec in &specs {
                    if rng.below(2) == 0 {
                        budgets.push(spec.clone());
                    }
                }
                let request = ReserveRequest {
                    id: id.as_str().into(),
                    budgets,
                    amount: NanoUsd(rng.below(1_500) as i64 * unit),
                    lease: Duration::from_millis(1 + rng.below(120_000)),
                };
                let (a, b) = (
                    local.reserve(request.clone()).await,
                    redis.reserve(request).await,
                );
                assert_eq!(a, b, "reserve at step {step}");
                ids.push(id);
            }
            35..=54 if !ids.is_empty() => {
                let id = rng.pick(&ids).as_str().into();
                let actual = NanoUsd(rng.below(2_000) as i64 * unit);
                let (a, b) = (
                    local.settle(&id, actual).await,
                    redis.settle(&id, actual).await,
                );
                assert_eq!(a, b, "settle at step {step}");
            }
            55..=64 if !ids.is_empty() => {
                let id = rng.pick(&ids).as_str().into();
                assert_eq!(
                    local.release(&id).await,
                    redis.release(&id).await,
                    "release at step {step}"
                );
            }
            65..=69 if !ids.is_empty() => {
                let id = rng.pick(&ids).as_str().into();
                let lease = Duration::from_millis(1 + rng.below(60_000));
                assert_eq!(
                    local.renew(&id, lease).await,
                    redis.renew(&id, lease).await,
                    "renew at step {step}"
                );
            }
            70..=74 => {
                let scope = rng.pick(&scopes);
                let spec = random_spec(&mut rng, scope, huge);
                let spent = NanoUsd(rng.below(5_000) as i64 * unit);
                assert_eq!(
                    local.seed_spent(&spec, spent).await,
                    redis.seed_spent(&spec, spent).await,
                    "seed at step {step}"
                );
            }
            75..=84 => {
                let scope = rng.pick(&scopes);
                assert_eq!(
                    local.explain(&scope).await,
                    redis.explain(&scope).await,
                    "explain {scope} at step {step}"
                );
            }
            85..=86 => {
                assert_eq!(
                    local.reap().await,
                    redis.reap().await,
                    "reap at step {step}"
                );
            }
            87..=89 => {
                let index = rng.below(specs.len() as u64) as usize;
                specs[index] = random_spec(&mut rng, scopes[index].clone(), huge);
            }
            _ => {
                // Mostly small steps (leases), sometimes across days and month ends.
                let by = match rng.below(10) {
                    0 => rng.below(40 * 86_400_000),
                    1..=2 => rng.below(86_400_000),
                    _ => rng.below(90_000),
                };
                clock.advance(Duration::from_millis(by));
            }
        }
    }
    for scope in &scopes {
        assert_eq!(
            local.explain(scope).await,
            redis.explain(scope).await,
            "{scope} at the end"
        );
    }
    common::delete_prefix(&prefix).await;
}

async fn rate_limits_agree(seed: u64) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let local: Arc<dyn RateLimiter> = Arc::new(InProcessRateLimiter::new(clock.clone()));
    let prefix = unique_prefix();
    let redis: Arc<dyn RateLimiter> = Arc::new(RedisRateLimiter::new(
        redis_connection().await,
        clock.clone(),
        prefix.clone(),
    ));
    let mut rng = Rng(seed);
    let scopes = scopes();
    let limits = [
        0,
        1,
        7,
        60,
        1_000,
        90_000,
        1_000_003,
        10_000_000_000,
        Quota::MAX_LIMIT - 1,
        Quota::MAX_LIMIT,
    ];
    let periods = [1, 1_000, 60_000, 60_000, 86_400_000];
    let mut quotas: Vec<(Quota, Quota)> = scopes
        .iter()
        .map(|_| {
            let quota = |rng: &mut Rng| {
                Quota::new(rng.pick(&limits), Duration::from_millis(rng.pick(&periods))).unwrap()
            };
            (quota(&mut rng), quota(&mut rng))
        })
        .collect();
    let mut grants = Vec::new();
    for step in 0..2_000 {
        match rng.below(100) {
            0..=59 => {
                let mut checks = Vec::new();
                for (index, scope) in scopes.iter().enumerate() {
                    for kind in [RateKind::Requests, RateKind::Tokens] {
                        if rng.below(3) != 0 {
                            continue;
                        }
                        let quota = match kind {
                            RateKind::Requests => quotas[index].0,
                            RateKind::Tokens => quotas[index].1,
                        };
                        let amount = match rng.below(4) {
                            0 => 1,
                            1 => rng.below(quota.limit().max(1) + 2),
                            2 => quota.limit() / (1 + rng.below(5)),
                            _ => rng.below(2_000),
                        };
                        checks.push(RateCheck {
                            scope: scope.clone(),
                            kind,
                            quota,
                            amount,
                        });
                    }
                }
                let (a, b) = (
                    local.acquire(checks.clone()).await,
                    redis.acquire(checks).await,
                );
                assert_eq!(a, b, "acquire at step {step}");
                if let Ok(grant) = a {
                    grants.push(grant);
                }
            }
            60..=74 if !grants.is_empty() => {
                let index = rng.below(grants.len() as u64) as usize;
                let grant = grants.swap_remove(index);
                let used = rng.below(3_000);
                if let Some(refund) = grant.into_refund(used) {
                    local.refund(refund.clone()).await.unwrap();
                    redis.refund(refund).await.unwrap();
                }
            }
            75..=77 => {
                assert_eq!(
                    local.reap().await,
                    redis.reap().await,
                    "reap at step {step}"
                );
            }
            78..=81 => {
                // A changed limit (same period: the exact path) or a new quota altogether.
                let index = rng.below(quotas.len() as u64) as usize;
                let (requests, tokens) = quotas[index];
                let limit = rng.pick(&limits);
                quotas[index] = if rng.below(2) == 0 {
                    (
                        Quota::new(limit, Duration::from_millis(requests.period_ms())).unwrap(),
                        tokens,
                    )
                } else {
                    (
                        requests,
                        Quota::new(limit, Duration::from_millis(tokens.period_ms())).unwrap(),
                    )
                };
            }
            _ => {
                let by = match rng.below(10) {
                    0 => rng.below(120_000),
                    _ => rng.below(2_000),
                };
                clock.advance(Duration::from_millis(by));
            }
        }
    }
    common::delete_prefix(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_agree_with_in_process_on_random_operations() {
    for seed in 1..=4 {
        counters_agree(seed * 7_919, false).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_agree_past_two_to_the_53_nano_dollars() {
    for seed in 1..=3 {
        counters_agree(seed * 104_729, true).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_agree_with_in_process_on_random_operations() {
    for seed in 1..=4 {
        rate_limits_agree(seed * 15_485_863).await;
    }
}

/// Two gateway instances: each its own connection, one prefix. 400 calls split between them
/// race one budget; exactly floor(budget / cost) are served.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_one_budget_exactly() {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let prefix = unique_prefix();
    let instances: Vec<Arc<dyn Counters>> = vec![
        Arc::new(RedisCounters::new(
            redis_connection().await,
            clock.clone(),
            prefix.clone(),
        )),
        Arc::new(RedisCounters::new(
            redis_connection().await,
            clock.clone(),
            prefix.clone(),
        )),
    ];
    const COST: i64 = 1_234_567;
    let budget = BudgetSpec::hard(
        Scope::Team("t".into()),
        NanoUsd(150 * COST + 7),
        Period::Daily,
    );
    let barrier = Arc::new(tokio::sync::Barrier::new(400));
    let mut handles = Vec::new();
    for i in 0..400 {
        let counters = Arc::clone(&instances[i % 2]);
        let barrier = Arc::clone(&barrier);
        let request = common::request(&format!("x-{i}"), vec![budget.clone()], COST);
        handles.push(tokio::spawn(async move {
            barrier.wait().await;
            let id = request.id.clone();
            match counters.reserve(request).await {
                Ok(_) => {
                    counters.settle(&id, NanoUsd(COST)).await.unwrap();
                    true
                }
                Err(_) => false,
            }
        }));
    }
    let mut served = 0;
    for handle in handles {
        served += usize::from(handle.await.unwrap());
    }
    assert_eq!(served, 150);
    for counters in &instances {
        let report = counters.explain(&budget.scope).await.unwrap().unwrap();
        assert_eq!(report.spent, NanoUsd(150 * COST));
        assert_eq!(report.reserved, NanoUsd::ZERO);
    }
    common::delete_prefix(&prefix).await;
}
