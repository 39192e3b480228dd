//! Max parallel requests: permits are all-or-none and free their slots when released or
//! dropped, on both backends; in Redis, instances share the slots and a dead holder's slots
//! come back when their lease ends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use common::{Backend, Kind, SUNDAY_AFTERNOON, manual_clock};
use tollgate_limits::{ParallelError, ParallelLimit, ParallelLimiter, ParallelRefused, Scope};

const LEASE: Duration = Duration::from_secs(60);

fn limits(key: u32, team: u32) -> Vec<ParallelLimit> {
    vec![
        ParallelLimit {
            scope: Scope::Key("k".into()),
            max: key,
        },
        ParallelLimit {
            scope: Scope::Team("t".into()),
            max: team,
        },
    ]
}

fn refused(result: Result<tollgate_limits::ParallelPermit, ParallelError>) -> ParallelRefused {
    match result {
        Err(ParallelError::Refused(refused)) => refused,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Waits for the releases that permits' drops started in the background.
async fn settled(limiter: &ParallelLimiter) {
    limiter.background().close();
    limiter.background().wait().await;
    limiter.background().reopen();
}

async fn in_flight(limiter: &ParallelLimiter, scope: Scope) -> u32 {
    limiter.in_flight(&scope).await.unwrap()
}

async fn permits_free_their_slots(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let limiter = backend.parallel(&clock);
    let first = limiter.acquire("r1", &limits(2, 10), LEASE).await.unwrap();
    let second = limiter.acquire("r2", &limits(2, 10), LEASE).await.unwrap();
    let refusal = refused(limiter.acquire("r3", &limits(2, 10), LEASE).await);
    assert_eq!(refusal.scope, Scope::Key("k".into()));
    assert_eq!((refusal.max, refusal.in_flight), (2, 2));
    assert_eq!(refusal.code(), "rate_limit_exceeded");
    assert_eq!(
        refusal.to_string(),
        "Too many parallel requests for key k: 2 in flight, limit 2"
    );
    assert_eq!(in_flight(&limiter, Scope::Team("t".into())).await, 2);

    first.release().await;
    let third = limiter.acquire("r3", &limits(2, 10), LEASE).await.unwrap();
    drop((second, third));
    settled(&limiter).await;
    assert_eq!(in_flight(&limiter, Scope::Key("k".into())).await, 0);
    assert_eq!(in_flight(&limiter, Scope::Team("t".into())).await, 0);
}

async fn a_full_team_takes_no_slot_from_the_key(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let limiter = backend.parallel(&clock);
    let team_only = [ParallelLimit {
        scope: Scope::Team("t".into()),
        max: 1,
    }];
    let _busy = limiter.acquire("r1", &team_only, LEASE).await.unwrap();
    let refusal = refused(limiter.acquire("r2", &limits(5, 1), LEASE).await);
    assert_eq!(refusal.scope, Scope::Team("t".into()));
    assert_eq!(in_flight(&limiter, Scope::Key("k".into())).await, 0);
}

async fn a_scope_named_twice_counts_once(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let limiter = backend.parallel(&clock);
    let twice = [
        ParallelLimit {
            scope: Scope::Key("k".into()),
            max: 1,
        },
        ParallelLimit {
            scope: Scope::Key("k".into()),
            max: 1,
        },
    ];
    let permit = limiter.acquire("r1", &twice, LEASE).await.unwrap();
    assert_eq!(in_flight(&limiter, Scope::Key("k".into())).await, 1);
    permit.release().await;
    assert_eq!(in_flight(&limiter, Scope::Key("k".into())).await, 0);
}

async fn never_more_in_flight_than_the_limit(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let limiter = backend.parallel(&clock);
    let in_flight_now = Arc::new(AtomicU32::new(0));
    let peak = Arc::new(AtomicU32::new(0));
    let mut handles = Vec::new();
    for call in 0..500 {
        let limiter = limiter.clone();
        let in_flight_now = Arc::clone(&in_flight_now);
        let peak = Arc::clone(&peak);
        handles.push(tokio::spawn(async move {
            let holder = format!("r{call}");
            let Ok(permit) = limiter.acquire(&holder, &limits(3, 8), LEASE).await else {
                return false;
            };
            let now = in_flight_now.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            tokio::task::yield_now().await;
            in_flight_now.fetch_sub(1, Ordering::SeqCst);
            // Half give their slots back explicitly, half by dropping the permit.
            if call % 2 == 0 {
                permit.release().await;
            } else {
                drop(permit);
            }
            true
        }));
    }
    let mut served = 0;
    for handle in handles {
        served += u32::from(handle.await.unwrap());
    }
    settled(&limiter).await;
    assert!(peak.load(Ordering::SeqCst) <= 3);
    assert!(served >= 3);
    assert_eq!(in_flight(&limiter, Scope::Key("k".into())).await, 0);
    assert_eq!(in_flight(&limiter, Scope::Team("t".into())).await, 0);
}

on_both_backends!(
    permits_free_their_slots,
    a_full_team_takes_no_slot_from_the_key,
    a_scope_named_twice_counts_once,
    never_more_in_flight_than_the_limit,
);

#[test]
fn a_panicking_holder_still_frees_its_slot() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let limiter = ParallelLimiter::in_process();
    let inner = limiter.clone();
    let crashed = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let _permit = runtime
            .block_on(inner.acquire("r1", &limits(1, 1), LEASE))
            .unwrap();
        panic!("the handler crashed");
    })
    .join();
    assert!(crashed.is_err());
    runtime.block_on(async {
        assert_eq!(in_flight(&limiter, Scope::Key("k".into())).await, 0);
        limiter.acquire("r2", &limits(1, 1), LEASE).await.unwrap();
    });
}

/// Two instances on one Redis prefix: a key's `max_parallel` counts both.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_share_the_slots_in_redis() {
    common::run(Kind::Redis, |backend| async move {
        let clock = manual_clock(SUNDAY_AFTERNOON);
        let prefix = backend.new_prefix();
        let (one, two) = (
            backend.parallel_at(&clock, &prefix),
            backend.parallel_at(&clock, &prefix),
        );
        let on_one = one.acquire("r1", &limits(2, 10), LEASE).await.unwrap();
        let _on_two = two.acquire("r2", &limits(2, 10), LEASE).await.unwrap();
        let refusal = refused(one.acquire("r3", &limits(2, 10), LEASE).await);
        assert_eq!(
            (refusal.scope, refusal.in_flight),
            (Scope::Key("k".into()), 2)
        );
        on_one.release().await;
        two.acquire("r3", &limits(2, 10), LEASE).await.unwrap();
    })
    .await;
}

/// An instance that dies holding slots (its permits never dropped) loses them when the lease
/// ends; a holder that renews keeps them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dead_holders_slots_come_back_when_the_lease_ends() {
    common::run(Kind::Redis, |backend| async move {
        let clock = manual_clock(SUNDAY_AFTERNOON);
        let limiter = backend.parallel(&clock);
        let key_only = [ParallelLimit {
            scope: Scope::Key("k".into()),
            max: 2,
        }];
        let dead = limiter.acquire("dead", &key_only, LEASE).await.unwrap();
        std::mem::forget(dead);
        let streaming = limiter.acquire("stream", &key_only, LEASE).await.unwrap();
        refused(limiter.acquire("r1", &key_only, LEASE).await);

        clock.advance(Duration::from_secs(40));
        streaming.renew(LEASE).await.unwrap();
        refused(limiter.acquire("r1", &key_only, LEASE).await);

        // The dead holder's lease ended at 60 s; the stream's runs to 100 s.
        clock.advance(Duration::from_secs(20));
        assert_eq!(in_flight(&limiter, Scope::Key("k".into())).await, 1);
        let fresh = limiter.acquire("r1", &key_only, LEASE).await.unwrap();
        refused(limiter.acquire("r2", &key_only, LEASE).await);

        // A slot whose lease ended is not renewed back into existence.
        clock.advance(Duration::from_secs(61));
        fresh.renewal().renew(LEASE).await.unwrap();
        assert_eq!(in_flight(&limiter, Scope::Key("k".into())).await, 0);
    })
    .await;
}
