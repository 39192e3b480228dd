//! Public models and their deployments.

use std::sync::Arc;

use tollgate_pricing::ModelPrice;
use tollgate_providers::{Provider, Target};

use crate::health::DeploymentHealth;
use crate::quota::DeploymentLimits;
use crate::select::Strategy;

/// What a public model serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    Chat,
    Embedding,
    /// Addressed as `<provider>/<model>`: Tollgate cannot know, the upstream decides.
    Any,
}

impl ModelKind {
    pub fn serves(self, wanted: ModelKind) -> bool {
        self == ModelKind::Any || self == wanted
    }
}

/// One place a public model can be served from.
#[derive(Clone)]
pub struct Deployment {
    /// `<provider>/<upstream-model>`, shown in `x-tollgate-deployment`.
    pub id: String,
    pub provider: Arc<dyn Provider>,
    pub target: Target,
    /// Share of traffic under weighted routing.
    pub weight: u32,
    /// Relative price for the lowest-cost strategy (nano-USD per million tokens of a typical
    /// call); `None` when the catalog does not know the model.
    pub cost_rank: Option<u64>,
    /// Failures, cooldown, in-flight count and latency, shared by every request.
    pub health: Arc<DeploymentHealth>,
    /// What a call costs here (config override, else the catalog); `None` = unpriced.
    pub price: Option<Arc<ModelPrice>>,
    /// The provider's own rate limits on this deployment, enforced before calling it.
    pub limits: DeploymentLimits,
}

impl Deployment {
    pub fn new(provider: Arc<dyn Provider>, target: Target) -> Self {
        Deployment {
            id: format!("{}/{}", provider.name(), target.upstream_model),
            provider,
            target,
            weight: 1,
            cost_rank: None,
            health: Arc::new(DeploymentHealth::default()),
            price: None,
            limits: DeploymentLimits::default(),
        }
    }

    /// Sets the price, and the rank the lowest-cost strategy uses (input + output nano-USD per
    /// million tokens, a fair proxy for "typical call").
    pub fn with_price(mut self, price: Option<Arc<ModelPrice>>) -> Self {
        self.cost_rank = price.as_ref().and_then(|p| {
            let per_million =
                (p.input + p.output) * rust_decimal::Decimal::from(1_000_000_000_000_000u64);
            rust_decimal::prelude::ToPrimitive::to_u64(&per_million.round())
        });
        self.price = price;
        self
    }

    pub fn with_weight(mut self, weight: u32) -> Self {
        self.weight = weight.max(1);
        self
    }

    /// The provider's requests/min and tokens/min limits on this deployment.
    pub fn with_limits(mut self, limits: DeploymentLimits) -> Self {
        self.limits = limits;
        self
    }
}

impl std::fmt::Debug for Deployment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deployment")
            .field("id", &self.id)
            .field("weight", &self.weight)
            .field("cooling", &self.health.is_cooling())
            .finish()
    }
}

/// A public model name and how to serve it.
#[derive(Debug, Clone)]
pub struct ModelRoute {
    pub name: String,
    pub kind: ModelKind,
    pub deployments: Vec<Deployment>,
    /// Further attempts on this model's deployments after the first fails.
    pub retries: u32,
    /// Other public models to try, in order, when this one's attempts are used up.
    pub fallbacks: Vec<String>,
    /// How traffic is spread over the deployments.
    pub strategy: Strategy,
    /// Larger-context models tried, in order, when a request is too long for this one.
    pub context_fallbacks: Vec<String>,
}

impl ModelRoute {
    pub fn single(name: &str, kind: ModelKind, deployment: Deployment) -> Self {
        ModelRoute {
            name: name.to_string(),
            kind,
            deployments: vec![deployment],
            retries: 0,
            fallbacks: Vec::new(),
            strategy: Strategy::default(),
            context_fallbacks: Vec::new(),
        }
    }
}
