//! Max parallel requests: permits are all-or-none and free their slots when dropped.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use tollgate_limits::{ParallelLimit, ParallelLimiter, Scope};

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

#[test]
fn permits_free_their_slots_on_drop() {
    let limiter = ParallelLimiter::new();
    let first = limiter.try_acquire(&limits(2, 10)).unwrap();
    let second = limiter.try_acquire(&limits(2, 10)).unwrap();
    let refused = limiter.try_acquire(&limits(2, 10)).unwrap_err();
    assert_eq!(refused.scope, Scope::Key("k".into()));
    assert_eq!((refused.max, refused.in_flight), (2, 2));
    assert_eq!(refused.code(), "rate_limit_exceeded");
    assert_eq!(
        refused.to_string(),
        "Too many parallel requests for key k: 2 in flight, limit 2"
    );

    drop(first);
    let third = limiter.try_acquire(&limits(2, 10)).unwrap();
    drop((second, third));
    assert_eq!(limiter.in_flight(&Scope::Key("k".into())), 0);
    assert_eq!(limiter.in_flight(&Scope::Team("t".into())), 0);
}

#[test]
fn a_full_team_takes_no_slot_from_the_key() {
    let limiter = ParallelLimiter::new();
    let team_only = [ParallelLimit {
        scope: Scope::Team("t".into()),
        max: 1,
    }];
    let _busy = limiter.try_acquire(&team_only).unwrap();
    let refused = limiter.try_acquire(&limits(5, 1)).unwrap_err();
    assert_eq!(refused.scope, Scope::Team("t".into()));
    assert_eq!(limiter.in_flight(&Scope::Key("k".into())), 0);
}

#[test]
fn a_panicking_holder_still_frees_its_slot() {
    let limiter = ParallelLimiter::new();
    let inner = limiter.clone();
    let crashed = std::thread::spawn(move || {
        let _permit = inner.try_acquire(&limits(1, 1)).unwrap();
        panic!("the handler crashed");
    })
    .join();
    assert!(crashed.is_err());
    assert_eq!(limiter.in_flight(&Scope::Key("k".into())), 0);
    limiter.try_acquire(&limits(1, 1)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn never_more_in_flight_than_the_limit() {
    let limiter = ParallelLimiter::new();
    let in_flight = Arc::new(AtomicU32::new(0));
    let peak = Arc::new(AtomicU32::new(0));
    let mut handles = Vec::new();
    for _ in 0..500 {
        let limiter = limiter.clone();
        let in_flight = Arc::clone(&in_flight);
        let peak = Arc::clone(&peak);
        handles.push(tokio::spawn(async move {
            let Ok(permit) = limiter.try_acquire(&limits(3, 8)) else {
                return false;
            };
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            tokio::task::yield_now().await;
            in_flight.fetch_sub(1, Ordering::SeqCst);
            drop(permit);
            true
        }));
    }
    let mut served = 0;
    for handle in handles {
        served += u32::from(handle.await.unwrap());
    }
    assert!(peak.load(Ordering::SeqCst) <= 3);
    assert!(served >= 3);
    assert_eq!(limiter.in_flight(&Scope::Key("k".into())), 0);
}
