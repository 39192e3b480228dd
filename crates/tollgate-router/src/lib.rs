//! Model routing: which deployment serves a public model name, and what to do when it fails.
//!
//! A public model has one or more deployments (a provider + the upstream's model name + limits) and
//! an ordered list of fallback models. One call walks a plan of attempts: up to `1 + retries`
//! attempts on the model's own deployments (each retry prefers a deployment not yet tried), then
//! the same for each fallback model in order. Only retryable failures (connect errors, timeouts,
//! 429, 5xx, overloaded) move on; anything else is returned at once.

mod route;
mod select;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tollgate_providers::{ChatReply, ChatStream, Provider, Target};
use tollgate_types::{
    ChatRequest, EmbeddingRequest, EmbeddingResponse, ErrorKind, ErrorSource, GatewayError,
};

pub use route::{Deployment, ModelKind, ModelRoute};

/// Which provider and deployment served a call, and how many attempts it took.
#[derive(Debug)]
pub struct Routed<T> {
    pub value: T,
    pub provider: String,
    pub deployment: String,
    pub attempts: u32,
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
        }
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
        Some(Arc::new(ModelRoute::single(
            model,
            ModelKind::Any,
            Deployment::new(
                provider.clone(),
                Target::new(upstream_model, self.default_timeout),
            ),
        )))
    }

    pub async fn chat(
        &self,
        route: &ModelRoute,
        request: &ChatRequest,
    ) -> Result<Routed<ChatReply>, GatewayError> {
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
    ) -> Result<Routed<ChatStream>, GatewayError> {
        self.run(route, ModelKind::Chat, |deployment| {
            let provider = deployment.provider.clone();
            let target = deployment.target.clone();
            async move { provider.chat_stream(request, &target).await }
        })
        .await
    }

    pub async fn embed(
        &self,
        route: &ModelRoute,
        request: &EmbeddingRequest,
    ) -> Result<Routed<EmbeddingResponse>, GatewayError> {
        self.run(route, ModelKind::Embedding, |deployment| {
            let provider = deployment.provider.clone();
            let target = deployment.target.clone();
            async move { provider.embed(request, &target).await }
        })
        .await
    }

    /// Walks the attempt plan: the model's own deployments, then each fallback model.
    async fn run<T, F, Fut>(
        &self,
        route: &ModelRoute,
        wanted: ModelKind,
        mut attempt: F,
    ) -> Result<Routed<T>, GatewayError>
    where
        F: FnMut(&Deployment) -> Fut,
        Fut: std::future::Future<Output = Result<T, GatewayError>>,
    {
        if !route.kind.serves(wanted) {
            return Err(wrong_kind(&route.name, wanted));
        }
        let mut attempts = 0u32;
        let mut last_error = None;
        let chain = std::iter::once(route).chain(
            route
                .fallbacks
                .iter()
                .filter_map(|name| self.models.get(name).map(Arc::as_ref))
                .filter(|fallback| fallback.kind.serves(wanted)),
        );
        for model in chain {
            let mut tried = Vec::with_capacity(model.deployments.len());
            for _ in 0..=model.retries {
                let Some(index) = select::pick(&model.deployments, &tried) else {
                    break;
                };
                tried.push(index);
                let deployment = &model.deployments[index];
                attempts += 1;
                match attempt(deployment).await {
                    Ok(value) => {
                        return Ok(Routed {
                            value,
                            provider: deployment.provider.name().to_string(),
                            deployment: deployment.id.clone(),
                            attempts,
                        });
                    }
                    Err(error) if error.retryable => {
                        tracing::warn!(
                            model = %model.name,
                            deployment = %deployment.id,
                            error = %error,
                            "attempt failed; trying the next deployment"
                        );
                        last_error = Some(error);
                    }
                    Err(error) => return Err(error),
                }
            }
        }
        Err(last_error.unwrap_or_else(|| {
            GatewayError::new(
                ErrorKind::UpstreamUnavailable,
                ErrorSource::Upstream,
                format!("No deployment of `{}` is available.", route.name),
            )
        }))
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
