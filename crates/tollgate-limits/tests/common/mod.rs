//! Helpers shared by the integration tests: backends behind their traits, requests, races.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Barrier;
use tollgate_limits::{
    BudgetSpec, Counters, InProcessCounters, ManualClock, Refusal, ReserveError, ReserveRequest,
    SettleOutcome,
};
use tollgate_types::NanoUsd;

/// 2024-03-10T15:00:00Z, a Sunday.
pub const SUNDAY_AFTERNOON: i64 = 1_710_082_800_000;
pub const DAY_MS: i64 = 86_400_000;

pub fn manual_clock(at: i64) -> Arc<ManualClock> {
    Arc::new(ManualClock::new(at))
}

/// The backend under test, only as the trait object the gateway will hold. A Redis backend
/// joins this function and every test runs against both.
pub fn counters(clock: &Arc<ManualClock>) -> Arc<dyn Counters> {
    Arc::new(InProcessCounters::new(clock.clone()))
}

pub fn request(id: &str, budgets: Vec<BudgetSpec>, amount: i64) -> ReserveRequest {
    ReserveRequest {
        id: id.into(),
        budgets,
        amount: NanoUsd(amount),
        lease: Duration::from_secs(60),
    }
}

#[derive(Debug, Default)]
pub struct RaceResult {
    pub served: usize,
    pub refused: Vec<Refusal>,
    /// What the served calls were charged, by their own settle outcomes.
    pub charged: i64,
}

/// `tasks` calls at once on a multi-thread runtime: each reserves `reserve` against
/// `budgets_for(i)`, yields (so others interleave while it holds), then settles `actual`. A
/// refused call settles its id too, as a sloppy caller might, which must charge nothing.
pub async fn race(
    counters: &Arc<dyn Counters>,
    prefix: &str,
    tasks: usize,
    budgets_for: impl Fn(usize) -> Vec<BudgetSpec>,
    reserve: i64,
    actual: i64,
) -> RaceResult {
    let barrier = Arc::new(Barrier::new(tasks));
    let mut handles = Vec::with_capacity(tasks);
    for i in 0..tasks {
        let counters = Arc::clone(counters);
        let barrier = Arc::clone(&barrier);
        let request = request(&format!("{prefix}-{i}"), budgets_for(i), reserve);
        handles.push(tokio::spawn(async move {
            barrier.wait().await;
            let id = request.id.clone();
            match counters.reserve(request).await {
                Ok(_) => {
                    tokio::task::yield_now().await;
                    match counters.settle(&id, NanoUsd(actual)).await.unwrap() {
                        SettleOutcome::Settled(settlement) => Ok(settlement.charged.0),
                        other => panic!("a served call settles once: {other:?}"),
                    }
                }
                Err(ReserveError::Refused(refusal)) => {
                    let outcome = counters.settle(&id, NanoUsd(actual)).await.unwrap();
                    assert_eq!(outcome, SettleOutcome::Unknown, "refused and charged");
                    Err(*refusal)
                }
                Err(other) => panic!("backend failed: {other}"),
            }
        }));
    }
    let mut result = RaceResult::default();
    for handle in handles {
        match handle.await.unwrap() {
            Ok(charged) => {
                result.served += 1;
                result.charged += charged;
            }
            Err(refusal) => result.refused.push(refusal),
        }
    }
    result
}

/// Every refusal was justified by its own numbers: the call really did not fit.
pub fn assert_refusals_justified(refusals: &[Refusal]) {
    for refusal in refusals {
        let total = i128::from(refusal.spent.0)
            + i128::from(refusal.reserved.0)
            + i128::from(refusal.requested.0);
        assert!(
            total > i128::from(refusal.limit.0),
            "refused a call that fit: {refusal:?}"
        );
    }
}
