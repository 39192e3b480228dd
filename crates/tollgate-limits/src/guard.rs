//! A reservation that cannot be forgotten: dropped without a settle or release (the client
//! went away, the handler panicked, a timeout cancelled it), it settles or releases itself on a
//! tracked task, so graceful shutdown waits for it.
//!
//! Settle and release are idempotent, so a drop racing an explicit settle is harmless; if no
//! runtime is left to run the task, the lease frees the hold when it ends.

use std::sync::Arc;

use tokio_util::task::TaskTracker;
use tollgate_types::NanoUsd;

use crate::counters::{CounterError, Counters, ReleaseOutcome, Reservation, SettleOutcome};

pub struct ReservationGuard {
    counters: Arc<dyn Counters>,
    tracker: TaskTracker,
    reservation: Reservation,
    /// What a drop charges; `None` releases. Streams raise it as usage arrives, because the
    /// provider bills the tokens it produced before the client left.
    charge_on_drop: Option<NanoUsd>,
    finished: bool,
}

impl ReservationGuard {
    pub fn new(
        counters: Arc<dyn Counters>,
        tracker: TaskTracker,
        reservation: Reservation,
    ) -> ReservationGuard {
        ReservationGuard {
            counters,
            tracker,
            reservation,
            charge_on_drop: None,
            finished: false,
        }
    }

    pub fn reservation(&self) -> &Reservation {
        &self.reservation
    }

    /// From now on a drop settles `cost` instead of releasing.
    pub fn charge_on_drop(&mut self, cost: NanoUsd) {
        self.charge_on_drop = Some(cost);
    }

    pub async fn settle(mut self, actual: NanoUsd) -> Result<SettleOutcome, CounterError> {
        // If this future is cancelled mid-way, the drop settles again; idempotency makes
        // that safe. `finished` is set only once the backend answered.
        self.charge_on_drop = Some(actual);
        let outcome = self.counters.settle(&self.reservation.id, actual).await?;
        self.finished = true;
        Ok(outcome)
    }

    pub async fn release(mut self) -> Result<ReleaseOutcome, CounterError> {
        self.charge_on_drop = None;
        let outcome = self.counters.release(&self.reservation.id).await?;
        self.finished = true;
        Ok(outcome)
    }
}

impl Drop for ReservationGuard {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return; // No runtime to run on: the lease will free the hold.
        };
        let counters = Arc::clone(&self.counters);
        let id = self.reservation.id.clone();
        let charge = self.charge_on_drop;
        self.tracker.spawn_on(
            async move {
                // Nothing to report to: a failure here leaves the hold to its lease.
                let _ = match charge {
                    Some(cost) => counters.settle(&id, cost).await.map(drop),
                    None => counters.release(&id).await.map(drop),
                };
            },
            &runtime,
        );
    }
}
