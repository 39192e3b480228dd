//! Steps 5 and 6 of the request path (design.md §1) and their end in step 10: before a call,
//! take a parallel slot, the rate limits' share and a reservation of the call's worst-case cost
//! against every budget in the key's chain and its organization's credits, all or none; after
//! it, settle the actual cost, release the rest and refund unused tokens.
//!
//! The counting itself is `tollgate-limits`' (exact, atomic, leased); this module decides which
//! limits apply to a call and turns refusals into the caller's 429.

mod alerts;
mod policy;
pub mod refusal;
mod settings;
mod worst_case;

use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;

use tokio_util::task::TaskTracker;
use tollgate_limits::{
    BudgetSpec, Clock, Counters, InProcessCounters, InProcessRateLimiter, InProcessSlots,
    ParallelError, ParallelLimit, ParallelLimiter, ParallelPermit, ParallelSlots, RateCheck,
    RateError, RateGrant, RateLimiter, ReservationGuard, ReserveError, ReserveRequest, Scope,
    ScopeReport, SettleOutcome, SystemClock,
};
use tollgate_pricing::ModelPrice;
use tollgate_store::{ApiKey, DynStore, SpendScope, Timestamp};
use tollgate_types::{GatewayError, NanoUsd};

pub use alerts::AlertSink;
pub use policy::{BudgetLimit, CreditLine, PolicyCache, RateLimits, TenantPolicy};
pub use settings::LimitSettings;
pub use worst_case::{CallSize, candidate_prices, worst_case};

use crate::auth::Principal;

/// How long a settled or released reservation is remembered (so a repeated settle answers
/// "already settled"). Reservation ids are request ids, settled once by the call that made them;
/// the only repeat is a guard's drop racing its own explicit settle, which in-process is a matter
/// of microseconds. Every closed reservation is kept this long, so at 20k budgeted calls a
/// second 2 s held 40k entries and ~13 MiB more resident memory (peak 52 MiB under the budget
/// load, 39 MiB at 250 ms) for no behaviour anyone could observe.
const CLOSED_RESERVATION_RETENTION: Duration = Duration::from_millis(250);

/// Rate-limit headers to add to the answer (`x-ratelimit-*`, `retry-after`).
pub type LimitHeaders = Vec<(&'static str, String)>;

#[derive(Clone)]
pub struct Limiter {
    inner: Arc<Inner>,
}

struct Inner {
    counters: Arc<dyn Counters>,
    rates: Arc<dyn RateLimiter>,
    parallel: ParallelLimiter,
    clock: Arc<dyn Clock>,
    /// Settles and releases that outlive their request (streams, drops); shutdown waits for it.
    tracker: TaskTracker,
    /// Swapped whole on reload ([`Limiter::reconfigure`]).
    settings: ArcSwap<LimitSettings>,
    alerts: ArcSwap<AlertSink>,
    policies: PolicyCache,
    store: Option<DynStore>,
    /// Budgets whose spend so far was loaded from the store into the counters.
    seeded: SeededScopes,
}

/// One call as the limits see it.
pub struct CallContext<'a> {
    pub request_id: &'a str,
    pub principal: &'a Principal,
    pub end_user: Option<&'a str>,
    /// Every deployment the call could reach (`None`: unpriced); asked only when a limit
    /// applies, so calls without limits never build the list.
    pub prices: &'a (dyn Fn() -> Vec<Option<Arc<ModelPrice>>> + Sync),
    pub size: CallSize,
}

impl Limiter {
    /// In-process counters on the wall clock (one instance; embedded mode).
    pub fn in_process(settings: LimitSettings, store: Option<DynStore>) -> Self {
        Limiter::with_clock(settings, store, Arc::new(SystemClock))
    }

    /// In-process counters on `clock` (tests move it across period boundaries).
    pub fn with_clock(
        settings: LimitSettings,
        store: Option<DynStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Limiter::with_backends(
            settings,
            store,
            Arc::new(InProcessCounters::with_retention(
                Arc::clone(&clock),
                CLOSED_RESERVATION_RETENTION,
            )),
            Arc::new(InProcessRateLimiter::new(Arc::clone(&clock))),
            Arc::new(InProcessSlots::new()),
            clock,
        )
    }

    pub fn with_backends(
        settings: LimitSettings,
        store: Option<DynStore>,
        counters: Arc<dyn Counters>,
        rates: Arc<dyn RateLimiter>,
        slots: Arc<dyn ParallelSlots>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let tracker = TaskTracker::new();
        Limiter {
            inner: Arc::new(Inner {
                counters,
                rates,
                parallel: ParallelLimiter::new(slots, tracker.clone()),
                clock,
                tracker,
                alerts: ArcSwap::from_pointee(AlertSink::new(settings.alert_webhook.clone())),
                policies: PolicyCache::new(store.clone()),
                settings: ArcSwap::from_pointee(settings),
                store,
                seeded: SeededScopes::default(),
            }),
        }
    }

    pub fn settings(&self) -> Arc<LimitSettings> {
        self.inner.settings.load_full()
    }

    /// Applies a reloaded config's settings from the next call on. Budgets the counters already
    /// know take a changed mode, zone or alert threshold with their next reservation; spend and
    /// holds are kept.
    pub fn reconfigure(&self, settings: LimitSettings) {
        if settings.alert_webhook != self.inner.settings.load().alert_webhook {
            self.inner
                .alerts
                .store(Arc::new(AlertSink::new(settings.alert_webhook.clone())));
        }
        self.inner.settings.store(Arc::new(settings));
    }

    /// Settles still running in the background; graceful shutdown closes and waits on it.
    pub fn tracker(&self) -> &TaskTracker {
        &self.inner.tracker
    }

    pub fn parallel(&self) -> &ParallelLimiter {
        &self.inner.parallel
    }

    /// Frees expired holds and forgets idle state every `every`, until the runtime stops.
    pub fn spawn_reaper(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let inner = Arc::clone(&self.inner);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(error) = inner.counters.reap().await {
                    tracing::warn!(%error, "reaping budget counters failed");
                }
                if let Err(error) = inner.rates.reap().await {
                    tracing::warn!(%error, "reaping rate limiters failed");
                }
            }
        })
    }

    /// Admits the call or refuses it before any provider is called. `headers` receives the
    /// rate-limit headers, for the answer or the refusal.
    pub async fn admit(
        &self,
        call: CallContext<'_>,
        generation: u64,
        headers: &mut LimitHeaders,
    ) -> Result<Admission, GatewayError> {
        let settings = self.inner.settings.load_full();
        let chain = self
            .chain(&settings, call.principal, call.end_user, generation)
            .await?;
        if chain.is_empty() {
            return Ok(Admission::unlimited());
        }
        let mut admission = Admission {
            limiter: Some(self.clone()),
            permit: None,
            rate: None,
            reservation: None,
            charges_credits: false,
            last_renewal: Instant::now(),
        };

        // Parallel slots first: they cost nothing to give back.
        if !chain.parallel.is_empty() {
            let acquired = self
                .inner
                .parallel
                .acquire(call.request_id, &chain.parallel, settings.lease)
                .await;
            admission.permit = Some(acquired.map_err(|error| match error {
                ParallelError::Refused(refused) => refusal::parallel(&refused),
                ParallelError::Failed(error) => refusal::backend(&error),
            })?);
        }

        let default_output = settings.default_max_output_tokens;
        let (worst_cost, worst_tokens) = worst_case(&(call.prices)(), call.size, default_output);

        if !chain.rates.is_empty() {
            let checks = chain.rate_checks(worst_tokens);
            match self.inner.rates.acquire(checks).await {
                Ok(grant) => {
                    headers.extend(grant.headers());
                    admission.rate = Some(grant);
                }
                Err(RateError::Limited(limited)) => {
                    headers.extend(limited.headers());
                    return Err(refusal::rate(&limited));
                }
                Err(RateError::Failed(error)) => return Err(refusal::backend(&error)),
            }
        }

        if !chain.budgets.is_empty() {
            let Some(amount) = worst_cost else {
                // Fail closed: an unpriced call could overrun any budget by any amount.
                admission.finish(None, 0).await;
                return Err(GatewayError::permission_denied(
                    "This model has no known price, and a budget applies to this call: configure \
                     a price for it (models[].deployments[].price) to use it under a budget.",
                )
                .with_code("model_unpriced"));
            };
            if let Err(error) = self.seed(&chain.budgets, &chain).await {
                admission.finish(None, 0).await;
                return Err(error);
            }
            admission.charges_credits = chain
                .budgets
                .iter()
                .any(|spec| matches!(spec.scope, Scope::Credits(_)));
            let request = ReserveRequest {
                id: call.request_id.into(),
                budgets: chain.budgets,
                amount,
                lease: settings.lease,
            };
            match self.inner.counters.reserve(request).await {
                Ok(reservation) => {
                    admission.reservation = Some(ReservationGuard::new(
                        Arc::clone(&self.inner.counters),
                        self.inner.tracker.clone(),
                        reservation,
                    ));
                }
                Err(ReserveError::Refused(refused)) => {
                    admission.finish(None, 0).await;
                    return Err(refusal::budget(&refused));
                }
                Err(ReserveError::Failed(error)) => {
                    admission.finish(None, 0).await;
                    return Err(refusal::backend(&error));
                }
            }
        }
        Ok(admission)
    }

    /// The budgets, rate limits and parallel limits that apply to a call of `principal`.
    async fn chain(
        &self,
        settings: &LimitSettings,
        principal: &Principal,
        end_user: Option<&str>,
        generation: u64,
    ) -> Result<Chain, GatewayError> {
        let mut chain = Chain::default();
        let key = principal.key();
        if let Some(key) = key {
            let policy = self
                .inner
                .policies
                .get(key, generation)
                .await
                .map_err(|error| refusal::backend(&error))?;
            chain.add_key(key, &policy, |scope, limit| spec(settings, scope, limit));
        }
        if let Some(end_user) = end_user {
            let org = key.and_then(|k| k.org_id.as_deref());
            let own = self
                .inner
                .policies
                .end_user_budget(org, end_user, generation)
                .await
                .map_err(|error| refusal::backend(&error))?;
            let limit = own.or_else(|| {
                settings
                    .end_user_budget
                    .map(|(amount, period)| BudgetLimit {
                        amount,
                        period,
                        mode: None,
                        alert_at_percent: None,
                    })
            });
            if let Some(limit) = limit {
                let scope = Scope::EndUser {
                    org: org.map(str::to_string),
                    id: end_user.to_string(),
                };
                chain.budgets.push(spec(settings, scope, limit));
            }
        }
        // Credits come last: a refusal names a budget before the balance when both ran out.
        if let Some(credits) = chain.credits.take() {
            chain.budgets.push(credits);
        }
        Ok(chain)
    }

    /// Loads each budget's spend in its current window from the spend log, the first time this
    /// process sees the budget, so a restart does not hand out a fresh budget.
    async fn seed(&self, budgets: &[BudgetSpec], chain: &Chain) -> Result<(), GatewayError> {
        for spec in budgets {
            if self.inner.seeded.contains(&spec.scope) {
                continue;
            }
            let spent = match &spec.scope {
                Scope::Credits(_) => chain.credits_spent,
                scope => match (&self.inner.store, spend_scope(scope)) {
                    (Some(store), Some(spend_scope)) => {
                        let now = self.inner.clock.now_millis();
                        let since = spec.period.window_start(now, spec.offset).max(0);
                        store
                            .spent_since(spend_scope, Timestamp(since))
                            .await
                            .map_err(|error| refusal::backend(&error))?
                    }
                    _ => NanoUsd::ZERO,
                },
            };
            self.inner
                .counters
                .seed_spent(spec, spent)
                .await
                .map_err(|error| refusal::backend(&error))?;
            // Marked only once applied: a call that finds the mark reserves against seeded
            // numbers, never against a fresh zero.
            self.inner.seeded.insert(&spec.scope);
        }
        Ok(())
    }

    /// Every budget on `key`'s chain with its numbers now, and its parallel limits (key, team)
    /// with the calls in flight, for `GET /admin/v1/budgets/explain`.
    pub async fn explain(
        &self,
        key: &ApiKey,
        generation: u64,
    ) -> Result<Explanation, GatewayError> {
        let principal = Principal::Key(Arc::new(key.clone()));
        let settings = self.inner.settings.load_full();
        let chain = self.chain(&settings, &principal, None, generation).await?;
        self.seed(&chain.budgets, &chain).await?;
        let mut explanation = Explanation::default();
        for spec in chain.budgets {
            let report = self
                .inner
                .counters
                .explain(&spec.scope)
                .await
                .map_err(|error| refusal::backend(&error))?;
            explanation.budgets.push((spec, report));
        }
        for limit in chain.parallel {
            let in_flight = self
                .inner
                .parallel
                .in_flight(&limit.scope)
                .await
                .map_err(|error| refusal::backend(&error))?;
            explanation.parallel.push((limit, in_flight));
        }
        Ok(explanation)
    }

    fn raise_alerts(&self, outcome: &SettleOutcome) {
        let settlement = match outcome {
            SettleOutcome::Settled(settlement) | SettleOutcome::SettledAfterExpiry(settlement) => {
                settlement
            }
            _ => return,
        };
        if settlement.overrun > NanoUsd::ZERO {
            tracing::warn!(
                overrun_usd = %settlement.overrun,
                "a call cost more than its worst-case reservation"
            );
        }
        let alerts = self.inner.alerts.load();
        for alert in &settlement.alerts {
            alerts.raise(alert, &self.inner.tracker);
        }
    }
}

/// The counters' spec of a budget: its own mode and alert threshold where it has them, the
/// gateway's defaults otherwise.
fn spec(settings: &LimitSettings, scope: Scope, limit: BudgetLimit) -> BudgetSpec {
    let (amount, period) = (limit.amount, limit.period);
    let mut spec = match limit.mode.unwrap_or(settings.mode) {
        tollgate_limits::BudgetMode::Hard => BudgetSpec::hard(scope, amount, period),
        tollgate_limits::BudgetMode::Soft => BudgetSpec::soft(scope, amount, period),
    }
    .with_offset(settings.offset);
    if let Some(percent) = limit.alert_at_percent.or(settings.alert_at_percent) {
        spec = spec.with_alert_at_percent(percent);
    }
    spec
}

/// A key's chain as `explain` reports it.
#[derive(Debug, Default)]
pub struct Explanation {
    pub budgets: Vec<(BudgetSpec, Option<ScopeReport>)>,
    /// Each parallel limit with the calls in flight on its scope now.
    pub parallel: Vec<(ParallelLimit, u32)>,
}

/// Budgets whose spend was loaded into the counters, checked on every budgeted call: a read lock
/// and a hash lookup (a cache with eviction bookkeeping cost more than the rest of the limits
/// step). Bounded by forgetting everything at a size limit, which is safe: the counters refuse a
/// second seed of a scope they already know.
#[derive(Default)]
struct SeededScopes {
    scopes: std::sync::RwLock<std::collections::HashSet<Scope>>,
}

impl SeededScopes {
    const MAX: usize = 1_000_000;

    fn contains(&self, scope: &Scope) -> bool {
        self.scopes
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(scope)
    }

    fn insert(&self, scope: &Scope) {
        let mut scopes = self
            .scopes
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if scopes.len() >= Self::MAX {
            scopes.clear();
        }
        scopes.insert(scope.clone());
    }
}

fn spend_scope(scope: &Scope) -> Option<SpendScope> {
    Some(match scope {
        Scope::Key(id) => SpendScope::Key(id.clone()),
        Scope::User(id) => SpendScope::User(id.clone()),
        Scope::Team(id) => SpendScope::Team(id.clone()),
        Scope::Org(id) => SpendScope::Org(id.clone()),
        Scope::EndUser { org, id } => SpendScope::EndUser {
            org_id: org.clone(),
            end_user: id.clone(),
        },
        Scope::Deployment(_) | Scope::Credits(_) => return None,
    })
}

/// What applies to one call.
#[derive(Default)]
struct Chain {
    budgets: Vec<BudgetSpec>,
    rates: Vec<(Scope, RateLimits)>,
    parallel: Vec<ParallelLimit>,
    credits: Option<BudgetSpec>,
    credits_spent: NanoUsd,
}

impl Chain {
    fn is_empty(&self) -> bool {
        self.budgets.is_empty()
            && self.rates.is_empty()
            && self.parallel.is_empty()
            && self.credits.is_none()
    }

    fn add_key(
        &mut self,
        key: &ApiKey,
        policy: &TenantPolicy,
        spec: impl Fn(Scope, BudgetLimit) -> BudgetSpec,
    ) {
        // Scopes are built only for limits that exist: most keys have none, and each scope is
        // an id copied onto the heap.
        let key_limits = RateLimits {
            rpm: key.rpm_limit,
            tpm: key.tpm_limit,
            max_parallel: key.max_parallel,
        };
        if !key_limits.is_empty() {
            self.add_limits(Scope::Key(key.id.clone()), key_limits);
        }
        if let Some(team_id) = &key.team_id
            && !policy.team_limits.is_empty()
        {
            self.add_limits(Scope::Team(team_id.clone()), policy.team_limits);
        }
        if let Some(budget) = key.budget {
            self.budgets
                .push(spec(Scope::Key(key.id.clone()), BudgetLimit::from(budget)));
        }
        let tenants = [
            (
                &key.user_id,
                policy.user_budget,
                Scope::User as fn(String) -> Scope,
            ),
            (&key.team_id, policy.team_budget, Scope::Team),
            (&key.org_id, policy.org_budget, Scope::Org),
        ];
        for (id, limit, scope) in tenants {
            if let (Some(id), Some(limit)) = (id, limit) {
                self.budgets.push(spec(scope(id.clone()), limit));
            }
        }
        if let (Some(org_id), Some(credits)) = (&key.org_id, policy.credits) {
            self.credits = Some(BudgetSpec::credits(org_id.clone(), credits.credited));
            self.credits_spent = credits.spent;
        }
    }

    fn add_limits(&mut self, scope: Scope, limits: RateLimits) {
        if let Some(max) = limits.max_parallel {
            self.parallel.push(ParallelLimit {
                scope: scope.clone(),
                max,
            });
        }
        if limits.rpm.is_some() || limits.tpm.is_some() {
            self.rates.push((scope, limits));
        }
    }

    fn rate_checks(&self, worst_tokens: u64) -> Vec<RateCheck> {
        let mut checks = Vec::with_capacity(self.rates.len() * 2);
        for (scope, limits) in &self.rates {
            if let Some(rpm) = limits.rpm {
                checks.push(RateCheck::requests(scope.clone(), u64::from(rpm)));
            }
            if let Some(tpm) = limits.tpm {
                checks.push(RateCheck::tokens(scope.clone(), tpm, worst_tokens));
            }
        }
        checks
    }
}

/// What an admitted call holds until it ends: a parallel slot, the rate limits' tokens, the
/// budget reservation. Dropped without [`Admission::finish`], the slot frees and the
/// reservation releases itself (or settles what it was told to charge).
pub struct Admission {
    limiter: Option<Limiter>,
    permit: Option<ParallelPermit>,
    rate: Option<RateGrant>,
    reservation: Option<ReservationGuard>,
    charges_credits: bool,
    last_renewal: Instant,
}

impl Admission {
    /// No limit applies (the master key, a key with no limits and no budgets).
    pub fn unlimited() -> Self {
        Admission {
            limiter: None,
            permit: None,
            rate: None,
            reservation: None,
            charges_credits: false,
            last_renewal: Instant::now(),
        }
    }

    pub fn is_reserved(&self) -> bool {
        self.reservation.is_some()
    }

    /// The call draws on its organization's prepaid credits.
    pub fn charges_credits(&self) -> bool {
        self.reservation.is_some() && self.charges_credits
    }

    /// From now on a drop settles `cost` instead of releasing: a stream's provider bills the
    /// tokens it produced even if the caller leaves. Renews the lease of a long stream.
    pub fn charge_on_drop(&mut self, cost: NanoUsd) {
        if let Some(reservation) = self.reservation.as_mut() {
            reservation.charge_on_drop(cost);
        }
        self.renew_if_due();
    }

    fn renew_if_due(&mut self) {
        let Some(limiter) = &self.limiter else {
            return;
        };
        let lease = limiter.inner.settings.load().lease;
        if self.last_renewal.elapsed() < lease / 2 {
            return;
        }
        self.last_renewal = Instant::now();
        if let Some(reservation) = &self.reservation {
            let counters = Arc::clone(&limiter.inner.counters);
            let id = reservation.reservation().id.clone();
            limiter.inner.tracker.spawn(async move {
                if let Err(error) = counters.renew(&id, lease).await {
                    tracing::warn!(%error, "renewing a stream's reservation failed");
                }
            });
        }
        if let Some(permit) = &self.permit {
            let renewal = permit.renewal();
            limiter.inner.tracker.spawn(async move {
                if let Err(error) = renewal.renew(lease).await {
                    tracing::warn!(%error, "renewing a stream's parallel slots failed");
                }
            });
        }
    }

    /// Settles `cost` (or releases the hold when nothing was billed) and gives back the tokens
    /// the worst case did not use. Idempotent by construction: it consumes the admission.
    pub async fn finish(mut self, cost: Option<NanoUsd>, used_tokens: u64) {
        let Some(limiter) = self.limiter.take() else {
            return;
        };
        if let Some(reservation) = self.reservation.take() {
            // On failure the guard's drop tries again, and the lease frees the hold if that
            // fails too.
            match cost {
                Some(cost) => match reservation.settle(cost).await {
                    Ok(outcome) => limiter.raise_alerts(&outcome),
                    Err(error) => tracing::error!(%error, "settling a reservation failed"),
                },
                None => {
                    if let Err(error) = reservation.release().await {
                        tracing::error!(%error, "releasing a reservation failed");
                    }
                }
            }
        }
        if let Some(refund) = self.rate.take().and_then(|g| g.into_refund(used_tokens))
            && let Err(error) = limiter.inner.rates.refund(refund).await
        {
            tracing::warn!(%error, "refunding unused tokens failed");
        }
        if let Some(permit) = self.permit.take() {
            permit.release().await;
        }
    }

    /// [`Admission::finish`] on the background tracker, for code that cannot await (a stream
    /// ending inside its body). The parallel slot frees at once (in Redis: starts freeing).
    pub fn finish_in_background(mut self, cost: Option<NanoUsd>, used_tokens: u64) {
        drop(self.permit.take());
        let Some(limiter) = self.limiter.clone() else {
            return;
        };
        limiter.inner.tracker.spawn(self.finish(cost, used_tokens));
    }
}
