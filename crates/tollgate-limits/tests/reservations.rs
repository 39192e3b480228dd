//! Reservation life cycle: idempotency, leases, renewals, explain, reap, seeding, the guard.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::time::Duration;

use common::Backend;
use common::{SUNDAY_AFTERNOON, manual_clock, request};
use tokio_util::task::TaskTracker;
use tollgate_limits::{
    BudgetSpec, CounterError, Period, ReleaseOutcome, RenewOutcome, ReservationGuard,
    ReservationId, ReserveError, Scope, SettleOutcome,
};
use tollgate_types::NanoUsd;

fn key() -> Scope {
    Scope::Key("k".into())
}

fn budget(limit: i64) -> Vec<BudgetSpec> {
    vec![BudgetSpec::hard(key(), NanoUsd(limit), Period::None)]
}

fn id(text: &str) -> ReservationId {
    ReservationId::from(text)
}

async fn settle_is_idempotent(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let counters = backend.counters(&clock).await;
    counters
        .reserve(request("a", budget(1_000), 400))
        .await
        .unwrap();

    let first = counters.settle(&id("a"), NanoUsd(300)).await.unwrap();
    let SettleOutcome::Settled(settlement) = first else {
        panic!("{first:?}")
    };
    assert_eq!(settlement.charged, NanoUsd(300));
    assert_eq!(settlement.released, NanoUsd(100));
    assert_eq!(settlement.overrun, NanoUsd::ZERO);

    let again = counters.settle(&id("a"), NanoUsd(300)).await.unwrap();
    assert_eq!(
        again,
        SettleOutcome::AlreadySettled {
            charged: NanoUsd(300)
        }
    );
    assert_eq!(
        counters.release(&id("a")).await.unwrap(),
        ReleaseOutcome::AlreadySettled
    );
    assert_eq!(
        counters.spent(&key()).await.unwrap(),
        NanoUsd(300),
        "charged once"
    );
}

async fn release_is_idempotent_and_charges_nothing(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let counters = backend.counters(&clock).await;
    counters
        .reserve(request("a", budget(1_000), 400))
        .await
        .unwrap();

    assert_eq!(
        counters.release(&id("a")).await.unwrap(),
        ReleaseOutcome::Released {
            amount: NanoUsd(400)
        }
    );
    assert_eq!(
        counters.release(&id("a")).await.unwrap(),
        ReleaseOutcome::AlreadyReleased
    );
    assert_eq!(
        counters.settle(&id("a"), NanoUsd(400)).await.unwrap(),
        SettleOutcome::AlreadyReleased
    );
    let report = counters.explain(&key()).await.unwrap().unwrap();
    assert_eq!(
        (report.spent, report.reserved),
        (NanoUsd::ZERO, NanoUsd::ZERO)
    );
}

async fn a_repeated_reserve_finds_the_same_hold(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let counters = backend.counters(&clock).await;
    let first = counters
        .reserve(request("a", budget(1_000), 400))
        .await
        .unwrap();
    let retried = counters
        .reserve(request("a", budget(1_000), 400))
        .await
        .unwrap();
    assert_eq!(first, retried);
    let report = counters.explain(&key()).await.unwrap().unwrap();
    assert_eq!(report.reserved, NanoUsd(400), "held once, not twice");

    counters.settle(&id("a"), NanoUsd(400)).await.unwrap();
    let reused = counters.reserve(request("a", budget(1_000), 400)).await;
    assert_eq!(
        reused,
        Err(ReserveError::Failed(CounterError::DuplicateId(id("a"))))
    );
}

async fn unknown_ids_change_nothing(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let counters = backend.counters(&clock).await;
    assert_eq!(
        counters.settle(&id("x"), NanoUsd(5)).await.unwrap(),
        SettleOutcome::Unknown
    );
    assert_eq!(
        counters.release(&id("x")).await.unwrap(),
        ReleaseOutcome::Unknown
    );
    assert_eq!(
        counters
            .renew(&id("x"), Duration::from_secs(5))
            .await
            .unwrap(),
        RenewOutcome::NotOpen
    );
    assert_eq!(counters.explain(&key()).await.unwrap(), None);
}

async fn a_dead_holders_reservation_expires_and_frees_the_budget(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let counters = backend.counters(&clock).await;
    let mut dead = request("dead", budget(1_000), 800);
    dead.lease = Duration::from_secs(30);
    counters.reserve(dead).await.unwrap();

    let blocked = counters.reserve(request("next", budget(1_000), 800)).await;
    assert!(matches!(blocked, Err(ReserveError::Refused(_))));

    clock.advance(Duration::from_millis(29_999));
    let still = counters.reserve(request("next", budget(1_000), 800)).await;
    assert!(
        matches!(still, Err(ReserveError::Refused(_))),
        "not before the lease ends"
    );

    clock.advance(Duration::from_millis(1));
    counters
        .reserve(request("next", budget(1_000), 800))
        .await
        .unwrap();
    assert_eq!(
        counters.release(&id("dead")).await.unwrap(),
        ReleaseOutcome::Expired
    );
}

async fn a_late_settle_after_expiry_is_still_charged(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let counters = backend.counters(&clock).await;
    let mut slow = request("slow", budget(1_000), 800);
    slow.lease = Duration::from_secs(30);
    counters.reserve(slow).await.unwrap();
    clock.advance(Duration::from_secs(31));

    let outcome = counters.settle(&id("slow"), NanoUsd(700)).await.unwrap();
    let SettleOutcome::SettledAfterExpiry(settlement) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(settlement.charged, NanoUsd(700));
    assert_eq!(counters.spent(&key()).await.unwrap(), NanoUsd(700));
    assert_eq!(
        counters.settle(&id("slow"), NanoUsd(700)).await.unwrap(),
        SettleOutcome::AlreadySettled {
            charged: NanoUsd(700)
        }
    );
    let report = counters.explain(&key()).await.unwrap().unwrap();
    assert_eq!(
        report.reserved,
        NanoUsd::ZERO,
        "the hold was freed once, at expiry"
    );
}

async fn renewing_keeps_a_long_stream_held(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let counters = backend.counters(&clock).await;
    let mut stream = request("stream", budget(1_000), 800);
    stream.lease = Duration::from_secs(30);
    counters.reserve(stream).await.unwrap();

    clock.advance(Duration::from_secs(20));
    let renewed = counters
        .renew(&id("stream"), Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(
        renewed,
        RenewOutcome::Renewed {
            expires_at_ms: SUNDAY_AFTERNOON + 50_000
        }
    );
    clock.advance(Duration::from_secs(20)); // past the first lease, inside the renewed one
    let report = counters.explain(&key()).await.unwrap().unwrap();
    assert_eq!(report.reserved, NanoUsd(800));
    assert!(matches!(
        counters.settle(&id("stream"), NanoUsd(800)).await.unwrap(),
        SettleOutcome::Settled(_)
    ));
}

async fn an_overrun_is_charged_and_reported(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let counters = backend.counters(&clock).await;
    counters
        .reserve(request("a", budget(1_000), 400))
        .await
        .unwrap();
    let outcome = counters.settle(&id("a"), NanoUsd(450)).await.unwrap();
    let SettleOutcome::Settled(settlement) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(settlement.overrun, NanoUsd(50));
    assert_eq!(settlement.released, NanoUsd::ZERO);
    assert_eq!(counters.spent(&key()).await.unwrap(), NanoUsd(450));
}

async fn explain_lists_the_numbers_and_open_holds(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let counters = backend.counters(&clock).await;
    let daily = vec![BudgetSpec::hard(key(), NanoUsd(10_000), Period::Daily)];
    counters
        .reserve(request("a", daily.clone(), 1_000))
        .await
        .unwrap();
    counters
        .reserve(request("b", daily.clone(), 2_000))
        .await
        .unwrap();
    counters.reserve(request("c", daily, 3_000)).await.unwrap();
    counters.settle(&id("c"), NanoUsd(2_500)).await.unwrap();

    let report = counters.explain(&key()).await.unwrap().unwrap();
    assert_eq!(report.limit, NanoUsd(10_000));
    assert_eq!(report.period, Period::Daily);
    assert_eq!(report.spent, NanoUsd(2_500));
    assert_eq!(report.reserved, NanoUsd(3_000));
    assert_eq!(report.available(), NanoUsd(4_500));
    assert_eq!(report.open_count, 2);
    let ids: Vec<&str> = report.open.iter().map(|open| open.id.as_str()).collect();
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(report.window_start_ms, Some(1_710_028_800_000)); // 2024-03-10T00:00Z
    assert_eq!(report.resets_at_ms, Some(1_710_115_200_000)); // 2024-03-11T00:00Z
}

async fn reap_frees_expired_forgets_closed_and_drops_idle_scopes(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let counters = backend
        .counters_with_retention(&clock, Duration::from_secs(10))
        .await;
    let daily = |scope: Scope| vec![BudgetSpec::hard(scope, NanoUsd(10_000), Period::Daily)];
    counters
        .reserve(request("open", daily(key()), 100))
        .await
        .unwrap();
    counters
        .reserve(request("done", daily(Scope::Team("t".into())), 100))
        .await
        .unwrap();
    counters.settle(&id("done"), NanoUsd(100)).await.unwrap();

    clock.advance(Duration::from_secs(11));
    let report = counters.reap().await.unwrap();
    assert_eq!((report.expired, report.forgotten), (0, 1));
    assert_eq!(
        counters.settle(&id("done"), NanoUsd(1)).await.unwrap(),
        SettleOutcome::Unknown
    );

    clock.advance(Duration::from_secs(60)); // the open one's lease ends
    let report = counters.reap().await.unwrap();
    assert_eq!(report.expired, 1);
    assert_eq!(report.idle_scopes, 1, "the key: no holds, nothing spent");
    assert_eq!(counters.explain(&key()).await.unwrap(), None);
    let team = Scope::Team("t".into());
    assert_eq!(
        counters.spent(&team).await.unwrap(),
        NanoUsd(100),
        "spent today: kept"
    );

    clock.advance(Duration::from_millis(common::DAY_MS as u64)); // a new day: nothing spent
    let report = counters.reap().await.unwrap();
    assert_eq!(report.idle_scopes, 1);
    assert_eq!(counters.explain(&team).await.unwrap(), None);
}

async fn seeded_spend_counts_and_is_applied_once(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let counters = backend.counters(&clock).await;
    let spec = BudgetSpec::hard(key(), NanoUsd(1_000), Period::Monthly);
    assert!(counters.seed_spent(&spec, NanoUsd(900)).await.unwrap());
    assert!(
        !counters.seed_spent(&spec, NanoUsd(0)).await.unwrap(),
        "known scopes keep their own"
    );

    let refused = counters
        .reserve(request("a", vec![spec.clone()], 101))
        .await;
    let Err(ReserveError::Refused(refusal)) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(refusal.spent, NanoUsd(900));
    counters
        .reserve(request("b", vec![spec], 100))
        .await
        .unwrap();
}

async fn invalid_requests_are_rejected(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let counters = backend.counters(&clock).await;
    let negative = counters.reserve(request("a", budget(1_000), -1)).await;
    assert!(matches!(
        negative,
        Err(ReserveError::Failed(CounterError::Invalid(_)))
    ));
    let mut twice = budget(1_000);
    twice.extend(budget(5_000));
    let duplicate = counters.reserve(request("b", twice, 1)).await;
    assert!(matches!(
        duplicate,
        Err(ReserveError::Failed(CounterError::Invalid(_)))
    ));
    counters
        .reserve(request("c", budget(1_000), 1))
        .await
        .unwrap();
    let negative_cost = counters.settle(&id("c"), NanoUsd(-5)).await;
    assert!(matches!(negative_cost, Err(CounterError::Invalid(_))));
}

async fn a_dropped_guard_releases_or_charges_on_a_tracked_task(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let counters = backend.counters(&clock).await;
    let tracker = TaskTracker::new();

    let held = counters
        .reserve(request("gone", budget(10_000), 1_000))
        .await
        .unwrap();
    drop(ReservationGuard::new(
        counters.clone(),
        tracker.clone(),
        held,
    ));

    let held = counters
        .reserve(request("partial", budget(10_000), 1_000))
        .await
        .unwrap();
    let mut streaming = ReservationGuard::new(counters.clone(), tracker.clone(), held);
    streaming.charge_on_drop(NanoUsd(250)); // usage seen before the client left
    drop(streaming);

    let held = counters
        .reserve(request("done", budget(10_000), 1_000))
        .await
        .unwrap();
    let finished = ReservationGuard::new(counters.clone(), tracker.clone(), held);
    assert!(matches!(
        finished.settle(NanoUsd(600)).await.unwrap(),
        SettleOutcome::Settled(_)
    ));

    tracker.close();
    tracker.wait().await;
    assert_eq!(
        counters.release(&id("gone")).await.unwrap(),
        ReleaseOutcome::AlreadyReleased
    );
    assert_eq!(
        counters.settle(&id("partial"), NanoUsd(0)).await.unwrap(),
        SettleOutcome::AlreadySettled {
            charged: NanoUsd(250)
        }
    );
    let report = counters.explain(&key()).await.unwrap().unwrap();
    assert_eq!(report.spent, NanoUsd(850));
    assert_eq!(report.reserved, NanoUsd::ZERO);
}

on_both_backends!(
    settle_is_idempotent,
    release_is_idempotent_and_charges_nothing,
    a_repeated_reserve_finds_the_same_hold,
    unknown_ids_change_nothing,
    a_dead_holders_reservation_expires_and_frees_the_budget,
    a_late_settle_after_expiry_is_still_charged,
    renewing_keeps_a_long_stream_held,
    an_overrun_is_charged_and_reported,
    explain_lists_the_numbers_and_open_holds,
    reap_frees_expired_forgets_closed_and_drops_idle_scopes,
    seeded_spend_counts_and_is_applied_once,
    invalid_requests_are_rejected,
    a_dropped_guard_releases_or_charges_on_a_tracked_task,
);
