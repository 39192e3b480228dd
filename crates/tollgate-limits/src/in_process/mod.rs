//! Budget counters in this process's memory: the embedded mode's backend.
//!
//! One mutex guards everything, held only for the check-and-add of one operation (well under a
//! microsecond) and never across an `.await`. That makes "all budgets or none" trivially atomic;
//! sharding would need ordered multi-locking for a gain that two cores cannot show.

mod book;
mod scope_state;
mod state;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use tollgate_types::NanoUsd;

use crate::budget::BudgetSpec;
use crate::clock::Clock;
use crate::counters::{
    CounterError, Counters, ReapReport, ReleaseOutcome, RenewOutcome, Reservation, ReservationId,
    ReserveError, ReserveRequest, ScopeReport, SettleOutcome,
};
use crate::scope::Scope;
use state::State;
pub(crate) use state::validate;

/// How long a closed reservation is remembered, so a repeated settle says `AlreadySettled`
/// rather than `Unknown` (both change nothing) and a late settle after expiry is still charged.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(120);

pub struct InProcessCounters {
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

impl InProcessCounters {
    pub fn new(clock: Arc<dyn Clock>) -> InProcessCounters {
        InProcessCounters::with_retention(clock, DEFAULT_RETENTION)
    }

    pub fn with_retention(clock: Arc<dyn Clock>, retention: Duration) -> InProcessCounters {
        let retention_ms = i64::try_from(retention.as_millis()).unwrap_or(i64::MAX);
        InProcessCounters {
            clock,
            state: Mutex::new(State::new(retention_ms)),
        }
    }

    /// The state with expired holds already freed, and the time it was taken at.
    fn lock(&self) -> (MutexGuard<'_, State>, i64) {
        // A panic under the lock cannot leave a half-done operation (every operation decides
        // before it writes), so a poisoned lock's state is still consistent.
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let now = self.clock.now_millis();
        state.housekeep(now);
        (state, now)
    }
}

#[async_trait]
impl Counters for InProcessCounters {
    async fn reserve(&self, request: ReserveRequest) -> Result<Reservation, ReserveError> {
        let (mut state, now) = self.lock();
        state.reserve(request, now)
    }

    async fn settle(
        &self,
        id: &ReservationId,
        actual: NanoUsd,
    ) -> Result<SettleOutcome, CounterError> {
        let (mut state, now) = self.lock();
        state.settle(id, actual, now)
    }

    async fn release(&self, id: &ReservationId) -> Result<ReleaseOutcome, CounterError> {
        let (mut state, now) = self.lock();
        Ok(state.release(id, now))
    }

    async fn renew(
        &self,
        id: &ReservationId,
        lease: Duration,
    ) -> Result<RenewOutcome, CounterError> {
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
        let (mut state, now) = self.lock();
        Ok(state.renew(id, lease_ms, now))
    }

    async fn seed_spent(&self, spec: &BudgetSpec, spent: NanoUsd) -> Result<bool, CounterError> {
        let (mut state, now) = self.lock();
        Ok(state.seed_spent(spec, spent, now))
    }

    async fn reap(&self) -> Result<ReapReport, CounterError> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let now = self.clock.now_millis();
        Ok(state.reap(now))
    }

    async fn explain(&self, scope: &Scope) -> Result<Option<ScopeReport>, CounterError> {
        let (mut state, now) = self.lock();
        Ok(state.explain(scope, now))
    }
}
