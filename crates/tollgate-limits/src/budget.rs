//! What a budget is, and what a refusal and an alert say about one.

use std::fmt;

use tollgate_types::NanoUsd;

use crate::period::{Period, UtcOffset};
use crate::scope::Scope;

/// How a budget treats the call that might cross it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BudgetMode {
    /// Reserve the worst case and refuse a call that might not fit: the budget is never
    /// exceeded as long as calls cost no more than their reservation.
    #[default]
    Hard,
    /// Admit while settled spend is below the limit: the call that crosses it completes (and so
    /// may calls already in flight), later ones are refused.
    Soft,
}

/// One budget on one scope, as the request path knows it now. Specs travel with every
/// reservation, so a changed limit applies from the next call with no cache to invalidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetSpec {
    pub scope: Scope,
    pub limit: NanoUsd,
    pub period: Period,
    pub mode: BudgetMode,
    /// Percent of the limit (1..=100) at which settled spend raises one alert per window.
    pub alert_at_percent: Option<u8>,
    /// Where the period's windows start; UTC unless configured.
    pub offset: UtcOffset,
}

impl BudgetSpec {
    /// A hard budget, windows in UTC, no alert.
    pub fn hard(scope: Scope, limit: NanoUsd, period: Period) -> BudgetSpec {
        BudgetSpec {
            scope,
            limit,
            period,
            mode: BudgetMode::Hard,
            alert_at_percent: None,
            offset: UtcOffset::UTC,
        }
    }

    pub fn soft(scope: Scope, limit: NanoUsd, period: Period) -> BudgetSpec {
        BudgetSpec {
            mode: BudgetMode::Soft,
            ..BudgetSpec::hard(scope, limit, period)
        }
    }

    /// An organization's credit balance as a budget: `credited` is everything ever added to the
    /// balance (purchases net of fees, refunds, adjustments) and the counters' spend is what
    /// calls drew from it, so the balance is `credited - spent` and a call that could overdraw
    /// it is refused ([`crate::CreditTotals`] computes `credited` from the ledger).
    pub fn credits(org: impl Into<String>, credited: NanoUsd) -> BudgetSpec {
        BudgetSpec::hard(Scope::Credits(org.into()), credited, Period::None)
    }

    pub fn with_alert_at_percent(mut self, percent: u8) -> BudgetSpec {
        self.alert_at_percent = Some(percent);
        self
    }

    pub fn with_offset(mut self, offset: UtcOffset) -> BudgetSpec {
        self.offset = offset;
        self
    }
}

/// The `code` of a 429 that a budget caused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusalCode {
    BudgetExceeded,
    InsufficientCredits,
}

impl RefusalCode {
    pub fn as_str(self) -> &'static str {
        match self {
            RefusalCode::BudgetExceeded => "budget_exceeded",
            RefusalCode::InsufficientCredits => "insufficient_credits",
        }
    }
}

/// Why a reservation was refused: the first budget in the caller's order that could not take
/// it, with the numbers at the moment of the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub scope: Scope,
    pub code: RefusalCode,
    pub mode: BudgetMode,
    pub period: Period,
    pub limit: NanoUsd,
    /// Settled spend in the current window.
    pub spent: NanoUsd,
    /// Held by open reservations of other calls.
    pub reserved: NanoUsd,
    /// This call's reservation.
    pub requested: NanoUsd,
    /// When the window resets (Unix ms); `None` for a lifetime budget or a credit balance.
    pub resets_at_ms: Option<i64>,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.code {
            RefusalCode::InsufficientCredits => "Insufficient credits",
            RefusalCode::BudgetExceeded => "Budget exceeded",
        };
        write!(
            f,
            "{what} for {}: limit ${}, spent ${}, reserved ${}, this request needs up to ${}",
            self.scope, self.limit, self.spent, self.reserved, self.requested
        )?;
        if self.period != Period::None {
            write!(f, " ({} budget)", self.period.as_str())?;
        }
        Ok(())
    }
}

/// Settled spend reached a budget's alert threshold; raised once per window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetAlert {
    pub scope: Scope,
    pub limit: NanoUsd,
    pub spent: NanoUsd,
    pub threshold_percent: u8,
    pub period: Period,
    pub window_start_ms: i64,
}
