//! What every handler can reach.

use std::sync::Arc;

use arc_swap::{ArcSwap, ArcSwapOption};
use tollgate_config::GuardrailsConfig;
use tollgate_guard::Guard;
use tollgate_router::Router;
use tollgate_store::{DynStore, SpendWriter};

use crate::auth::Auth;
pub use crate::guardrails::GuardrailSet;
use crate::guardrails::Guardrails;
use crate::limits::{LimitSettings, Limiter};
use crate::metrics::Metrics;

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

/// Re-reads and validates the config source; an `Err` says why the new config was rejected.
pub type Reloader = Arc<dyn Fn() -> Result<Reloaded, String> + Send + Sync>;

/// What a reload swaps in: everything the config file says about serving calls. The listener,
/// the store and Redis stay as they were started (they need a restart).
pub struct Reloaded {
    pub router: Router,
    pub guardrails: GuardrailsConfig,
    pub limits: LimitSettings,
}

struct Inner {
    /// Swapped whole on reload: requests in flight keep the table they started with.
    router: ArcSwap<Router>,
    reloader: Option<Reloader>,
    auth: Auth,
    store: DynStore,
    limits: ServerLimits,
    spend_writer: Option<SpendWriter>,
    /// The gateway's guardrails and each principal's effective ones (design.md §1 steps 3-4);
    /// swapped whole on reload, with fresh caches.
    guardrails: ArcSwapOption<Guardrails>,
    metrics: Metrics,
    /// Rate limits, parallel limits, budgets and credits (design.md §1 steps 5, 6 and 10).
    limiter: Limiter,
}

/// Limits on what a caller may send.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    pub max_body_bytes: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            max_body_bytes: 4 * 1024 * 1024,
        }
    }
}

impl AppState {
    pub fn new(router: Router, auth: Auth, store: DynStore, limits: ServerLimits) -> Self {
        AppState {
            inner: Arc::new(Inner {
                router: ArcSwap::from_pointee(router),
                reloader: None,
                auth,
                limits,
                spend_writer: None,
                guardrails: ArcSwapOption::empty(),
                metrics: Metrics::default(),
                limiter: Limiter::in_process(LimitSettings::default(), Some(store.clone())),
                store,
            }),
        }
    }

    /// Records every authenticated request's spend-log row through `writer`.
    pub fn with_spend_writer(mut self, writer: SpendWriter) -> Self {
        match Arc::get_mut(&mut self.inner) {
            Some(inner) => inner.spend_writer = Some(writer),
            None => tracing::error!("spend writer attached after the state was shared; ignored"),
        }
        self
    }

    /// Applies these guardrails to every request (and answer, when they rewrite output), whatever
    /// the caller: per-key, team and organization overrides are ignored.
    pub fn with_guard(mut self, guard: Guard, rewrites_output: bool) -> Self {
        match Arc::get_mut(&mut self.inner) {
            Some(inner) => {
                inner.guardrails =
                    ArcSwapOption::from_pointee(Guardrails::fixed(guard, rewrites_output));
            }
            None => tracing::error!("guardrails attached after the state was shared; ignored"),
        }
        self
    }

    /// The config's `guardrails:` section for every request, with the overrides stored on each
    /// caller's organization, team and key laid over it. `Err` when the section does not compile.
    pub fn with_guardrails(mut self, config: GuardrailsConfig) -> Result<Self, String> {
        let guardrails = Guardrails::new(config, Some(self.inner.store.clone()))?;
        match Arc::get_mut(&mut self.inner) {
            Some(inner) => inner.guardrails = ArcSwapOption::from_pointee(guardrails),
            None => tracing::error!("guardrails attached after the state was shared; ignored"),
        }
        Ok(self)
    }

    /// Enforces limits and budgets with `limiter` (its settings, its counters' backend).
    pub fn with_limiter(mut self, limiter: Limiter) -> Self {
        match Arc::get_mut(&mut self.inner) {
            Some(inner) => inner.limiter = limiter,
            None => tracing::error!("limiter attached after the state was shared; ignored"),
        }
        self
    }

    pub fn limiter(&self) -> &Limiter {
        &self.inner.limiter
    }

    /// The platform fee on credit purchases, by organization tier.
    pub fn credit_fees(&self) -> tollgate_limits::FeeSchedule {
        self.inner.limiter.settings().fees.clone()
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The gateway-wide guardrails (a caller's own: [`crate::guardrails::for_caller`]).
    pub fn guard(&self) -> Option<Arc<GuardrailSet>> {
        self.inner
            .guardrails
            .load()
            .as_deref()
            .map(Guardrails::gateway)
    }

    pub fn guardrails(&self) -> Option<Arc<Guardrails>> {
        self.inner.guardrails.load_full()
    }

    pub fn spend_writer(&self) -> Option<&SpendWriter> {
        self.inner.spend_writer.as_ref()
    }

    /// The current routing table (a cheap reference-count increment).
    pub fn router(&self) -> Arc<Router> {
        self.inner.router.load_full()
    }

    /// How to rebuild the routing table on reload (SIGHUP, the admin API).
    pub fn with_reloader(mut self, reloader: Reloader) -> Self {
        match Arc::get_mut(&mut self.inner) {
            Some(inner) => inner.reloader = Some(reloader),
            None => tracing::error!("reloader attached after the state was shared; ignored"),
        }
        self
    }

    /// Re-reads and validates the config and swaps in its models and routing, guardrails and
    /// budget settings; a bad config never replaces a good one. In-flight requests finish on the
    /// routing table and guardrails they started with.
    pub fn reload(&self) -> Result<(), String> {
        let Some(reloader) = &self.inner.reloader else {
            return Err("this gateway runs without a config file; nothing to reload".to_string());
        };
        let reloaded = reloader()?;
        // Everything that can be refused is built before anything is swapped: a reload applies
        // whole or not at all.
        let guardrails = Guardrails::new(reloaded.guardrails, Some(self.inner.store.clone()))
            .map_err(|error| format!("invalid guardrails: {error}"))?;
        self.inner.router.store(Arc::new(reloaded.router));
        self.inner.guardrails.store(Some(Arc::new(guardrails)));
        self.inner.limiter.reconfigure(reloaded.limits);
        tracing::info!("configuration reloaded");
        Ok(())
    }

    pub fn auth(&self) -> &Auth {
        &self.inner.auth
    }

    pub fn store(&self) -> &DynStore {
        &self.inner.store
    }

    pub fn limits(&self) -> ServerLimits {
        self.inner.limits
    }
}
