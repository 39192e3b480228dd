//! Per-deployment health: failures in a sliding window, cooldown, in-flight count, latency.
//!
//! All of it is lock-free atomics except the failure window (a short mutex-protected ring of
//! timestamps, touched only on failure), so a healthy request pays a few atomic operations.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// When a deployment is taken out of rotation.
#[derive(Debug, Clone, Copy)]
pub struct CooldownPolicy {
    /// This many retryable failures within `window` start a cooldown.
    pub failures: u32,
    pub window: Duration,
    /// How long a deployment is skipped; then one probe is let through (half-open).
    pub cooldown: Duration,
    /// Upper bound on a cooldown asked for by an upstream's `retry-after`.
    pub max_retry_after: Duration,
}

impl Default for CooldownPolicy {
    fn default() -> Self {
        CooldownPolicy {
            failures: 3,
            window: Duration::from_secs(60),
            cooldown: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

/// Shared, mutable health of one deployment.
#[derive(Debug)]
pub struct DeploymentHealth {
    epoch: Instant,
    /// Millis since `epoch` until which the deployment is skipped; 0 = not cooling.
    cooldown_until_ms: AtomicU64,
    /// Set when a cooldown ends: the next result decides (success closes, failure re-opens).
    half_open: AtomicBool,
    failures: Mutex<Vec<Instant>>,
    in_flight: AtomicU32,
    /// Exponentially weighted moving average of time to first byte, in microseconds; 0 = unknown.
    latency_ewma_us: AtomicU64,
}

impl Default for DeploymentHealth {
    fn default() -> Self {
        DeploymentHealth {
            epoch: Instant::now(),
            cooldown_until_ms: AtomicU64::new(0),
            half_open: AtomicBool::new(false),
            failures: Mutex::new(Vec::new()),
            in_flight: AtomicU32::new(0),
            latency_ewma_us: AtomicU64::new(0),
        }
    }
}

impl DeploymentHealth {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Whether the deployment is cooling down right now.
    pub fn is_cooling(&self) -> bool {
        let until = self.cooldown_until_ms.load(Ordering::Relaxed);
        until != 0 && self.now_ms() < until
    }

    /// Time left in the cooldown, for "soonest back" choices when everything is cooling.
    pub fn cooldown_remaining(&self) -> Duration {
        let until = self.cooldown_until_ms.load(Ordering::Relaxed);
        Duration::from_millis(until.saturating_sub(self.now_ms()))
    }

    pub fn in_flight(&self) -> u32 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Moving average of time to first byte; `None` until the first success.
    pub fn latency(&self) -> Option<Duration> {
        match self.latency_ewma_us.load(Ordering::Relaxed) {
            0 => None,
            us => Some(Duration::from_micros(us)),
        }
    }

    /// Marks the start of an attempt; the guard marks its end when dropped.
    pub fn begin(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight { health: self }
    }

    pub fn record_success(&self, time_to_first_byte: Duration) {
        if self.half_open.swap(false, Ordering::Relaxed) {
            self.cooldown_until_ms.store(0, Ordering::Relaxed);
        }
        let sample = u64::try_from(time_to_first_byte.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        let previous = self.latency_ewma_us.load(Ordering::Relaxed);
        // Weight 1/8 for the new sample: smooths noise, follows a real shift within ~10 calls.
        let next = if previous == 0 {
            sample
        } else {
            previous - previous / 8 + sample / 8
        };
        self.latency_ewma_us.store(next.max(1), Ordering::Relaxed);
    }

    /// Records a retryable failure; starts a cooldown when the policy says so, or for as long as
    /// the upstream asked (`retry-after` on a 429).
    pub fn record_failure(&self, policy: &CooldownPolicy, retry_after: Option<Duration>) {
        if let Some(wait) = retry_after {
            self.cool_for(wait.min(policy.max_retry_after));
            return;
        }
        if self.half_open.swap(false, Ordering::Relaxed) {
            // The probe failed: straight back into cooldown.
            self.cool_for(policy.cooldown);
            return;
        }
        let now = Instant::now();
        let trip = {
            let Ok(mut failures) = self.failures.lock() else {
                return;
            };
            failures.retain(|at| now.duration_since(*at) < policy.window);
            failures.push(now);
            if failures.len() >= policy.failures as usize {
                failures.clear();
                true
            } else {
                false
            }
        };
        if trip {
            self.cool_for(policy.cooldown);
        }
    }

    fn cool_for(&self, duration: Duration) {
        let until = self
            .now_ms()
            .saturating_add(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
            .max(1);
        self.cooldown_until_ms.store(until, Ordering::Relaxed);
        self.half_open.store(true, Ordering::Relaxed);
        tracing::warn!(
            cooldown_ms = duration.as_millis() as u64,
            "deployment cooling down"
        );
    }
}

/// Decrements the in-flight count when the attempt ends, however it ends.
pub struct InFlight<'a> {
    health: &'a DeploymentHealth,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.health.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}
