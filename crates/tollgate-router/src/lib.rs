//! Model routing: which deployment serves a public model name, and what to do when it fails.
//!
//! A public model has one or more deployments (a provider + the upstream's model name + limits) and
//! an ordered list of fallback models. One call walks a plan of attempts: up to `1 + retries`
//! attempts on the model's own deployments (each retry prefers a deployment not yet tried), then
//! the same for each fallback model in order. Only retryable failures (connect errors, timeouts,
//! 429, 5xx, overloaded) move on; anything else is returned at once.
//!
//! Two bounds keep a call honest: a deployment over its provider quota (`rpm_limit`,
//! `tpm_limit`) is skipped without being called, and the call's total deadline stops the whole
//! plan (attempts, backoff waits, fallbacks) with a 504.

mod attempt;
mod backoff;
mod deadline;
mod health;
mod quota;
mod route;
mod select;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tollgate_limits::{InProcessRateLimiter, RateLimited, RateLimiter, SystemClock};
use tollgate_pricing::{ModelPrice, PriceResolver, host_hint_for_base_url};
use tollgate_providers::{ChatReply, ChatStream, Provider, Target};
use tollgate_types::{
    ChatRequest, EmbeddingRequest, EmbeddingResponse, ErrorKind, ErrorSource, GatewayError,
    StreamEvent,
};

pub use attempt::{Attempt, RouteFailure};
pub use backoff::Backoff;
pub use health::{CooldownPolicy, DeploymentHealth};
pub use quota::{DEFAULT_MAX_OUTPUT_TOKENS, DeploymentLimits};
pub use route::{Deployment, ModelKind, ModelRoute};
pub use select::Strategy;

use deadline::Deadline;
use quota::{QuotaHold, TokenEstimate};

/// Which provider and deployment served a call, and every attempt it took.
#[derive(Debug)]
pub struct Routed<T> {
    pub value: T,
    pub provider: String,
    pub deployment: String,
    /// The price of the deployment that answered; `None` = unpriced.
    pub price: Option<Arc<ModelPrice>>,
    pub attempts: Vec<Attempt>,
}

/// The routing table. Immutable once built; a config reload builds a new one.
pub struct Router {
    models: HashMap<String, Arc<ModelRoute>>,
    /// Configured order, for `/v1/models`.
    model_order: Vec<String>,
    providers: HashMap<String, Arc<dyn Provider>>,
    /// Lets callers address `<provider>/<upstream-model>` without a configured model entry.
    allow_provider_prefix: bool,
    /// Timeout for deployments created from the provider prefix.
    default_timeout: Duration,
    cooldown: CooldownPolicy,
    backoff: Backoff,
    /// Prices `<provider>/<model>` routes, which have no configured deployment.
    pricer: Option<Arc<PriceResolver>>,
    /// Counts deployments' provider quotas.
    limiter: Arc<dyn RateLimiter>,
    /// Total deadline of a call to a model without its own.
    default_deadline: Option<Duration>,
    /// Per public model name (kept here rather than in the route, so routes stay plain data).
    deadlines: HashMap<String, Duration>,
}

impl Router {
    pub fn new(
        providers: HashMap<String, Arc<dyn Provider>>,
        routes: Vec<ModelRoute>,
        allow_provider_prefix: bool,
        default_timeout: Duration,
    ) -> Self {
        let model_order = routes.iter().map(|r| r.name.clone()).collect();
        let models = routes
            .into_iter()
            .map(|r| (r.name.clone(), Arc::new(r)))
            .collect();
        Router {
            models,
            model_order,
            providers,
            allow_provider_prefix,
            default_timeout,
            cooldown: CooldownPolicy::default(),
            backoff: Backoff::default(),
            pricer: None,
            limiter: Arc::new(InProcessRateLimiter::new(Arc::new(SystemClock))),
            default_deadline: None,
            deadlines: HashMap::new(),
        }
    }

    /// Counts deployment quotas in `limiter` (a shared Redis one in scale-out mode, or one kept
    /// across config reloads) instead of this router's own in-process counters.
    pub fn with_rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.limiter = limiter;
        self
    }

    /// The total deadline of a call to any model without its own (`routing.deadline_ms`).
    pub fn with_default_deadline(mut self, deadline: Option<Duration>) -> Self {
        self.default_deadline = deadline;
        self
    }

    /// The total deadline of a call to `model` (`models[].deadline_ms`), fallbacks included.
    pub fn with_model_deadline(mut self, model: &str, deadline: Duration) -> Self {
        self.deadlines.insert(model.to_string(), deadline);
        self
    }

    /// How long a call to this route may take in all, if bounded.
    pub fn deadline_for(&self, route: &ModelRoute) -> Option<Duration> {
        self.deadlines
            .get(&route.name)
            .copied()
            .or(self.default_deadline)
    }

    /// Prices calls addressed as `<provider>/<model>` from the catalog.
    pub fn with_pricer(mut self, pricer: Arc<PriceResolver>) -> Self {
        self.pricer = Some(pricer);
        self
    }

    /// Replaces the cooldown policy (tests use short windows).
    pub fn with_cooldown(mut self, cooldown: CooldownPolicy) -> Self {
        self.cooldown = cooldown;
        self
    }

    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// The deployment the route's strategy would pick for a first attempt now (the routing
    /// decision alone, for benchmarks and diagnostics).
    pub fn choose<'a>(&self, route: &'a ModelRoute) -> Option<&'a Deployment> {
        select::pick(&route.deployments, &[], route.strategy, false)
            .or_else(|| select::pick(&route.deployments, &[], route.strategy, true))
            .map(|index| &route.deployments[index])
    }

    /// The first step of a real call: the deployment the strategy picks, skipping those over
    /// their provider quota, with one request and `tokens` taken from its quota (for benchmarks
    /// and diagnostics; the quota taken is not given back).
    pub async fn choose_within_quota<'a>(
        &self,
        route: &'a ModelRoute,
        tokens: u64,
    ) -> Option<&'a Deployment> {
        let compute = move || tokens;
        let mut estimate = TokenEstimate::new(&compute);
        let mut skipped = Vec::new();
        for allow_cooling in [false, true] {
            while let Some(index) =
                select::pick(&route.deployments, &skipped, route.strategy, allow_cooling)
            {
                let deployment = &route.deployments[index];
                match quota::take(self.limiter.as_ref(), deployment, &mut estimate).await {
                    Ok(_) => return Some(deployment),
                    Err(_) => skipped.push(index),
                }
            }
        }
        None
    }

    /// The configured models named in `names` that can serve `wanted`, in order.
    fn fallback_models<'a>(
        &'a self,
        names: &'a [String],
        wanted: ModelKind,
    ) -> impl Iterator<Item = &'a ModelRoute> + 'a {
        names
            .iter()
            .filter_map(|name| self.models.get(name).map(Arc::as_ref))
            .filter(move |model| model.kind.serves(wanted))
    }

    /// Whether any deployment this route could use (its own or its fallbacks') has no price.
    pub fn has_unpriced_deployment(&self, route: &ModelRoute) -> bool {
        std::iter::once(route)
            .chain(
                route
                    .fallbacks
                    .iter()
                    .filter_map(|name| self.models.get(name).map(Arc::as_ref)),
            )
            .flat_map(|model| model.deployments.iter())
            .any(|deployment| deployment.price.is_none())
    }

    /// A configured model's route, for inspection (health, cooldowns).
    pub fn model(&self, name: &str) -> Option<&Arc<ModelRoute>> {
        self.models.get(name)
    }

    /// The configured public models, in config order.
    pub fn models(&self) -> impl Iterator<Item = &Arc<ModelRoute>> {
        self.model_order
            .iter()
            .filter_map(|name| self.models.get(name))
    }

    pub fn provider_names(&self) -> impl Iterator<Item = &str> {
        self.providers.keys().map(String::as_str)
    }

    /// Finds the route for a public model name: a configured model, else (when allowed)
    /// `<provider>/<upstream-model>` for a configured provider.
    pub fn resolve(&self, model: &str) -> Option<Arc<ModelRoute>> {
        if let Some(route) = self.models.get(model) {
            return Some(route.clone());
        }
        if !self.allow_provider_prefix {
            return None;
        }
        let (provider_name, upstream_model) = model.split_once('/')?;
        if upstream_model.is_empty() {
            return None;
        }
        let provider = self.providers.get(provider_name)?;
        let price = self.pricer.as_ref().and_then(|pricer| {
            pricer.resolve(
                provider.kind().as_str(),
                host_hint_for_base_url(provider.base_url()),
                upstream_model,
                None,
            )
        });
        Some(Arc::new(ModelRoute::single(
            model,
            ModelKind::Any,
            Deployment::new(
                provider.clone(),
                Target::new(upstream_model, self.default_timeout),
            )
            .with_price(price),
        )))
    }

    pub async fn chat(
        &self,
        route: &ModelRoute,
        request: &ChatRequest,
    ) -> Result<Routed<ChatReply>, RouteFailure> {
        let tokens = || quota::chat_tokens(request);
        let (routed, hold) = self
            .run(route, ModelKind::Chat, &tokens, |deployment| {
                let provider = deployment.provider.clone();
                let target = deployment.target.clone();
                async move { provider.chat(request, &target).await }
            })
            .await?;
        if let Some(hold) = hold {
            let used = match &routed.value {
                ChatReply::Canonical(response) => response.usage.total_tokens(),
                ChatReply::Native(native) => native.usage.total_tokens(),
            };
            quota::settle(self.limiter.as_ref(), hold, used).await;
        }
        Ok(routed)
    }

    /// Starts a stream; fails over only while nothing has been sent to the caller (i.e. until the
    /// upstream accepted the call).
    pub async fn chat_stream(
        &self,
        route: &ModelRoute,
        request: &ChatRequest,
    ) -> Result<Routed<ChatStream>, RouteFailure> {
        let tokens = || quota::chat_tokens(request);
        let (routed, hold) = self
            .run(route, ModelKind::Chat, &tokens, |deployment| {
                let provider = deployment.provider.clone();
                let target = deployment.target.clone();
                async move {
                    let stream = provider.chat_stream(request, &target).await?;
                    first_event_or_failure(stream).await
                }
            })
            .await?;
        Ok(match hold {
            Some(hold) => Routed {
                value: quota::refund_after_stream(routed.value, hold, self.limiter.clone()),
                ..routed
            },
            None => routed,
        })
    }

    pub async fn embed(
        &self,
        route: &ModelRoute,
        request: &EmbeddingRequest,
    ) -> Result<Routed<EmbeddingResponse>, RouteFailure> {
        let tokens = || quota::embedding_tokens(request);
        let (routed, hold) = self
            .run(route, ModelKind::Embedding, &tokens, |deployment| {
                let provider = deployment.provider.clone();
                let target = deployment.target.clone();
                async move { provider.embed(request, &target).await }
            })
            .await?;
        if let Some(hold) = hold {
            let used = routed.value.usage.total_tokens();
            quota::settle(self.limiter.as_ref(), hold, used).await;
        }
        Ok(routed)
    }

    /// Walks the attempt plan: the model's own deployments, then each fallback model. Deployments
    /// cooling down are skipped; only if every deployment of every model in the plan is cooling
    /// is the plan walked again with them allowed (serving late beats not serving). Deployments
    /// over their provider quota are skipped on both walks (the provider would refuse them), and
    /// the call's deadline ends the walk wherever it is. Returns what the answering attempt took
    /// from its deployment's quota, for the caller to settle once the usage is known.
    async fn run<T, F, Fut>(
        &self,
        route: &ModelRoute,
        wanted: ModelKind,
        tokens: &(dyn Fn() -> u64 + Sync),
        mut attempt: F,
    ) -> Result<(Routed<T>, Option<QuotaHold>), RouteFailure>
    where
        F: FnMut(&Deployment) -> Fut,
        Fut: std::future::Future<Output = Result<T, GatewayError>>,
    {
        if !route.kind.serves(wanted) {
            return Err(RouteFailure {
                error: wrong_kind(&route.name, wanted),
                attempts: Vec::new(),
            });
        }
        let deadline = self.deadline_for(route).map(Deadline::starting_now);
        let mut tokens = TokenEstimate::new(tokens);
        let mut chain: Vec<&ModelRoute> = std::iter::once(route)
            .chain(self.fallback_models(&route.fallbacks, wanted))
            .collect();
        let mut attempts = Vec::new();
        let mut last_error = None;
        let mut refusals: Vec<Box<RateLimited>> = Vec::new();
        // A request too long for a model's context window goes, once, to its configured
        // larger-context models instead of the rest of the plan.
        let mut switched_for_context = false;
        'plan: loop {
            for allow_cooling in [false, true] {
                for model in &chain {
                    // Deployments attempted or refused by their quota in this call.
                    let mut tried: Vec<usize> = Vec::with_capacity(model.deployments.len());
                    let mut over_quota: Vec<usize> = Vec::new();
                    let mut attempted = false;
                    let mut round = 0;
                    while round <= model.retries {
                        let fresh =
                            select::pick(&model.deployments, &tried, model.strategy, allow_cooling);
                        let index = match fresh {
                            Some(index) => index,
                            // Every deployment was tried once: retry one after a backoff,
                            // honouring what the upstream asked for.
                            None if attempted => {
                                let Some(index) = select::pick(
                                    &model.deployments,
                                    &over_quota,
                                    model.strategy,
                                    true,
                                ) else {
                                    break;
                                };
                                let wait = self.backoff.delay(round, last_error.as_ref());
                                if let Some(deadline) = &deadline
                                    && deadline.would_pass(wait)
                                {
                                    return Err(RouteFailure {
                                        error: deadline.error(),
                                        attempts,
                                    });
                                }
                                tokio::time::sleep(wait).await;
                                index
                            }
                            None => break,
                        };
                        if let Some(deadline) = &deadline
                            && deadline.passed()
                        {
                            return Err(RouteFailure {
                                error: deadline.error(),
                                attempts,
                            });
                        }
                        tried.push(index);
                        let deployment = &model.deployments[index];
                        let hold = match quota::take(self.limiter.as_ref(), deployment, &mut tokens)
                            .await
                        {
                            Ok(hold) => hold,
                            Err(refused) => {
                                tracing::debug!(
                                    model = %model.name,
                                    deployment = %deployment.id,
                                    refused = %refused,
                                    "deployment over its provider quota; skipped"
                                );
                                over_quota.push(index);
                                refusals.push(refused);
                                continue;
                            }
                        };
                        round += 1;
                        attempted = true;
                        let first_of_call = attempts.is_empty();
                        let started = Instant::now();
                        let outcome = {
                            let _in_flight = deployment.health.begin();
                            match deadline {
                                Some(deadline) => {
                                    tokio::time::timeout_at(deadline.at, attempt(deployment))
                                        .await
                                        .map_err(|_| deadline)
                                }
                                None => Ok(attempt(deployment).await),
                            }
                        };
                        let elapsed = started.elapsed();
                        let outcome = match outcome {
                            Ok(outcome) => outcome,
                            Err(deadline) => {
                                // Cut by the deadline. Held against the deployment only if it
                                // had the whole deadline to answer in.
                                let error = deadline.error();
                                attempts.push(Attempt::failure(deployment, &error, elapsed));
                                if first_of_call {
                                    deployment.health.record_failure(&self.cooldown, None);
                                }
                                if let Some(hold) = hold {
                                    quota::settle(self.limiter.as_ref(), hold, 0).await;
                                }
                                return Err(RouteFailure { error, attempts });
                            }
                        };
                        match outcome {
                            Ok(value) => {
                                deployment.health.record_success(elapsed);
                                attempts.push(Attempt::success(deployment, elapsed));
                                let routed = Routed {
                                    value,
                                    provider: deployment.provider.name().to_string(),
                                    deployment: deployment.id.clone(),
                                    price: deployment.price.clone(),
                                    attempts,
                                };
                                return Ok((routed, hold));
                            }
                            Err(error) => {
                                if let Some(hold) = hold {
                                    quota::settle(self.limiter.as_ref(), hold, 0).await;
                                }
                                attempts.push(Attempt::failure(deployment, &error, elapsed));
                                if is_context_overflow(&error)
                                    && !switched_for_context
                                    && !model.context_fallbacks.is_empty()
                                {
                                    switched_for_context = true;
                                    chain = self
                                        .fallback_models(&model.context_fallbacks, wanted)
                                        .collect();
                                    last_error = Some(error);
                                    continue 'plan;
                                }
                                if !error.retryable {
                                    return Err(RouteFailure { error, attempts });
                                }
                                deployment
                                    .health
                                    .record_failure(&self.cooldown, error.retry_after);
                                tracing::warn!(
                                    model = %model.name,
                                    deployment = %deployment.id,
                                    error = %error,
                                    "attempt failed; trying the next deployment"
                                );
                                last_error = Some(error);
                            }
                        }
                    }
                }
                if !attempts.is_empty() {
                    break 'plan;
                }
            }
            break;
        }
        let error = match last_error {
            Some(error) => error,
            None if !refusals.is_empty() => quota::all_over_quota(&route.name, &refusals),
            None => GatewayError::new(
                ErrorKind::UpstreamUnavailable,
                ErrorSource::Upstream,
                format!("No deployment of `{}` is available.", route.name),
            ),
        };
        Err(RouteFailure { error, attempts })
    }
}

fn is_context_overflow(error: &GatewayError) -> bool {
    error.code.as_deref() == Some(tollgate_providers::upstream_error::CONTEXT_LENGTH_EXCEEDED)
}

/// Waits for the stream's first event: an upstream that accepted the call and then failed before
/// saying anything is a failed attempt (the caller has seen nothing, so another deployment can
/// still answer). Otherwise the event is put back in front of the rest.
async fn first_event_or_failure(mut stream: ChatStream) -> Result<ChatStream, GatewayError> {
    use futures_util::StreamExt;
    match stream.next().await {
        Some(StreamEvent::Error(error)) => Err(error),
        Some(first) => Ok(Box::pin(
            futures_util::stream::once(async { first }).chain(stream),
        )),
        None => Err(GatewayError::upstream(
            ErrorKind::UpstreamError,
            "The upstream ended the stream without sending anything.",
        )),
    }
}

fn wrong_kind(model: &str, wanted: ModelKind) -> GatewayError {
    let message = match wanted {
        ModelKind::Embedding => {
            format!("The model `{model}` is a chat model; it cannot create embeddings.")
        }
        _ => format!("The model `{model}` is an embedding model; it cannot chat."),
    };
    GatewayError::invalid_param("model", message).with_code("model_not_supported")
}
