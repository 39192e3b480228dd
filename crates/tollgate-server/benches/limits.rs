//! The request path's limits step end to end, in process: the key's chain built, a parallel
//! slot, a requests/min and a tokens/min check, the worst case over the route's deployments
//! reserved against the key's budget, then settled and the unused tokens refunded. Issue 5's
//! budget for this: under 5 µs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use rust_decimal::Decimal;
use tollgate_limits::{InProcessCounters, InProcessRateLimiter, InProcessSlots, SystemClock};
use tollgate_pricing::ModelPrice;
use tollgate_server::Principal;
use tollgate_server::limits::{CallContext, CallSize, LimitSettings, Limiter};
use tollgate_store::{ApiKey, Budget, BudgetPeriod, Role, Timestamp};
use tollgate_types::NanoUsd;

fn key(limited: bool) -> ApiKey {
    ApiKey {
        id: "key-1".into(),
        name: "bench".into(),
        prefix: "tg-bench".into(),
        org_id: None,
        team_id: None,
        user_id: None,
        role: Role::Member,
        models: None,
        rpm_limit: limited.then_some(u32::MAX),
        tpm_limit: limited.then_some(u64::MAX / 4),
        max_parallel: limited.then_some(u32::MAX),
        budget: limited.then_some(Budget::new(NanoUsd(i64::MAX / 4), BudgetPeriod::Monthly)),
        expires_at: None,
        revoked_at: None,
        metadata: serde_json::json!({}),
        guardrails: None,
        created_at: Timestamp(0),
        updated_at: Timestamp(0),
        last_used_at: None,
        spend: NanoUsd::ZERO,
    }
}

fn limits_step(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let clock = Arc::new(SystemClock);
    // A short retention, as a busy gateway's steady state with its reaper running.
    let limiter = Limiter::with_backends(
        LimitSettings::default(),
        None,
        Arc::new(InProcessCounters::with_retention(
            clock.clone(),
            Duration::from_secs(1),
        )),
        Arc::new(InProcessRateLimiter::new(clock.clone())),
        Arc::new(InProcessSlots::new()),
        clock,
    );
    let price = Arc::new(ModelPrice {
        input: Decimal::new(15, 8),
        output: Decimal::new(6, 7),
        ..ModelPrice::free()
    });
    // A model with two deployments and a fallback's: the worst case looks at all three.
    let prices = vec![Some(price.clone()), Some(price.clone()), Some(price)];
    let size = CallSize {
        input_tokens: 1_200,
        max_output_tokens: Some(256),
        choices: 1,
    };
    let next_id = AtomicU64::new(0);
    for (name, limited) in [
        ("limits: key with none", false),
        ("limits: rpm+tpm+parallel+budget, reserve+settle", true),
    ] {
        let principal = Principal::Key(Arc::new(key(limited)));
        c.bench_function(name, |b| {
            b.iter(|| {
                runtime.block_on(async {
                    let id = format!("req-{}", next_id.fetch_add(1, Ordering::Relaxed));
                    let mut headers = Vec::new();
                    let context = CallContext {
                        request_id: &id,
                        principal: &principal,
                        end_user: None,
                        prices: &|| prices.clone(),
                        size,
                    };
                    let admission = limiter.admit(context, 0, &mut headers).await.unwrap();
                    admission.finish(Some(NanoUsd(123_456)), 900).await;
                })
            })
        });
    }
}

criterion_group!(benches, limits_step);
criterion_main!(benches);
