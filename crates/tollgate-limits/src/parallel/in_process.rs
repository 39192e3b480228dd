//! Parallel slots counted in this process: a map of in-flight counts under one lock. Holders
//! die only with the process, so there is nothing to lease.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;

use super::{ParallelError, ParallelLimit, ParallelRefused, ParallelSlots};
use crate::FastMap;
use crate::counters::CounterError;
use crate::scope::Scope;

#[derive(Debug, Default)]
pub struct InProcessSlots {
    in_flight: Mutex<FastMap<Scope, u32>>,
}

impl InProcessSlots {
    pub fn new() -> InProcessSlots {
        InProcessSlots::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FastMap<Scope, u32>> {
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl ParallelSlots for InProcessSlots {
    async fn acquire(
        &self,
        _holder: &str,
        limits: &[ParallelLimit],
        _lease: Duration,
    ) -> Result<(), ParallelError> {
        let mut in_flight = self.lock();
        for limit in limits {
            let current = in_flight.get(&limit.scope).copied().unwrap_or(0);
            if current >= limit.max {
                return Err(ParallelError::Refused(ParallelRefused {
                    scope: limit.scope.clone(),
                    max: limit.max,
                    in_flight: current,
                }));
            }
        }
        for limit in limits {
            *in_flight.entry(limit.scope.clone()).or_insert(0) += 1;
        }
        Ok(())
    }

    async fn release(&self, holder: &str, scopes: &[Scope]) -> Result<(), CounterError> {
        self.release_now(holder, scopes);
        Ok(())
    }

    fn release_now(&self, _holder: &str, scopes: &[Scope]) -> bool {
        let mut in_flight = self.lock();
        for scope in scopes {
            if let Some(count) = in_flight.get_mut(scope) {
                *count = count.saturating_sub(1);
                // Idle scopes leave the map, so it holds only what is in flight.
                if *count == 0 {
                    in_flight.remove(scope);
                }
            }
        }
        true
    }

    async fn renew(
        &self,
        _holder: &str,
        _scopes: &[Scope],
        _lease: Duration,
    ) -> Result<(), CounterError> {
        Ok(())
    }

    async fn in_flight(&self, scope: &Scope) -> Result<u32, CounterError> {
        Ok(self.lock().get(scope).copied().unwrap_or(0))
    }
}
