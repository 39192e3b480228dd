//! Builds the running gateway from a validated config.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tollgate_config::{Config, ModelConfig, ProviderConfig};
use tollgate_providers::{
    MockSettings, Provider, ProviderKind, ProviderSpec, Target, UpstreamClient,
};
use tollgate_router::{Deployment, ModelKind, ModelRoute, Router, Strategy};
use tollgate_store::{SqliteStore, StoreError};

const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Deadline for `<provider>/<model>` calls, which have no deployment config of their own.
const PREFIX_ROUTE_TIMEOUT: Duration = Duration::from_secs(600);

pub async fn open_store(config: &Config) -> Result<SqliteStore, StoreError> {
    tollgate_store::open(&config.storage.url).await
}

/// The routing table: one adapter per provider entry, one route per public model.
pub fn build_router(config: &Config) -> Router {
    let providers: HashMap<String, Arc<dyn Provider>> = config
        .providers
        .iter()
        .map(|(name, provider)| (name.clone(), build_provider(name, provider)))
        .collect();
    let routes = config
        .models
        .iter()
        .map(|model| build_route(model, &providers, strategy(config.routing.strategy)))
        .collect();
    Router::new(
        providers,
        routes,
        config.routing.allow_provider_prefix,
        PREFIX_ROUTE_TIMEOUT,
    )
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
            };
            Some(Deployment::new(provider, target).with_weight(deployment.weight))
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
