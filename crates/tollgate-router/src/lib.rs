//! Model routing: which deployment serves a public model name, and what to do when it fails.
//!
//! A public model has one or more deployments (a provider + the upstream's model name + limits) and
//! an ordered list of fallback models. One call walks a plan of attempts: up to `1 + retries`
//! attempts on the model's own deployments (each retry prefers a deployment not yet tried), then
//! the same for each fallback model in order. Only retryable failures (connect errors, timeouts,
//! 429, 5xx, overloaded) move on; anything else is returned at once.

mod attempt;
mod backoff;
mod health;
mod route;
mod select;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tollgate_pricing::{ModelPrice, PriceResolver, host_hint_for_base_url};
use tollgate_providers::{ChatReply, ChatStream, Provider, Target};
use tollgate_types::{
    ChatRequest, EmbeddingRequest, EmbeddingResponse, ErrorKind, ErrorSource, GatewayError,
    StreamEvent,
};

pub use attempt::{Attempt, RouteFailure};
pub use backoff::Backoff;
pub use health::{CooldownPolicy, DeploymentHealth};
pub use route::{Deployment, ModelKind, ModelRoute};
pub use select::Strategy;

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
        }
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
        self.run(route, ModelKind::Chat, |deployment| {
            let provider = deployment.provider.clone();
            let target = deployment.target.clone();
            async move { provider.chat(request, &target).await }
        })
        .await
    }

    /// Starts a stream; fails over only while nothing has been sent to the caller (i.e. until the
    /// upstream accepted the call).
    pub async fn chat_stream(
        &self,
        route: &ModelRoute,
        request: &ChatRequest,
    ) -> Result<Routed<ChatStream>, RouteFailure> {
        self.run(route, ModelKind::Chat, |deployment| {
            let provider = deployment.provider.clone();
            let target = deployment.target.clone();
            async move {
                let stream = provider.chat_stream(request, &target).await?;
                first_event_or_failure(stream).await
            }
        })
        .await
    }

    pub async fn embed(
        &self,
        route: &ModelRoute,
        request: &EmbeddingRequest,
    ) -> Result<Routed<EmbeddingResponse>, RouteFailure> {
        self.run(route, ModelKind::Embedding, |deployment| {
            let provider = deployment.provider.clone();
            let target = deployment.target.clone();
            async move { provider.embed(request, &target).await }
        })
        .await
    }

    /// Walks the attempt plan: the model's own deployments, then each fallback model. Deployments
    /// cooling down are skipped; only if every deployment of every model in the plan is cooling
    /// is the plan walked again with them allowed (serving late beats not serving).
    async fn run<T, F, Fut>(
        &self,
        route: &ModelRoute,
        wanted: ModelKind,
        mut attempt: F,
    ) -> Result<Routed<T>, RouteFailure>
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
        let mut chain: Vec<&ModelRoute> = std::iter::once(route)
            .chain(self.fallback_models(&route.fallbacks, wanted))
            .collect();
        let mut attempts = Vec::new();
        let mut last_error = None;
        // A request too long for a model's context window goes, once, to its configured
        // larger-context models instead of the rest of the plan.
        let mut switched_for_context = false;
        'plan: loop {
            for allow_cooling in [false, true] {
                for model in &chain {
                    let mut tried: Vec<usize> = Vec::with_capacity(model.deployments.len());
                    for round in 0..=model.retries {
                        let fresh =
                            select::pick(&model.deployments, &tried, model.strategy, allow_cooling);
                        let index = match fresh {
                            Some(index) => index,
                            // Every deployment was tried once: retry one after a backoff,
                            // honouring what the upstream asked for.
                            None if !tried.is_empty() => {
                                let Some(index) =
                                    select::pick(&model.deployments, &[], model.strategy, true)
                                else {
                                    break;
                                };
                                let wait = self.backoff.delay(round, last_error.as_ref());
                                tokio::time::sleep(wait).await;
                                index
                            }
                            None => break,
                        };
                        tried.push(index);
                        let deployment = &model.deployments[index];
                        let started = Instant::now();
                        let outcome = {
                            let _in_flight = deployment.health.begin();
                            attempt(deployment).await
                        };
                        let elapsed = started.elapsed();
                        match outcome {
                            Ok(value) => {
                                deployment.health.record_success(elapsed);
                                attempts.push(Attempt::success(deployment, elapsed));
                                return Ok(Routed {
                                    value,
                                    provider: deployment.provider.name().to_string(),
                                    deployment: deployment.id.clone(),
                                    price: deployment.price.clone(),
                                    attempts,
                                });
                            }
                            Err(error) => {
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
        let error = last_error.unwrap_or_else(|| {
            GatewayError::new(
                ErrorKind::UpstreamUnavailable,
                ErrorSource::Upstream,
                format!("No deployment of `{}` is available.", route.name),
            )
        });
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
