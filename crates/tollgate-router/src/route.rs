//! Public models and their deployments.

use std::sync::Arc;

use tollgate_providers::{Provider, Target};

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
}

impl Deployment {
    pub fn new(provider: Arc<dyn Provider>, target: Target) -> Self {
        Deployment {
            id: format!("{}/{}", provider.name(), target.upstream_model),
            provider,
            target,
            weight: 1,
        }
    }

    pub fn with_weight(mut self, weight: u32) -> Self {
        self.weight = weight.max(1);
        self
    }
}

impl std::fmt::Debug for Deployment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deployment")
            .field("id", &self.id)
            .field("weight", &self.weight)
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
}

impl ModelRoute {
    pub fn single(name: &str, kind: ModelKind, deployment: Deployment) -> Self {
        ModelRoute {
            name: name.to_string(),
            kind,
            deployments: vec![deployment],
            retries: 0,
            fallbacks: Vec::new(),
        }
    }
}
