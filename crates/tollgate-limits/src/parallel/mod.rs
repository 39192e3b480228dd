//! Max parallel requests per key and team, with a permit that frees its slots when dropped, so
//! no early return, panic or client disconnect leaks one.
//!
//! The slots sit behind [`ParallelSlots`]: [`InProcessSlots`] for one instance, and
//! [`RedisParallelSlots`](crate::RedisParallelSlots) for instances sharing one Redis, where a
//! key's `max_parallel` counts calls in flight on every instance together. A slot in Redis is
//! leased like a reservation: an instance that dies holding slots loses them when the lease ends,
//! and a long stream renews its slots with its reservation.

mod in_process;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio_util::task::TaskTracker;

use crate::counters::CounterError;
use crate::scope::Scope;

pub use in_process::InProcessSlots;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParallelLimit {
    pub scope: Scope,
    pub max: u32,
}

/// Too many calls in flight on `scope`: answer 429 `rate_limit_exceeded`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Too many parallel requests for {scope}: {in_flight} in flight, limit {max}")]
pub struct ParallelRefused {
    pub scope: Scope,
    pub max: u32,
    pub in_flight: u32,
}

impl ParallelRefused {
    pub fn code(&self) -> &'static str {
        "rate_limit_exceeded"
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ParallelError {
    #[error(transparent)]
    Refused(ParallelRefused),
    #[error(transparent)]
    Failed(CounterError),
}

/// Where in-flight slots are counted. Every method is one atomic operation (one Redis script).
#[async_trait]
pub trait ParallelSlots: Send + Sync {
    /// Take one slot on every limit's scope for `holder`, or none if any scope is full. The
    /// scopes are distinct. A slot not renewed within `lease` frees itself (its holder died).
    async fn acquire(
        &self,
        holder: &str,
        limits: &[ParallelLimit],
        lease: Duration,
    ) -> Result<(), ParallelError>;

    /// Free `holder`'s slots on `scopes`; freeing a slot twice frees it once.
    async fn release(&self, holder: &str, scopes: &[Scope]) -> Result<(), CounterError>;

    /// Free the slots without waiting, if this backend can (in-process); `false` when it has to
    /// go over the network, and the caller releases in the background instead.
    fn release_now(&self, _holder: &str, _scopes: &[Scope]) -> bool {
        false
    }

    /// Push back the lease of `holder`'s slots on `scopes`.
    async fn renew(
        &self,
        holder: &str,
        scopes: &[Scope],
        lease: Duration,
    ) -> Result<(), CounterError>;

    /// Calls in flight on `scope` now.
    async fn in_flight(&self, scope: &Scope) -> Result<u32, CounterError>;
}

/// Takes parallel slots and hands out permits that give them back.
#[derive(Clone)]
pub struct ParallelLimiter {
    slots: Arc<dyn ParallelSlots>,
    /// Releases that cannot finish inside a permit's drop; shutdown waits on it.
    background: TaskTracker,
}

impl Default for ParallelLimiter {
    fn default() -> Self {
        ParallelLimiter::in_process()
    }
}

impl ParallelLimiter {
    /// Slots counted in this process (one instance).
    pub fn in_process() -> ParallelLimiter {
        ParallelLimiter::new(Arc::new(InProcessSlots::new()), TaskTracker::new())
    }

    pub fn new(slots: Arc<dyn ParallelSlots>, background: TaskTracker) -> ParallelLimiter {
        ParallelLimiter { slots, background }
    }

    /// One slot on every scope for `holder` (the call's request id), or none if any is full.
    /// A scope named twice counts once.
    pub async fn acquire(
        &self,
        holder: &str,
        limits: &[ParallelLimit],
        lease: Duration,
    ) -> Result<ParallelPermit, ParallelError> {
        let mut distinct: Vec<ParallelLimit> = Vec::with_capacity(limits.len());
        for limit in limits {
            if !distinct.iter().any(|seen| seen.scope == limit.scope) {
                distinct.push(limit.clone());
            }
        }
        self.slots.acquire(holder, &distinct, lease).await?;
        Ok(ParallelPermit {
            slots: Arc::clone(&self.slots),
            background: self.background.clone(),
            holder: holder.to_string(),
            scopes: distinct.into_iter().map(|limit| limit.scope).collect(),
        })
    }

    pub async fn in_flight(&self, scope: &Scope) -> Result<u32, CounterError> {
        self.slots.in_flight(scope).await
    }

    /// Background releases (permits dropped without [`ParallelPermit::release`]).
    pub fn background(&self) -> &TaskTracker {
        &self.background
    }
}

/// Holds one slot on each of its scopes until released or dropped.
pub struct ParallelPermit {
    slots: Arc<dyn ParallelSlots>,
    background: TaskTracker,
    holder: String,
    scopes: Vec<Scope>,
}

impl std::fmt::Debug for ParallelPermit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParallelPermit")
            .field("holder", &self.holder)
            .field("scopes", &self.scopes)
            .finish()
    }
}

impl ParallelPermit {
    /// Frees the slots and waits until they are free (a drop frees them in the background).
    pub async fn release(mut self) {
        let scopes = std::mem::take(&mut self.scopes);
        if scopes.is_empty() || self.slots.release_now(&self.holder, &scopes) {
            return;
        }
        if let Err(error) = self.slots.release(&self.holder, &scopes).await {
            tracing::warn!(%error, "releasing parallel slots failed; their lease frees them");
        }
    }

    /// Keeps the slots for another `lease` (a long stream).
    pub async fn renew(&self, lease: Duration) -> Result<(), CounterError> {
        if self.scopes.is_empty() {
            return Ok(());
        }
        self.slots.renew(&self.holder, &self.scopes, lease).await
    }

    /// What renewing needs, for a task that outlives this permit's borrow.
    pub fn renewal(&self) -> SlotRenewal {
        SlotRenewal {
            slots: Arc::clone(&self.slots),
            holder: self.holder.clone(),
            scopes: self.scopes.clone(),
        }
    }
}

/// A permit's slots, to renew from a background task.
pub struct SlotRenewal {
    slots: Arc<dyn ParallelSlots>,
    holder: String,
    scopes: Vec<Scope>,
}

impl SlotRenewal {
    pub async fn renew(self, lease: Duration) -> Result<(), CounterError> {
        if self.scopes.is_empty() {
            return Ok(());
        }
        self.slots.renew(&self.holder, &self.scopes, lease).await
    }
}

impl Drop for ParallelPermit {
    fn drop(&mut self) {
        let scopes = std::mem::take(&mut self.scopes);
        if scopes.is_empty() || self.slots.release_now(&self.holder, &scopes) {
            return;
        }
        // Outside a runtime nothing can run the release; the lease frees the slots.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let slots = Arc::clone(&self.slots);
        let holder = std::mem::take(&mut self.holder);
        self.background.spawn_on(
            async move {
                if let Err(error) = slots.release(&holder, &scopes).await {
                    tracing::warn!(%error, "releasing parallel slots failed; their lease frees them");
                }
            },
            &runtime,
        );
    }
}
