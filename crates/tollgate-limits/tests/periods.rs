//! Where budget windows start and end, and budgets resetting exactly at the boundary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::time::Duration;

use common::Backend;
use common::{manual_clock, request};
use tollgate_limits::{BudgetSpec, Period, ReserveError, Scope, UtcOffset};
use tollgate_types::NanoUsd;

// 2024-03-10T15:00:00Z, a Sunday, and its neighbours.
const SUNDAY_15H: i64 = 1_710_082_800_000;
const SUNDAY_0H: i64 = 1_710_028_800_000;
const MONDAY_11_0H: i64 = 1_710_115_200_000;
const MONDAY_4_0H: i64 = 1_709_510_400_000;
const MONDAY_18_0H: i64 = 1_710_720_000_000;
const FEB_29_LAST_MS: i64 = 1_709_251_199_999;
const FEB_1_0H: i64 = 1_706_745_600_000;
const MAR_1_0H: i64 = 1_709_251_200_000;

#[test]
fn daily_weekly_monthly_in_utc() {
    let utc = UtcOffset::UTC;
    assert_eq!(Period::Daily.window_start(SUNDAY_15H, utc), SUNDAY_0H);
    assert_eq!(
        Period::Daily.window_end(SUNDAY_15H, utc),
        Some(MONDAY_11_0H)
    );
    assert_eq!(
        Period::Weekly.window_start(SUNDAY_15H, utc),
        MONDAY_4_0H,
        "ISO weeks: Monday"
    );
    assert_eq!(
        Period::Weekly.window_end(SUNDAY_15H, utc),
        Some(MONDAY_11_0H)
    );
    assert_eq!(Period::Weekly.window_start(MONDAY_11_0H, utc), MONDAY_11_0H);
    assert_eq!(
        Period::Weekly.window_end(MONDAY_11_0H, utc),
        Some(MONDAY_18_0H)
    );
    assert_eq!(Period::Monthly.window_start(FEB_29_LAST_MS, utc), FEB_1_0H);
    assert_eq!(
        Period::Monthly.window_end(FEB_29_LAST_MS, utc),
        Some(MAR_1_0H)
    );
    assert_eq!(Period::Monthly.window_start(MAR_1_0H, utc), MAR_1_0H);
    assert_eq!(Period::None.window_start(SUNDAY_15H, utc), i64::MIN);
    assert_eq!(Period::None.window_end(SUNDAY_15H, utc), None);
}

#[test]
fn december_rolls_into_the_next_year_and_leap_rules_hold() {
    let utc = UtcOffset::UTC;
    let dec_31_23h = 1_735_686_000_000;
    assert_eq!(
        Period::Monthly.window_start(dec_31_23h, utc),
        1_733_011_200_000
    ); // 2024-12-01
    assert_eq!(
        Period::Monthly.window_end(dec_31_23h, utc),
        Some(1_735_689_600_000)
    ); // 2025-01-01
    // 2100 is not a leap year: February ends on the 28th.
    assert_eq!(
        Period::Monthly.window_end(4_107_499_200_000, utc),
        Some(4_107_542_400_000)
    );
    assert_eq!(
        Period::Monthly.window_start(4_107_499_200_000, utc),
        4_105_123_200_000
    );
    // 2000 is: the 29th is still February.
    assert_eq!(
        Period::Monthly.window_end(951_825_600_000, utc),
        Some(951_868_800_000)
    );
    // Before 1970 too (a Wednesday; its week began Monday 1969-12-29).
    assert_eq!(Period::Weekly.window_start(-43_200_000, utc), -259_200_000);
}

#[test]
fn fixed_offsets_move_the_boundary() {
    let plus_two = UtcOffset::from_minutes(120).unwrap();
    // 23:30Z on Sunday is 01:30 on Monday at +02:00: the day began at 22:00Z.
    assert_eq!(
        Period::Daily.window_start(1_710_113_400_000, plus_two),
        1_710_108_000_000
    );
    assert_eq!(
        Period::Daily.window_end(1_710_113_400_000, plus_two),
        Some(1_710_194_400_000)
    );
    let minus_five = UtcOffset::from_minutes(-300).unwrap();
    // 03:00Z on Sunday is 22:00 on Saturday at -05:00: the day began Saturday 05:00Z.
    assert_eq!(
        Period::Daily.window_start(1_710_039_600_000, minus_five),
        1_709_960_400_000
    );
    assert_eq!(
        Period::Daily.window_end(1_710_039_600_000, minus_five),
        Some(1_710_046_800_000)
    );
    assert_eq!(UtcOffset::from_minutes(18 * 60 + 1), None);
    assert_eq!(
        UtcOffset::from_minutes(-18 * 60).map(UtcOffset::minutes),
        Some(-1_080)
    );
}

#[test]
fn period_names_round_trip() {
    for period in [Period::None, Period::Daily, Period::Weekly, Period::Monthly] {
        assert_eq!(Period::parse(period.as_str()), Some(period));
    }
    assert_eq!(Period::parse("yearly"), None);
}

/// Exhaust a budget just before its boundary; the first millisecond after it is a new window.
async fn resets_exactly_at(backend: &Backend, period: Period, boundary: i64, offset: UtcOffset) {
    let clock = manual_clock(boundary - 1);
    let counters = backend.counters(&clock).await;
    let spec = BudgetSpec::hard(Scope::Key("k".into()), NanoUsd(1_000), period).with_offset(offset);
    counters
        .reserve(request("a", vec![spec.clone()], 1_000))
        .await
        .unwrap();
    counters.settle(&"a".into(), NanoUsd(1_000)).await.unwrap();
    let refused = counters.reserve(request("b", vec![spec.clone()], 1)).await;
    let Err(ReserveError::Refused(refusal)) = refused else {
        panic!("{period:?}: {refused:?}")
    };
    assert_eq!(refusal.resets_at_ms, Some(boundary), "{period:?}");

    clock.advance(Duration::from_millis(1));
    counters
        .reserve(request("c", vec![spec], 1_000))
        .await
        .unwrap();
}

async fn budgets_reset_at_midnight_monday_and_the_first(backend: Backend) {
    resets_exactly_at(&backend, Period::Daily, MONDAY_11_0H, UtcOffset::UTC).await;
    resets_exactly_at(&backend, Period::Weekly, MONDAY_11_0H, UtcOffset::UTC).await;
    resets_exactly_at(&backend, Period::Monthly, MAR_1_0H, UtcOffset::UTC).await;
    let plus_two = UtcOffset::from_minutes(120).unwrap();
    resets_exactly_at(&backend, Period::Daily, 1_710_108_000_000, plus_two).await;
}

async fn a_lifetime_budget_never_resets(backend: Backend) {
    let clock = manual_clock(SUNDAY_15H);
    let counters = backend.counters(&clock).await;
    let spec = BudgetSpec::hard(Scope::Key("k".into()), NanoUsd(1_000), Period::None);
    counters
        .reserve(request("a", vec![spec.clone()], 1_000))
        .await
        .unwrap();
    counters.settle(&"a".into(), NanoUsd(1_000)).await.unwrap();
    clock.advance(Duration::from_secs(400 * 86_400));
    let refused = counters.reserve(request("b", vec![spec], 1)).await;
    let Err(ReserveError::Refused(refusal)) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(refusal.resets_at_ms, None);
}

on_both_backends!(
    budgets_reset_at_midnight_monday_and_the_first,
    a_lifetime_budget_never_resets,
);
