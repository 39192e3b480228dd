//! Hard and soft budgets, alerts, and what a refusal says.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::time::Duration;

use common::Backend;
use common::{DAY_MS, SUNDAY_AFTERNOON, manual_clock, request};
use tollgate_limits::{
    BudgetMode, BudgetSpec, Period, RefusalCode, ReserveError, Scope, SettleOutcome,
};
use tollgate_types::NanoUsd;

fn key() -> Scope {
    Scope::Key("k".into())
}

async fn hard_admits_an_exact_fit_and_refuses_one_nano_more(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let counters = backend.counters(&clock).await;
    let spec = BudgetSpec::hard(key(), NanoUsd(1_000), Period::Daily);
    counters
        .reserve(request("a", vec![spec.clone()], 600))
        .await
        .unwrap();
    counters.settle(&"a".into(), NanoUsd(300)).await.unwrap();
    counters
        .reserve(request("b", vec![spec.clone()], 200))
        .await
        .unwrap();

    let over = counters
        .reserve(request("c", vec![spec.clone()], 501))
        .await;
    let Err(ReserveError::Refused(refusal)) = over else {
        panic!("{over:?}")
    };
    assert_eq!(refusal.scope, key());
    assert_eq!(refusal.code, RefusalCode::BudgetExceeded);
    assert_eq!(refusal.mode, BudgetMode::Hard);
    assert_eq!(refusal.limit, NanoUsd(1_000));
    assert_eq!(refusal.spent, NanoUsd(300));
    assert_eq!(refusal.reserved, NanoUsd(200));
    assert_eq!(refusal.requested, NanoUsd(501));
    assert_eq!(refusal.resets_at_ms, Some(1_710_115_200_000));
    assert_eq!(
        refusal.to_string(),
        "Budget exceeded for key k: limit $0.000001000, spent $0.000000300, reserved \
         $0.000000200, this request needs up to $0.000000501 (daily budget)"
    );

    counters
        .reserve(request("d", vec![spec], 500))
        .await
        .unwrap();
}

async fn soft_lets_the_crossing_call_complete_and_refuses_later_ones(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let counters = backend.counters(&clock).await;
    let spec = BudgetSpec::soft(key(), NanoUsd(1_000), Period::Daily);
    for (id, cost) in [("a", 400), ("b", 400), ("crossing", 400)] {
        counters
            .reserve(request(id, vec![spec.clone()], 900))
            .await
            .unwrap();
        counters.settle(&id.into(), NanoUsd(cost)).await.unwrap();
    }
    assert_eq!(counters.spent(&key()).await.unwrap(), NanoUsd(1_200));
    let later = counters
        .reserve(request("later", vec![spec.clone()], 1))
        .await;
    let Err(ReserveError::Refused(refusal)) = later else {
        panic!("{later:?}")
    };
    assert_eq!(refusal.mode, BudgetMode::Soft);
    assert_eq!(refusal.spent, NanoUsd(1_200));

    clock.advance(std::time::Duration::from_millis(DAY_MS as u64));
    counters
        .reserve(request("tomorrow", vec![spec], 900))
        .await
        .unwrap();
}

async fn a_refusal_anywhere_holds_nothing_anywhere(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let counters = backend.counters(&clock).await;
    let chain = vec![
        BudgetSpec::hard(key(), NanoUsd(10_000), Period::None),
        BudgetSpec::hard(Scope::Team("t".into()), NanoUsd(10_000), Period::None),
        BudgetSpec::hard(Scope::Org("o".into()), NanoUsd(500), Period::Monthly),
        BudgetSpec::credits("o", NanoUsd(100)),
    ];
    let refused = counters.reserve(request("a", chain, 600)).await;
    let Err(ReserveError::Refused(refusal)) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(
        refusal.scope,
        Scope::Org("o".into()),
        "the first budget in chain order"
    );
    assert_eq!(
        counters.explain(&key()).await.unwrap(),
        None,
        "the key held nothing"
    );
    assert_eq!(
        counters.explain(&Scope::Team("t".into())).await.unwrap(),
        None
    );
}

async fn alerts_fire_once_per_window(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let counters = backend.counters(&clock).await;
    let spec = BudgetSpec::hard(key(), NanoUsd(1_000), Period::Daily).with_alert_at_percent(80);
    let mut alerts = Vec::new();
    for (i, cost) in [500, 299, 1, 100, 50].into_iter().enumerate() {
        let id = format!("day1-{i}");
        counters
            .reserve(request(&id, vec![spec.clone()], cost))
            .await
            .unwrap();
        let SettleOutcome::Settled(settlement) = counters
            .settle(&id.as_str().into(), NanoUsd(cost))
            .await
            .unwrap()
        else {
            panic!()
        };
        alerts.push(settlement.alerts.len());
    }
    assert_eq!(alerts, [0, 0, 1, 0, 0], "at 800 of 1000, once");

    clock.advance(Duration::from_millis(DAY_MS as u64));
    counters
        .reserve(request("day2", vec![spec.clone()], 900))
        .await
        .unwrap();
    let SettleOutcome::Settled(settlement) =
        counters.settle(&"day2".into(), NanoUsd(900)).await.unwrap()
    else {
        panic!()
    };
    assert_eq!(settlement.alerts.len(), 1, "a new window alerts again");
    let alert = &settlement.alerts[0];
    assert_eq!(alert.scope, key());
    assert_eq!(alert.spent, NanoUsd(900));
    assert_eq!(alert.threshold_percent, 80);
    assert_eq!(alert.window_start_ms, 1_710_115_200_000);
}

async fn a_changed_limit_applies_to_the_next_call(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let counters = backend.counters(&clock).await;
    let small = BudgetSpec::hard(key(), NanoUsd(1_000), Period::None);
    counters
        .reserve(request("a", vec![small.clone()], 1_000))
        .await
        .unwrap();
    counters.settle(&"a".into(), NanoUsd(1_000)).await.unwrap();
    assert!(
        counters
            .reserve(request("b", vec![small], 1))
            .await
            .is_err()
    );

    let raised = BudgetSpec::hard(key(), NanoUsd(2_000), Period::None);
    counters
        .reserve(request("c", vec![raised], 1_000))
        .await
        .unwrap();
    let report = counters.explain(&key()).await.unwrap().unwrap();
    assert_eq!(report.limit, NanoUsd(2_000));
    assert_eq!(report.spent, NanoUsd(1_000), "spend survives the change");
}

async fn insufficient_credits_names_the_organization(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let counters = backend.counters(&clock).await;
    let refused = counters
        .reserve(request(
            "a",
            vec![BudgetSpec::credits("o-1", NanoUsd(5))],
            6,
        ))
        .await;
    let Err(ReserveError::Refused(refusal)) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(refusal.code, RefusalCode::InsufficientCredits);
    assert!(
        refusal
            .to_string()
            .starts_with("Insufficient credits for credits of organization o-1")
    );
}

on_both_backends!(
    hard_admits_an_exact_fit_and_refuses_one_nano_more,
    soft_lets_the_crossing_call_complete_and_refuses_later_ones,
    a_refusal_anywhere_holds_nothing_anywhere,
    alerts_fire_once_per_window,
    a_changed_limit_applies_to_the_next_call,
    insufficient_credits_names_the_organization,
);
