//! Builds the running gateway from a validated config.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tollgate_config::{Config, ModelConfig, ProviderConfig};
use tollgate_pricing::{ModelPrice, PriceResolver, host_hint_for_base_url};
use tollgate_providers::{
    MockSettings, Provider, ProviderKind, ProviderSpec, Target, UpstreamClient,
};
use tollgate_router::{Deployment, DeploymentLimits, ModelKind, ModelRoute, Router, Strategy};
use tollgate_store::{DynStore, StoreError};

const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Deadline for `<provider>/<model>` calls, which have no deployment config of their own.
const PREFIX_ROUTE_TIMEOUT: Duration = Duration::from_secs(600);

pub async fn open_store(config: &Config) -> Result<DynStore, StoreError> {
    tollgate_store::open(&config.storage.url).await
}

/// The routing table: one adapter per provider entry, one route per public model, each
/// deployment priced once here (config override, else the catalog) so the hot path only reads.
pub fn build_router(config: &Config) -> Router {
    let pricer = Arc::new(PriceResolver::with_embedded_catalog());
    let providers: HashMap<String, Arc<dyn Provider>> = config
        .providers
        .iter()
        .map(|(name, provider)| (name.clone(), build_provider(name, provider)))
        .collect();
    let routes = config
        .models
        .iter()
        .map(|model| {
            build_route(
                model,
                &providers,
                &pricer,
                strategy(config.routing.strategy),
            )
        })
        .collect();
    let router = Router::new(
        providers,
        routes,
        config.routing.allow_provider_prefix,
        PREFIX_ROUTE_TIMEOUT,
    )
    .with_pricer(pricer)
    .with_default_deadline(config.routing.deadline);
    config
        .models
        .iter()
        .filter_map(|model| Some((model.name.as_str(), model.deadline?)))
        .fold(router, |router, (name, deadline)| {
            router.with_model_deadline(name, deadline)
        })
}

fn build_provider(name: &str, config: &ProviderConfig) -> Arc<dyn Provider> {
    let mut spec = ProviderSpec::new(
        name,
        provider_kind(config.kind),
        config.base_url.clone().unwrap_or_default(),
    );
    spec.api_key = config.api_key.as_ref().map(|key| key.expose().clone());
    spec.api_version = config.api_version.clone();
    spec.headers = config
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Some(mock) = &config.mock {
        spec.mock = MockSettings {
            latency: mock.latency,
            output_tokens: mock.output_tokens,
            chunk_delay: mock.chunk_delay,
        };
    }
    let client = UpstreamClient::new(config.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT));
    tollgate_providers::build_provider(spec, client)
}

fn build_route(
    model: &ModelConfig,
    providers: &HashMap<String, Arc<dyn Provider>>,
    pricer: &PriceResolver,
    strategy: Strategy,
) -> ModelRoute {
    let deployments = model
        .deployments
        .iter()
        // Validation guarantees every deployment names a configured provider.
        .filter_map(|deployment| {
            let provider = providers.get(&deployment.provider)?.clone();
            let target = Target {
                upstream_model: deployment.model.clone(),
                first_byte_timeout: deployment.first_byte_timeout,
                total_timeout: deployment.timeout,
                stream_idle_timeout: deployment.stream_idle_timeout,
            };
            let price = deployment_price(pricer, provider.as_ref(), &deployment.model, deployment.price.as_ref());
            if price.is_none() {
                tracing::warn!(
                    model = %model.name,
                    deployment = %format!("{}/{}", deployment.provider, deployment.model),
                    "no price for this deployment (not in the catalog, none configured): its calls are \
                     logged as unpriced and keys with a budget cannot use it"
                );
            }
            Some(
                Deployment::new(provider, target)
                    .with_weight(deployment.weight)
                    .with_price(price)
                    .with_limits(DeploymentLimits {
                        rpm: deployment.rpm_limit,
                        tpm: deployment.tpm_limit,
                    }),
            )
        })
        .collect();
    ModelRoute {
        name: model.name.clone(),
        kind: match model.kind {
            tollgate_config::ModelKind::Chat => ModelKind::Chat,
            tollgate_config::ModelKind::Embedding => ModelKind::Embedding,
        },
        deployments,
        retries: model.retries,
        fallbacks: model.fallbacks.clone(),
        strategy,
        context_fallbacks: model.context_window_fallbacks.clone(),
    }
}

fn provider_kind(kind: tollgate_config::ProviderKind) -> ProviderKind {
    use tollgate_config::ProviderKind as Config;
    match kind {
        Config::OpenAi => ProviderKind::OpenAi,
        Config::OpenRouter => ProviderKind::OpenRouter,
        Config::Azure => ProviderKind::Azure,
        Config::Anthropic => ProviderKind::Anthropic,
        Config::Gemini => ProviderKind::Gemini,
        Config::Mock => ProviderKind::Mock,
    }
}

fn strategy(strategy: tollgate_config::RoutingStrategy) -> Strategy {
    use tollgate_config::RoutingStrategy as Config;
    match strategy {
        Config::Weighted => Strategy::Weighted,
        Config::LeastBusy => Strategy::LeastBusy,
        Config::LowestLatency => Strategy::LowestLatency,
        Config::LowestCost => Strategy::LowestCost,
    }
}

/// A deployment's price: the config's override, else the catalog. The built-in mock costs
/// nothing (it runs in process), which is a known price, not an unknown one.
fn deployment_price(
    pricer: &PriceResolver,
    provider: &dyn Provider,
    upstream_model: &str,
    configured: Option<&tollgate_config::Price>,
) -> Option<Arc<ModelPrice>> {
    if provider.kind() == ProviderKind::Mock && configured.is_none() {
        return Some(Arc::new(ModelPrice::free()));
    }
    pricer.resolve(
        provider.kind().as_str(),
        host_hint_for_base_url(provider.base_url()),
        upstream_model,
        configured,
    )
}

#[cfg(test)]
#[path = "wiring_tests.rs"]
mod tests;
