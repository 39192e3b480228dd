//! Max parallel requests per key and team, with a permit that frees its slots when dropped, so
//! no early return, panic or client disconnect leaks one.
//!
//! In-process only: in scale-out mode each instance enforces its own share. A shared limit
//! needs leased slots in Redis (the reservation book's pattern) and can come with that backend.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::scope::Scope;

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

#[derive(Debug, Clone, Default)]
pub struct ParallelLimiter {
    in_flight: Arc<Mutex<HashMap<Scope, u32>>>,
}

impl ParallelLimiter {
    pub fn new() -> ParallelLimiter {
        ParallelLimiter::default()
    }

    /// Take one slot on every scope, or none if any is full. A scope named twice counts once.
    pub fn try_acquire(&self, limits: &[ParallelLimit]) -> Result<ParallelPermit, ParallelRefused> {
        let mut in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut scopes: Vec<Scope> = Vec::with_capacity(limits.len());
        for limit in limits {
            if scopes.contains(&limit.scope) {
                continue;
            }
            let current = in_flight.get(&limit.scope).copied().unwrap_or(0);
            if current >= limit.max {
                return Err(ParallelRefused {
                    scope: limit.scope.clone(),
                    max: limit.max,
                    in_flight: current,
                });
            }
            scopes.push(limit.scope.clone());
        }
        for scope in &scopes {
            *in_flight.entry(scope.clone()).or_insert(0) += 1;
        }
        Ok(ParallelPermit {
            in_flight: Arc::clone(&self.in_flight),
            scopes,
        })
    }

    pub fn in_flight(&self, scope: &Scope) -> u32 {
        let in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        in_flight.get(scope).copied().unwrap_or(0)
    }
}

/// Holds one slot on each of its scopes until dropped.
#[derive(Debug)]
pub struct ParallelPermit {
    in_flight: Arc<Mutex<HashMap<Scope, u32>>>,
    scopes: Vec<Scope>,
}

impl Drop for ParallelPermit {
    fn drop(&mut self) {
        let mut in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for scope in &self.scopes {
            if let Some(count) = in_flight.get_mut(scope) {
                *count = count.saturating_sub(1);
                // Idle scopes leave the map, so it holds only what is in flight.
                if *count == 0 {
                    in_flight.remove(scope);
                }
            }
        }
    }
}
