//! The budget counter contract: reserve before the call, settle or release after it.
//!
//! Every method is one atomic operation on the backend, so each maps onto one Redis Lua script
//! later. Nothing borrowed lives across an `.await` and nothing returned holds backend state: a
//! reservation is named by its id alone.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tollgate_types::NanoUsd;

use crate::budget::{BudgetAlert, BudgetMode, BudgetSpec, Refusal};
use crate::period::Period;
use crate::scope::Scope;

/// Names one reservation. The caller chooses it (the request id is a good one), so a reserve
/// retried after a lost answer finds the reservation it already made.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReservationId(Arc<str>);

impl ReservationId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for ReservationId {
    fn from(id: &str) -> ReservationId {
        ReservationId(Arc::from(id))
    }
}

impl From<String> for ReservationId {
    fn from(id: String) -> ReservationId {
        ReservationId(Arc::from(id))
    }
}

impl fmt::Display for ReservationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Hold `amount` against every budget in `budgets`, all or none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReserveRequest {
    pub id: ReservationId,
    /// The chain in the order a refusal should name them (key, user, team, organization, end
    /// user, credits). Each scope at most once.
    pub budgets: Vec<BudgetSpec>,
    /// The call's worst-case cost.
    pub amount: NanoUsd,
    /// How long the hold lasts if its holder never settles nor releases (it died). Longer than
    /// the call can take, or renewed while it runs.
    pub lease: Duration,
}

/// A granted hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub id: ReservationId,
    pub amount: NanoUsd,
    pub expires_at_ms: i64,
}

/// What a settle did. Every variant but `Settled` and `SettledAfterExpiry` changed nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettleOutcome {
    Settled(Settlement),
    /// The lease had run out and the hold was already freed; the actual cost was still charged,
    /// because a record of spend is never dropped.
    SettledAfterExpiry(Settlement),
    AlreadySettled {
        charged: NanoUsd,
    },
    AlreadyReleased,
    /// Never reserved (a refused call), or closed so long ago that the id was forgotten.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    pub charged: NanoUsd,
    /// The part of the reservation handed back.
    pub released: NanoUsd,
    /// How much the actual cost exceeded the reservation (a worst case that was not one). A
    /// hard budget can be exceeded by this much; worth a warning in the logs.
    pub overrun: NanoUsd,
    /// Thresholds crossed by this settlement, each once per window.
    pub alerts: Vec<BudgetAlert>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReleaseOutcome {
    Released {
        amount: NanoUsd,
    },
    AlreadyReleased,
    AlreadySettled,
    /// The lease ran out first; the hold is already free.
    Expired,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenewOutcome {
    Renewed {
        expires_at_ms: i64,
    },
    /// Settled, released, expired or unknown: there is no hold left to extend.
    NotOpen,
}

/// One budget's state, for `GET /admin/v1/budgets/explain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeReport {
    pub scope: Scope,
    /// As the last reservation that named this scope described it.
    pub limit: NanoUsd,
    pub period: Period,
    pub mode: BudgetMode,
    pub window_start_ms: Option<i64>,
    pub resets_at_ms: Option<i64>,
    pub spent: NanoUsd,
    pub reserved: NanoUsd,
    /// How many reservations hold part of this budget.
    pub open_count: u32,
    /// Up to [`ScopeReport::LISTED_RESERVATIONS`] of them.
    pub open: Vec<OpenReservation>,
}

impl ScopeReport {
    pub const LISTED_RESERVATIONS: usize = 100;

    /// What a new hard reservation could still take: `limit - spent - reserved`, never below 0.
    pub fn available(&self) -> NanoUsd {
        self.limit
            .saturating_sub(self.spent)
            .saturating_sub(self.reserved)
            .max(NanoUsd::ZERO)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenReservation {
    pub id: ReservationId,
    pub amount: NanoUsd,
    pub expires_at_ms: i64,
}

/// What a `reap` cleaned up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReapReport {
    /// Holds whose lease ran out, freed now.
    pub expired: usize,
    /// Closed reservations past their retention, forgotten.
    pub forgotten: usize,
    /// Budget states with nothing left to remember (no open holds, nothing spent in the current
    /// window), dropped.
    pub idle_scopes: usize,
}

/// The backend could not answer, or the request makes no sense.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CounterError {
    #[error("invalid counter request: {0}")]
    Invalid(&'static str),
    #[error("reservation id {0} was already used")]
    DuplicateId(ReservationId),
    /// A Redis backend's connection or script failure (never shown to callers).
    #[error("counter backend failed: {0}")]
    Backend(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReserveError {
    /// A budget or the credit balance cannot take the call: answer 429 with the refusal's code.
    #[error("{0}")]
    Refused(Box<Refusal>),
    #[error(transparent)]
    Failed(#[from] CounterError),
}

/// Budget and credit counters. One implementation per backend (in-process now, Redis later);
/// both must pass the same race tests.
#[async_trait]
pub trait Counters: Send + Sync {
    /// Atomically: refuse if any budget cannot take `amount` (hard: `spent + reserved + amount
    /// <= limit`; soft: `spent < limit`), else hold `amount` on every one. A repeated id that
    /// is still open returns the same reservation; a closed one is `DuplicateId`.
    async fn reserve(&self, request: ReserveRequest) -> Result<Reservation, ReserveError>;

    /// Charge `actual` to every budget of the reservation (in the window current now) and free
    /// the hold. Idempotent: a second settle reports `AlreadySettled` and changes nothing.
    async fn settle(
        &self,
        id: &ReservationId,
        actual: NanoUsd,
    ) -> Result<SettleOutcome, CounterError>;

    /// Free the hold without charging (the call failed before anything was billed). Idempotent.
    async fn release(&self, id: &ReservationId) -> Result<ReleaseOutcome, CounterError>;

    /// Extend a long call's lease (a stream that outlives the first lease).
    async fn renew(
        &self,
        id: &ReservationId,
        lease: Duration,
    ) -> Result<RenewOutcome, CounterError>;

    /// Set a budget's spend in the current window from the system of record, unless the
    /// counters already know the scope (then they are the fresher source). Call it before the
    /// first reservation that names the scope after a start. `true` if applied.
    async fn seed_spent(&self, spec: &BudgetSpec, spent: NanoUsd) -> Result<bool, CounterError>;

    /// Free expired holds, forget old closed reservations, drop idle budget states. Expired
    /// holds are also freed on every other call; this is for a periodic background task.
    async fn reap(&self) -> Result<ReapReport, CounterError>;

    /// A budget's numbers now; `None` if no reservation ever named it (or it was idle and
    /// dropped, so it has spent nothing in its current window).
    async fn explain(&self, scope: &Scope) -> Result<Option<ScopeReport>, CounterError>;

    /// Settled spend in the scope's current window (zero if unknown).
    async fn spent(&self, scope: &Scope) -> Result<NanoUsd, CounterError> {
        Ok(self
            .explain(scope)
            .await?
            .map_or(NanoUsd::ZERO, |report| report.spent))
    }
}
