//! Rate limits, parallel limits, budgets and prepaid credits that stay exact under concurrency.
//!
//! On the request path (design.md §1):
//!
//! 1. **Rate limits** (step 5): [`RateLimiter::acquire`] takes one request and the call's
//!    worst-case tokens from every requests/min and tokens/min limit of the key and team, all or
//!    none; [`ParallelLimiter::acquire`] takes an in-flight slot on the key and team whose permit
//!    frees itself when dropped. Deployment limits are checked the same way when the router picks one.
//! 2. **Reserve** (step 6): [`Counters::reserve`] holds the call's worst-case cost against every
//!    budget in the chain and the credit balance, all or none, under a lease; a
//!    [`ReservationGuard`] makes sure the hold is settled or released however the call ends.
//! 3. **Settle** (step 10): [`Counters::settle`] charges the actual cost and frees the rest;
//!    [`RateGrant::into_refund`] gives back the tokens the worst case did not use.
//!
//! Exactness: a hard budget admits a call only if `spent + reserved + amount <= limit` in one
//! atomic step, so settled spend never passes the limit while calls cost no more than they
//! reserved, and nothing is refused that fits. Settle and release are idempotent; a holder that
//! died loses its hold when the lease ends, so no counter drifts.
//!
//! Backends: everything that counts sits behind [`Counters`] and [`RateLimiter`], whose
//! methods are each one atomic operation that maps onto one Redis Lua script. The in-process
//! backends are [`InProcessCounters`] and [`InProcessRateLimiter`] (one instance); the Redis
//! backends, [`RedisCounters`] and [`RedisRateLimiter`], count for every instance sharing one
//! Redis. Parallel slots sit behind [`ParallelSlots`] the same way: [`InProcessSlots`], or
//! [`RedisParallelSlots`] with leased slots shared by every instance.

mod budget;
mod clock;
mod counters;
mod credits;
mod guard;
mod in_process;
mod parallel;
mod period;
mod rate;
mod redis;
mod scope;

/// The maps on the request path (scopes, reservations, rate buckets, in-flight counts): foldhash
/// rather than SipHash, which showed in profiles of limited calls. Seeded per process, so keys a
/// caller controls (end-user ids) cannot be chosen to collide.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

pub use crate::redis::{
    DEFAULT_REDIS_PREFIX, RedisConnection, RedisCounters, RedisParallelSlots, RedisRateLimiter,
};
pub use budget::{BudgetAlert, BudgetMode, BudgetSpec, Refusal, RefusalCode};
pub use clock::{Clock, ManualClock, SystemClock};
pub use counters::{
    CounterError, Counters, OpenReservation, ReapReport, ReleaseOutcome, RenewOutcome, Reservation,
    ReservationId, ReserveError, ReserveRequest, ScopeReport, SettleOutcome, Settlement,
};
pub use credits::{CreditTotals, FeeSchedule, LedgerEntry, LedgerKind, Purchase, balance};
pub use guard::ReservationGuard;
pub use in_process::{DEFAULT_RETENTION, InProcessCounters};
pub use parallel::{
    InProcessSlots, ParallelError, ParallelLimit, ParallelLimiter, ParallelPermit, ParallelRefused,
    ParallelSlots, SlotRenewal,
};
pub use period::{Period, UtcOffset};
pub use rate::{
    InProcessRateLimiter, Quota, RateCheck, RateError, RateGrant, RateKind, RateLimited,
    RateLimiter, RateStatus, TokenRefund, go_duration,
};
pub use scope::Scope;
