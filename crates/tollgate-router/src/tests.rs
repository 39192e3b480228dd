use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tollgate_providers::{ChatReply, ChatStream, Provider, ProviderKind, Target};
use tollgate_types::{
    ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, ErrorKind, GatewayError, Usage,
};

use crate::{Deployment, ModelKind, ModelRoute, Router};

/// A provider that fails with `error` for its first `failures` calls, then answers.
struct Scripted {
    name: String,
    failures: u32,
    error: GatewayError,
    calls: AtomicU32,
}

impl Scripted {
    fn new(name: &str, failures: u32, error: GatewayError) -> Arc<Self> {
        Arc::new(Scripted {
            name: name.into(),
            failures,
            error,
            calls: AtomicU32::new(0),
        })
    }

    fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl Provider for Scripted {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> ProviderKind {
        ProviderKind::Mock
    }

    async fn chat(&self, _: &ChatRequest, target: &Target) -> Result<ChatReply, GatewayError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        if call < self.failures {
            return Err(self.error.clone());
        }
        Ok(ChatReply::Canonical(ChatResponse {
            id: "r".into(),
            model: target.upstream_model.clone(),
            created: 0,
            choices: vec![],
            usage: Usage::default(),
            provider_cost: None,
            system_fingerprint: None,
        }))
    }

    async fn chat_stream(&self, _: &ChatRequest, _: &Target) -> Result<ChatStream, GatewayError> {
        Ok(Box::pin(futures_util::stream::empty()))
    }

    async fn embed(
        &self,
        _: &EmbeddingRequest,
        _: &Target,
    ) -> Result<EmbeddingResponse, GatewayError> {
        Err(GatewayError::invalid_request("no"))
    }
}

fn server_error() -> GatewayError {
    GatewayError::upstream(ErrorKind::UpstreamError, "boom")
}

fn route(name: &str, providers: &[&Arc<Scripted>], retries: u32, fallbacks: &[&str]) -> ModelRoute {
    ModelRoute {
        name: name.into(),
        kind: ModelKind::Chat,
        deployments: providers
            .iter()
            .map(|p| {
                let provider: Arc<dyn Provider> = (*p).clone();
                Deployment::new(provider, Target::new("m", Duration::from_secs(5)))
            })
            .collect(),
        retries,
        fallbacks: fallbacks.iter().map(|s| s.to_string()).collect(),
    }
}

fn router(providers: &[&Arc<Scripted>], routes: Vec<ModelRoute>) -> Router {
    let map: HashMap<String, Arc<dyn Provider>> = providers
        .iter()
        .map(|p| {
            let provider: Arc<dyn Provider> = (*p).clone();
            (p.name.clone(), provider)
        })
        .collect();
    Router::new(map, routes, true, Duration::from_secs(5))
}

#[tokio::test]
async fn retryable_failure_moves_to_the_other_deployment() {
    let bad = Scripted::new("bad", u32::MAX, server_error());
    let good = Scripted::new("good", 0, server_error());
    let r = router(&[&bad, &good], vec![route("m", &[&bad, &good], 1, &[])]);
    let model = r.resolve("m").unwrap();
    for _ in 0..20 {
        let routed = r.chat(&model, &ChatRequest::default()).await.unwrap();
        assert_eq!(routed.provider, "good");
    }
    // Each call tries a fresh deployment on retry, so `bad` is hit at most once per call.
    assert_eq!(good.calls(), 20);
    assert!(bad.calls() <= 20);
}

#[tokio::test]
async fn non_retryable_failure_returns_at_once() {
    let bad = Scripted::new("bad", u32::MAX, GatewayError::invalid_request("nope"));
    let good = Scripted::new("good", 0, server_error());
    let r = router(
        &[&bad, &good],
        vec![route("m", &[&bad], 3, &["f"]), route("f", &[&good], 0, &[])],
    );
    let model = r.resolve("m").unwrap();
    let error = r.chat(&model, &ChatRequest::default()).await.unwrap_err();
    assert_eq!(error.status, 400);
    assert_eq!((bad.calls(), good.calls()), (1, 0));
}

#[tokio::test]
async fn fallback_model_after_retries_are_used_up() {
    let bad = Scripted::new("bad", u32::MAX, server_error());
    let good = Scripted::new("good", 0, server_error());
    let r = router(
        &[&bad, &good],
        vec![route("m", &[&bad], 2, &["f"]), route("f", &[&good], 0, &[])],
    );
    let model = r.resolve("m").unwrap();
    let routed = r.chat(&model, &ChatRequest::default()).await.unwrap();
    assert_eq!(routed.attempts, 4);
    assert_eq!((bad.calls(), good.calls()), (3, 1));
}

#[tokio::test]
async fn exhausted_plan_returns_the_last_upstream_error() {
    let bad = Scripted::new("bad", u32::MAX, server_error());
    let r = router(&[&bad], vec![route("m", &[&bad], 1, &[])]);
    let model = r.resolve("m").unwrap();
    let error = r.chat(&model, &ChatRequest::default()).await.unwrap_err();
    assert_eq!(error.status, 502);
    assert_eq!(bad.calls(), 2);
}

#[tokio::test]
async fn provider_prefix_addresses_any_upstream_model() {
    let good = Scripted::new("good", 0, server_error());
    let r = router(&[&good], vec![]);
    let model = r.resolve("good/some-model").unwrap();
    let routed = r.chat(&model, &ChatRequest::default()).await.unwrap();
    assert_eq!(routed.deployment, "good/some-model");
    assert!(r.resolve("missing/some-model").is_none());
    assert!(r.resolve("good/").is_none());
    assert!(r.resolve("plain").is_none());
}

#[tokio::test]
async fn weights_share_traffic() {
    let a = Scripted::new("a", 0, server_error());
    let b = Scripted::new("b", 0, server_error());
    let mut m = route("m", &[&a, &b], 0, &[]);
    m.deployments[0].weight = 3;
    let r = router(&[&a, &b], vec![m]);
    let model = r.resolve("m").unwrap();
    for _ in 0..400 {
        r.chat(&model, &ChatRequest::default()).await.unwrap();
    }
    // 3:1 split; generous bounds keep the test deterministic in practice.
    assert!(
        a.calls() > 240 && b.calls() > 50,
        "{} {}",
        a.calls(),
        b.calls()
    );
}
