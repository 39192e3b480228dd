//! The atomic operations of the in-process counters, each run under one lock. Each function is
//! what one Redis Lua script will do: read the scopes, decide, write all or nothing.

use crate::FastMap;

use tollgate_types::NanoUsd;

use super::book::{Book, Closed, Entry, OpenHold};
use super::scope_state::ScopeState;
use crate::budget::{BudgetAlert, BudgetSpec};
use crate::counters::{
    CounterError, ReapReport, ReleaseOutcome, RenewOutcome, Reservation, ReservationId,
    ReserveError, ReserveRequest, ScopeReport, SettleOutcome, Settlement,
};
use crate::scope::Scope;

#[derive(Debug)]
pub(super) struct State {
    scopes: FastMap<Scope, ScopeState>,
    book: Book,
    /// The clock reading of the last housekeeping: nothing can newly expire or be due to be
    /// forgotten until the (millisecond) clock moves, so under load most operations skip it.
    housekept_at: Option<i64>,
}

impl State {
    pub(super) fn new(retention_ms: i64) -> State {
        State {
            scopes: FastMap::default(),
            book: Book::new(retention_ms),
            housekept_at: None,
        }
    }

    /// Run before every operation: holds of dead callers free their budgets as soon as anyone
    /// looks, so no counter drifts even with no reaper running.
    pub(super) fn housekeep(&mut self, now: i64) -> (usize, usize) {
        if self.housekept_at == Some(now) {
            return (0, 0);
        }
        self.housekept_at = Some(now);
        let mut expired = 0;
        while let Some(id) = self.book.next_expired(now) {
            if let Some(Entry::Open(hold)) = self.book.close(&id, Closed::Released, now) {
                for spec in &hold.budgets {
                    if let Some(state) = self.scopes.get_mut(&spec.scope) {
                        state.unhold(hold.amount);
                    }
                }
                self.book.set_closed(
                    &id,
                    Closed::Expired {
                        budgets: hold.budgets,
                    },
                );
                expired += 1;
            }
        }
        (expired, self.book.forget_old(now))
    }

    pub(super) fn reserve(
        &mut self,
        request: ReserveRequest,
        now: i64,
    ) -> Result<Reservation, ReserveError> {
        validate(&request)?;
        match self.book.get(&request.id) {
            Some(Entry::Open(hold)) => return Ok(hold.reservation(&request.id)),
            Some(Entry::Closed(_)) => return Err(CounterError::DuplicateId(request.id).into()),
            None => {}
        }
        let amount = request.amount.0;
        // First every check, then every hold: a refusal must leave no trace.
        for spec in &request.budgets {
            match self.scopes.get_mut(&spec.scope) {
                Some(state) => {
                    state.adopt(spec, now);
                    state.check(amount)
                }
                // Not stored yet: a refused newcomer (an end user with random ids) costs no memory.
                None => ScopeState::new(spec, now).check(amount),
            }
            .map_err(ReserveError::Refused)?;
        }
        for spec in &request.budgets {
            self.with_state(spec, now, |state| state.hold(amount));
        }
        let lease_ms = i64::try_from(request.lease.as_millis()).unwrap_or(i64::MAX);
        let hold = OpenHold {
            budgets: request.budgets,
            amount,
            expires_at: now.saturating_add(lease_ms),
            expiry_seq: 0,
        };
        let reservation = hold.reservation(&request.id);
        self.book.open(request.id, hold);
        Ok(reservation)
    }

    pub(super) fn settle(
        &mut self,
        id: &ReservationId,
        actual: NanoUsd,
        now: i64,
    ) -> Result<SettleOutcome, CounterError> {
        if actual.0 < 0 {
            return Err(CounterError::Invalid("a settled cost cannot be negative"));
        }
        match self.book.get(id) {
            None => return Ok(SettleOutcome::Unknown),
            Some(Entry::Closed(Closed::Settled { charged })) => {
                return Ok(SettleOutcome::AlreadySettled {
                    charged: NanoUsd(*charged),
                });
            }
            Some(Entry::Closed(Closed::Released)) => return Ok(SettleOutcome::AlreadyReleased),
            Some(Entry::Open(_) | Entry::Closed(Closed::Expired { .. })) => {}
        }
        let closed = Closed::Settled { charged: actual.0 };
        match self.book.close(id, closed, now) {
            Some(Entry::Open(hold)) => {
                let alerts = self.charge(&hold.budgets, Some(hold.amount), actual.0, now);
                Ok(SettleOutcome::Settled(settlement(
                    hold.amount,
                    actual.0,
                    alerts,
                )))
            }
            Some(Entry::Closed(Closed::Expired { budgets })) => {
                let alerts = self.charge(&budgets, None, actual.0, now);
                Ok(SettleOutcome::SettledAfterExpiry(settlement(
                    0, actual.0, alerts,
                )))
            }
            _ => Ok(SettleOutcome::Unknown),
        }
    }

    /// Move `actual` into each budget's spend (in its current window), freeing `held` if the
    /// hold was still open.
    fn charge(
        &mut self,
        budgets: &[BudgetSpec],
        held: Option<i64>,
        actual: i64,
        now: i64,
    ) -> Vec<BudgetAlert> {
        let mut alerts = Vec::new();
        for spec in budgets {
            let alert = self.with_state(spec, now, |state| {
                state.roll(now);
                if let Some(amount) = held {
                    state.unhold(amount);
                }
                state.charge(actual)
            });
            alerts.extend(alert);
        }
        alerts
    }

    pub(super) fn release(&mut self, id: &ReservationId, now: i64) -> ReleaseOutcome {
        match self.book.get(id) {
            None => return ReleaseOutcome::Unknown,
            Some(Entry::Closed(Closed::Settled { .. })) => return ReleaseOutcome::AlreadySettled,
            Some(Entry::Closed(Closed::Released)) => return ReleaseOutcome::AlreadyReleased,
            Some(Entry::Closed(Closed::Expired { .. })) => return ReleaseOutcome::Expired,
            Some(Entry::Open(_)) => {}
        }
        let Some(Entry::Open(hold)) = self.book.close(id, Closed::Released, now) else {
            return ReleaseOutcome::Unknown;
        };
        for spec in &hold.budgets {
            if let Some(state) = self.scopes.get_mut(&spec.scope) {
                state.unhold(hold.amount);
            }
        }
        ReleaseOutcome::Released {
            amount: NanoUsd(hold.amount),
        }
    }

    pub(super) fn renew(&mut self, id: &ReservationId, lease_ms: i64, now: i64) -> RenewOutcome {
        let expires_at_ms = now.saturating_add(lease_ms);
        if self.book.renew(id, expires_at_ms) {
            RenewOutcome::Renewed { expires_at_ms }
        } else {
            RenewOutcome::NotOpen
        }
    }

    pub(super) fn seed_spent(&mut self, spec: &BudgetSpec, spent: NanoUsd, now: i64) -> bool {
        if self.scopes.contains_key(&spec.scope) {
            return false;
        }
        self.scopes
            .insert(spec.scope.clone(), ScopeState::with_spent(spec, now, spent));
        true
    }

    pub(super) fn reap(&mut self, now: i64) -> ReapReport {
        let (expired, forgotten) = self.housekeep(now);
        let before = self.scopes.len();
        self.scopes.retain(|_, state| {
            state.roll(now);
            !state.is_idle()
        });
        ReapReport {
            expired,
            forgotten,
            idle_scopes: before - self.scopes.len(),
        }
    }

    pub(super) fn explain(&mut self, scope: &Scope, now: i64) -> Option<ScopeReport> {
        let state = self.scopes.get_mut(scope)?;
        state.roll(now);
        let spec = state.spec();
        Some(ScopeReport {
            scope: scope.clone(),
            limit: spec.limit,
            period: spec.period,
            mode: spec.mode,
            window_start_ms: state.window_start(),
            resets_at_ms: state.resets_at(),
            spent: state.spent(),
            reserved: state.reserved(),
            open_count: state.open_count(),
            open: self.book.open_on(scope, ScopeReport::LISTED_RESERVATIONS),
        })
    }

    /// Run `change` on the scope's state, created from `spec` if new. Looks up before
    /// inserting so the hot path (a known scope) never clones the scope's id.
    fn with_state<R>(
        &mut self,
        spec: &BudgetSpec,
        now: i64,
        change: impl FnOnce(&mut ScopeState) -> R,
    ) -> R {
        if let Some(state) = self.scopes.get_mut(&spec.scope) {
            return change(state);
        }
        let mut state = ScopeState::new(spec, now);
        let result = change(&mut state);
        self.scopes.insert(spec.scope.clone(), state);
        result
    }
}

fn settlement(held: i64, actual: i64, alerts: Vec<BudgetAlert>) -> Settlement {
    Settlement {
        charged: NanoUsd(actual),
        released: NanoUsd(held.saturating_sub(actual).max(0)),
        overrun: NanoUsd(actual.saturating_sub(held).max(0)),
        alerts,
    }
}

/// The checks every backend makes before a reservation touches any counter.
pub(crate) fn validate(request: &ReserveRequest) -> Result<(), CounterError> {
    if request.amount.0 < 0 {
        return Err(CounterError::Invalid("a reservation cannot be negative"));
    }
    if request.lease.is_zero() {
        // It would expire before anyone could settle it.
        return Err(CounterError::Invalid("a reservation needs a lease"));
    }
    for (index, spec) in request.budgets.iter().enumerate() {
        if spec.limit.0 < 0 {
            return Err(CounterError::Invalid("a budget limit cannot be negative"));
        }
        if spec.alert_at_percent.is_some_and(|p| p == 0 || p > 100) {
            return Err(CounterError::Invalid(
                "an alert threshold is 1 to 100 percent",
            ));
        }
        // Twice the same scope would hold the amount twice and check it once.
        if request.budgets[..index]
            .iter()
            .any(|earlier| earlier.scope == spec.scope)
        {
            return Err(CounterError::Invalid(
                "a scope appears twice in one reservation",
            ));
        }
    }
    Ok(())
}
