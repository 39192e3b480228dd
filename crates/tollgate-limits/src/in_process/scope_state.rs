//! One budget's numbers in the window that holds "now", and the checks on them.
//!
//! Sums are compared in `i128`: a worst case that saturated to `i64::MAX` must be refused, not
//! wrap around and fit.

use tollgate_types::NanoUsd;

use crate::budget::{BudgetAlert, BudgetMode, BudgetSpec, Refusal, RefusalCode};
use crate::scope::Scope;

#[derive(Debug, Clone)]
pub(super) struct ScopeState {
    /// As the latest request described the budget: limits change between calls.
    spec: BudgetSpec,
    window_start: i64,
    spent: i64,
    reserved: i64,
    open: u32,
    /// The window whose alert was raised, so it is raised once.
    alerted_window: Option<i64>,
}

impl ScopeState {
    pub(super) fn new(spec: &BudgetSpec, now: i64) -> ScopeState {
        ScopeState {
            spec: spec.clone(),
            window_start: spec.period.window_start(now, spec.offset),
            spent: 0,
            reserved: 0,
            open: 0,
            alerted_window: None,
        }
    }

    pub(super) fn with_spent(spec: &BudgetSpec, now: i64, spent: NanoUsd) -> ScopeState {
        ScopeState {
            spent: spent.0.max(0),
            ..ScopeState::new(spec, now)
        }
    }

    /// Take the caller's current description of the budget, then move to the current window.
    pub(super) fn adopt(&mut self, spec: &BudgetSpec, now: i64) {
        if self.spec != *spec {
            self.spec.clone_from(spec);
        }
        self.roll(now);
    }

    /// Start a new window if the period ended. Holds carry over: a call reserved before
    /// midnight and settled after it is charged to the new window, which has counted its hold
    /// since the first check after midnight, so `spent + reserved <= limit` survives the reset.
    pub(super) fn roll(&mut self, now: i64) {
        let start = self.spec.period.window_start(now, self.spec.offset);
        if start != self.window_start {
            self.window_start = start;
            self.spent = 0;
        }
    }

    pub(super) fn check(&self, amount: i64) -> Result<(), Box<Refusal>> {
        let limit = i128::from(self.spec.limit.0);
        let fits = match self.spec.mode {
            BudgetMode::Hard => {
                i128::from(self.spent) + i128::from(self.reserved) + i128::from(amount) <= limit
            }
            BudgetMode::Soft => i128::from(self.spent) < limit,
        };
        if fits {
            Ok(())
        } else {
            Err(Box::new(self.refusal(amount)))
        }
    }

    fn refusal(&self, amount: i64) -> Refusal {
        let code = match self.spec.scope {
            Scope::Credits(_) => RefusalCode::InsufficientCredits,
            _ => RefusalCode::BudgetExceeded,
        };
        Refusal {
            scope: self.spec.scope.clone(),
            code,
            mode: self.spec.mode,
            period: self.spec.period,
            limit: self.spec.limit,
            spent: NanoUsd(self.spent),
            reserved: NanoUsd(self.reserved),
            requested: NanoUsd(amount),
            resets_at_ms: self.resets_at(),
        }
    }

    pub(super) fn hold(&mut self, amount: i64) {
        self.reserved = self.reserved.saturating_add(amount);
        self.open = self.open.saturating_add(1);
    }

    pub(super) fn unhold(&mut self, amount: i64) {
        // Never below zero: a state rebuilt after it was dropped must not go negative.
        self.reserved = self.reserved.saturating_sub(amount).max(0);
        self.open = self.open.saturating_sub(1);
    }

    /// Add settled spend; the alert if this crossed the threshold first in this window.
    pub(super) fn charge(&mut self, actual: i64) -> Option<BudgetAlert> {
        self.spent = self.spent.saturating_add(actual);
        let percent = self.spec.alert_at_percent?;
        let crossed =
            i128::from(self.spent) * 100 >= i128::from(self.spec.limit.0) * i128::from(percent);
        if !crossed || self.alerted_window == Some(self.window_start) {
            return None;
        }
        self.alerted_window = Some(self.window_start);
        Some(BudgetAlert {
            scope: self.spec.scope.clone(),
            limit: self.spec.limit,
            spent: NanoUsd(self.spent),
            threshold_percent: percent,
            period: self.spec.period,
            window_start_ms: self.window_start,
        })
    }

    /// Nothing here that a fresh state would not say: no holds, nothing spent this window.
    pub(super) fn is_idle(&self) -> bool {
        self.open == 0 && self.reserved == 0 && self.spent == 0
    }

    pub(super) fn spec(&self) -> &BudgetSpec {
        &self.spec
    }

    pub(super) fn spent(&self) -> NanoUsd {
        NanoUsd(self.spent)
    }

    pub(super) fn reserved(&self) -> NanoUsd {
        NanoUsd(self.reserved)
    }

    pub(super) fn open_count(&self) -> u32 {
        self.open
    }

    pub(super) fn window_start(&self) -> Option<i64> {
        (self.window_start != i64::MIN).then_some(self.window_start)
    }

    pub(super) fn resets_at(&self) -> Option<i64> {
        self.spec
            .period
            .window_end(self.window_start, self.spec.offset)
    }
}
