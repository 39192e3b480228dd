//! The issue's race tests: 500 concurrent reservations against budgets that cover only some.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::time::Duration;

use common::Backend;
use common::{DAY_MS, SUNDAY_AFTERNOON, assert_refusals_justified, manual_clock, race};
use tollgate_limits::{BudgetSpec, Period, RefusalCode, Scope};
use tollgate_types::NanoUsd;

const TASKS: usize = 500;
const COST: i64 = 1_234_567;

fn key_budget(limit: i64) -> BudgetSpec {
    BudgetSpec::hard(Scope::Key("k".into()), NanoUsd(limit), Period::None)
}

async fn exact_cost_serves_floor_of_budget_over_cost(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let counters = backend.counters(&clock).await;
    let budget = 137 * COST + COST / 2;

    let result = race(
        &counters,
        "r",
        TASKS,
        |_| vec![key_budget(budget)],
        COST,
        COST,
    )
    .await;

    assert_eq!(result.served, 137, "floor(budget / cost)");
    assert_eq!(result.refused.len(), TASKS - 137);
    assert_eq!(result.charged, 137 * COST);
    assert_refusals_justified(&result.refused);
    let report = counters
        .explain(&Scope::Key("k".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.spent, NanoUsd(137 * COST));
    assert!(report.spent.0 <= budget);
    assert_eq!(report.reserved, NanoUsd::ZERO, "every hold was freed");
    assert_eq!(report.open_count, 0);
    for refusal in &result.refused {
        assert_eq!(refusal.code, RefusalCode::BudgetExceeded);
        assert_eq!(refusal.scope, Scope::Key("k".into()));
        assert_eq!(refusal.requested, NanoUsd(COST));
    }
}

async fn cheaper_than_reserved_never_overspends(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let counters = backend.counters(&clock).await;
    let budget = 100 * COST;

    let result = race(
        &counters,
        "r",
        TASKS,
        |_| vec![key_budget(budget)],
        COST,
        COST * 3 / 5,
    )
    .await;

    assert!(
        result.served >= 100,
        "refunds only make room: {}",
        result.served
    );
    let spent = counters.spent(&Scope::Key("k".into())).await.unwrap();
    assert_eq!(spent.0, result.charged, "spent is exactly what was charged");
    assert!(spent.0 <= budget, "overspent: {spent} > {budget}");
    assert_eq!(result.served + result.refused.len(), TASKS);
    assert_refusals_justified(&result.refused);
}

async fn team_budget_shared_by_several_keys(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let counters = backend.counters(&clock).await;
    let team_budget = 71 * COST + 1;
    let budgets = |i: usize| {
        vec![
            BudgetSpec::hard(
                Scope::Key(format!("k{}", i % 5)),
                NanoUsd(1_000 * COST),
                Period::None,
            ),
            BudgetSpec::hard(
                Scope::Team("t".into()),
                NanoUsd(team_budget),
                Period::Monthly,
            ),
        ]
    };

    let result = race(&counters, "r", TASKS, budgets, COST, COST).await;

    assert_eq!(result.served, 71);
    let team = counters
        .explain(&Scope::Team("t".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(team.spent, NanoUsd(71 * COST));
    assert_eq!(team.reserved, NanoUsd::ZERO);
    let mut per_key = 0;
    for k in 0..5 {
        per_key += counters
            .spent(&Scope::Key(format!("k{k}")))
            .await
            .unwrap()
            .0;
    }
    assert_eq!(
        per_key,
        71 * COST,
        "keys were charged exactly for the calls served"
    );
    for refusal in &result.refused {
        assert_eq!(
            refusal.scope,
            Scope::Team("t".into()),
            "the team ran out, not a key"
        );
    }
    assert_refusals_justified(&result.refused);
}

async fn across_a_period_reset(backend: Backend) {
    // 23:59:00 on Sunday, a daily budget of 50 calls.
    let before_midnight = SUNDAY_AFTERNOON - 15 * 3_600_000 + DAY_MS - 60_000;
    let clock = manual_clock(before_midnight);
    let counters = backend.counters(&clock).await;
    let budget = 50 * COST;
    let daily = |_: usize| {
        vec![BudgetSpec::hard(
            Scope::Key("k".into()),
            NanoUsd(budget),
            Period::Daily,
        )]
    };

    // Ten calls start before midnight and are still running when it strikes.
    for i in 0..10 {
        let mut long = common::request(&format!("long-{i}"), daily(0), COST);
        long.lease = Duration::from_secs(3_600);
        counters.reserve(long).await.unwrap();
    }
    let first = race(&counters, "day1", TASKS, daily, COST, COST).await;
    assert_eq!(
        first.served, 40,
        "fifty in the window, ten of them still open"
    );

    clock.advance(Duration::from_secs(60)); // 00:00:00.000 exactly
    let second = race(&counters, "day2", TASKS, daily, COST, COST).await;
    assert_eq!(
        second.served, 40,
        "the new window still counts the ten open holds"
    );
    assert_refusals_justified(&second.refused);

    for i in 0..10 {
        counters
            .settle(&format!("long-{i}").as_str().into(), NanoUsd(COST))
            .await
            .unwrap();
    }
    let report = counters
        .explain(&Scope::Key("k".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        report.spent,
        NanoUsd(budget),
        "settled into the new window: exactly the budget"
    );
    assert_eq!(report.reserved, NanoUsd::ZERO);

    clock.advance(Duration::from_millis(DAY_MS as u64)); // the next midnight
    let third = race(&counters, "day3", TASKS, daily, COST, COST).await;
    assert_eq!(third.served, 50);
}

async fn credit_balance_refuses_with_insufficient_credits(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let counters = backend.counters(&clock).await;
    let budgets = |i: usize| {
        vec![
            BudgetSpec::hard(
                Scope::Key(format!("k{}", i % 3)),
                NanoUsd(1_000 * COST),
                Period::Daily,
            ),
            BudgetSpec::hard(
                Scope::Org("o".into()),
                NanoUsd(1_000 * COST),
                Period::Monthly,
            ),
            BudgetSpec::credits("o", NanoUsd(33 * COST + COST - 1)),
        ]
    };

    let result = race(&counters, "r", TASKS, budgets, COST, COST).await;

    assert_eq!(result.served, 33);
    let credits = counters
        .explain(&Scope::Credits("o".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(credits.spent, NanoUsd(33 * COST));
    assert_eq!(credits.available(), NanoUsd(COST - 1), "the balance left");
    for refusal in &result.refused {
        assert_eq!(refusal.code, RefusalCode::InsufficientCredits);
        assert_eq!(refusal.code.as_str(), "insufficient_credits");
    }
}

async fn default_budget_holds_for_a_new_end_user_burst(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let counters = backend.counters(&clock).await;
    // The default for end users not seen before: every one of the burst's calls carries it.
    let default_budget = NanoUsd(12 * COST);
    let budgets = |_: usize| {
        vec![
            BudgetSpec::hard(Scope::Key("k".into()), NanoUsd(1_000 * COST), Period::None),
            BudgetSpec::hard(
                Scope::EndUser {
                    org: Some("o".into()),
                    id: "brand-new".into(),
                },
                default_budget,
                Period::Daily,
            ),
        ]
    };

    let result = race(&counters, "r", TASKS, budgets, COST, COST).await;

    assert_eq!(result.served, 12);
    let end_user = Scope::EndUser {
        org: Some("o".into()),
        id: "brand-new".into(),
    };
    assert_eq!(counters.spent(&end_user).await.unwrap(), NanoUsd(12 * COST));
    // Another organization's end user of the same name has a budget of their own.
    let other = Scope::EndUser {
        org: Some("o2".into()),
        id: "brand-new".into(),
    };
    assert_eq!(counters.spent(&other).await.unwrap(), NanoUsd::ZERO);
}

on_both_backends!(
    exact_cost_serves_floor_of_budget_over_cost,
    cheaper_than_reserved_never_overspends,
    team_budget_shared_by_several_keys,
    across_a_period_reset,
    credit_balance_refuses_with_insufficient_credits,
    default_budget_holds_for_a_new_end_user_burst,
);
