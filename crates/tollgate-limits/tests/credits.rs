//! Credit purchases, platform fees and balances.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use common::Backend;
use common::{SUNDAY_AFTERNOON, manual_clock, request};
use tollgate_limits::{
    BudgetSpec, CreditTotals, FeeSchedule, LedgerEntry, LedgerKind, RefusalCode, ReserveError,
    balance,
};
use tollgate_types::NanoUsd;

const USD: i64 = 1_000_000_000;

#[test]
fn the_fee_is_charged_on_top_by_tier() {
    let fees = FeeSchedule::default();
    let default = fees.purchase(None, NanoUsd(100 * USD)).unwrap();
    assert_eq!(default.credits, NanoUsd(100 * USD));
    assert_eq!(default.fee, NanoUsd(4 * USD));
    assert_eq!(default.charged, NanoUsd(104 * USD));
    assert_eq!(
        fees.purchase(Some("unknown-tier"), NanoUsd(100 * USD))
            .unwrap()
            .fee,
        NanoUsd(4 * USD)
    );
    let top = fees.purchase(Some("top"), NanoUsd(100 * USD)).unwrap();
    assert_eq!((top.fee, top.charged), (NanoUsd(0), NanoUsd(100 * USD)));

    let table = FeeSchedule::new(500).with_tier("growth", 250);
    assert_eq!(table.rate_bps(Some("growth")), 250);
    assert_eq!(
        table.purchase(None, NanoUsd(10 * USD)).unwrap().fee,
        NanoUsd(USD / 2)
    );
    // Half a nano-dollar rounds up: 4% of 12.5 nanos is 0.5.
    assert_eq!(fees.purchase(None, NanoUsd(12)).unwrap().fee, NanoUsd(0));
    assert_eq!(fees.purchase(None, NanoUsd(13)).unwrap().fee, NanoUsd(1));
    assert!(fees.purchase(None, NanoUsd(-1)).is_none());
}

#[test]
fn a_purchase_and_its_fee_add_up_to_the_credits() {
    let purchase = FeeSchedule::default()
        .purchase(None, NanoUsd(50 * USD))
        .unwrap();
    let rows = purchase.ledger_entries("pay-1");
    assert_eq!(rows[0].kind, LedgerKind::Purchase);
    assert_eq!(rows[0].amount, NanoUsd(52 * USD));
    assert_eq!(rows[1].kind, LedgerKind::Fee);
    assert_eq!(rows[1].amount, NanoUsd(-2 * USD));
    assert_eq!(balance(&rows), Some(NanoUsd(50 * USD)));
}

#[test]
fn the_balance_is_the_ledger_sum() {
    let mut ledger = FeeSchedule::default()
        .purchase(None, NanoUsd(10 * USD))
        .unwrap()
        .ledger_entries("pay-1")
        .to_vec();
    ledger.push(LedgerEntry::spend(NanoUsd(3 * USD), "req-1"));
    ledger.push(LedgerEntry::refund(NanoUsd(USD), "req-1 billed twice"));
    ledger.push(LedgerEntry::adjustment(
        NanoUsd(-USD / 2),
        "goodwill reversed",
    ));
    assert_eq!(balance(&ledger), Some(NanoUsd(7 * USD + USD / 2)));
    let totals = CreditTotals::of(&ledger).unwrap();
    assert_eq!(totals.credited, NanoUsd(10 * USD + USD / 2));
    assert_eq!(totals.spent, NanoUsd(3 * USD));
    assert_eq!(totals.balance(), balance(&ledger).unwrap());
    for kind in ["purchase", "fee", "spend", "refund", "adjustment"] {
        assert_eq!(LedgerKind::parse(kind).map(LedgerKind::as_str), Some(kind));
    }
}

async fn the_ledger_seeds_the_credit_budget(backend: Backend) {
    let ledger = [
        FeeSchedule::default()
            .purchase(None, NanoUsd(10 * USD))
            .unwrap()
            .ledger_entries("p")[0]
            .clone(),
        FeeSchedule::default()
            .purchase(None, NanoUsd(10 * USD))
            .unwrap()
            .ledger_entries("p")[1]
            .clone(),
        LedgerEntry::spend(NanoUsd(9 * USD), "old-request"),
    ];
    let totals = CreditTotals::of(&ledger).unwrap();
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let counters = backend.counters(&clock).await;
    let credits = BudgetSpec::credits("o", totals.credited);
    assert!(counters.seed_spent(&credits, totals.spent).await.unwrap());

    let refused = counters
        .reserve(request("a", vec![credits.clone()], USD + 1))
        .await;
    let Err(ReserveError::Refused(refusal)) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(refusal.code, RefusalCode::InsufficientCredits);
    counters
        .reserve(request("b", vec![credits], USD))
        .await
        .unwrap();
}

on_both_backends!(the_ledger_seeds_the_credit_budget,);
