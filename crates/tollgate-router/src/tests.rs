use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tollgate_providers::{ChatReply, ChatStream, Provider, ProviderKind, Target};
use tollgate_types::{
    ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, ErrorKind, GatewayError,
    StreamEvent, Usage,
};

use crate::{Backoff, CooldownPolicy, Deployment, ModelKind, ModelRoute, Router, Strategy};

mod deadline;
mod quota;

/// A provider that fails with `error` for its first `failures` calls, then answers (after
/// `delay`, reporting `usage`; a stream sends its first event after `delay` and the rest
/// `pace` apart).
struct Scripted {
    name: String,
    failures: u32,
    error: GatewayError,
    calls: AtomicU32,
    delay: Duration,
    pace: Duration,
    usage: Usage,
}

impl Scripted {
    fn new(name: &str, failures: u32, error: GatewayError) -> Arc<Self> {
        Arc::new(Scripted::plain(name, failures, error))
    }

    fn plain(name: &str, failures: u32, error: GatewayError) -> Self {
        Scripted {
            name: name.into(),
            failures,
            error,
            calls: AtomicU32::new(0),
            delay: Duration::ZERO,
            pace: Duration::ZERO,
            usage: Usage::default(),
        }
    }

    /// Always answers, after `delay`.
    fn slow(name: &str, delay: Duration) -> Arc<Self> {
        Arc::new(Scripted {
            delay,
            ..Scripted::plain(name, 0, server_error())
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
        tokio::time::sleep(self.delay).await;
        if call < self.failures {
            return Err(self.error.clone());
        }
        Ok(ChatReply::Canonical(ChatResponse {
            id: "r".into(),
            model: target.upstream_model.clone(),
            created: 0,
            choices: vec![],
            usage: self.usage,
            provider_cost: None,
            system_fingerprint: None,
        }))
    }

    /// Accepts the call (2xx), then fails before the first event for the first `failures` calls.
    async fn chat_stream(&self, _: &ChatRequest, _: &Target) -> Result<ChatStream, GatewayError> {
        use futures_util::StreamExt;
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        let first = if call < self.failures {
            StreamEvent::Error(self.error.clone())
        } else {
            StreamEvent::TextDelta {
                choice: 0,
                text: self.name.clone(),
            }
        };
        let mut events = vec![first];
        if self.usage != Usage::default() {
            events.push(StreamEvent::Usage(self.usage));
        }
        let (delay, pace) = (self.delay, self.pace);
        Ok(Box::pin(
            futures_util::stream::iter(events)
                .enumerate()
                .then(move |(i, event)| async move {
                    tokio::time::sleep(if i == 0 { delay } else { pace }).await;
                    event
                }),
        ))
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
        strategy: Strategy::Weighted,
        context_fallbacks: vec![],
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
    Router::new(map, routes, true, Duration::from_secs(5)).with_backoff(Backoff {
        base: Duration::from_millis(1),
        max: Duration::from_millis(2),
        max_retry_after: Duration::from_millis(2),
    })
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
    assert_eq!(error.error.status, 400);
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
    assert_eq!(routed.attempts.len(), 4);
    assert_eq!((bad.calls(), good.calls()), (3, 1));
}

#[tokio::test]
async fn exhausted_plan_returns_the_last_upstream_error() {
    let bad = Scripted::new("bad", u32::MAX, server_error());
    let r = router(&[&bad], vec![route("m", &[&bad], 1, &[])]);
    let model = r.resolve("m").unwrap();
    let error = r.chat(&model, &ChatRequest::default()).await.unwrap_err();
    assert_eq!(error.error.status, 502);
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

#[tokio::test]
async fn repeated_failures_cool_a_deployment_down_then_a_probe_brings_it_back() {
    let flaky = Scripted::new("flaky", 3, server_error());
    let steady = Scripted::new("steady", 0, server_error());
    let policy = CooldownPolicy {
        failures: 3,
        window: Duration::from_secs(60),
        cooldown: Duration::from_millis(150),
        max_retry_after: Duration::from_secs(1),
    };
    let mut model = route("m", &[&flaky, &steady], 1, &[]);
    model.strategy = Strategy::LeastBusy;
    // Make `flaky` the preferred choice whenever it is eligible.
    model.deployments[1].weight = 1;
    let r = router(&[&flaky, &steady], vec![model]).with_cooldown(policy);
    let m = r.resolve("m").unwrap();
    while flaky.calls() < 3 {
        r.chat(&m, &ChatRequest::default()).await.unwrap();
    }
    let cooling = &r.model("m").unwrap().deployments[0].health;
    assert!(
        cooling.is_cooling(),
        "three failures in the window start a cooldown"
    );
    let before = flaky.calls();
    for _ in 0..20 {
        let routed = r.chat(&m, &ChatRequest::default()).await.unwrap();
        assert_eq!(routed.provider, "steady");
        assert_eq!(
            routed.attempts.len(),
            1,
            "a cooling deployment is not even tried"
        );
    }
    assert_eq!(flaky.calls(), before);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!cooling.is_cooling());
    // Half-open: the next calls reach it again, and its success closes the circuit.
    for _ in 0..20 {
        r.chat(&m, &ChatRequest::default()).await.unwrap();
    }
    assert!(
        flaky.calls() > before,
        "after the cooldown the deployment is probed again"
    );
    assert!(!cooling.is_cooling());
}

#[tokio::test]
async fn retry_after_cools_down_for_as_long_as_the_upstream_asked() {
    let limited = Scripted::new(
        "limited",
        1,
        GatewayError::upstream(ErrorKind::RateLimited, "slow down")
            .with_retry_after(Some(Duration::from_millis(300))),
    );
    let other = Scripted::new("other", 0, server_error());
    let r = router(
        &[&limited, &other],
        vec![route("m", &[&limited, &other], 1, &[])],
    );
    let m = r.resolve("m").unwrap();
    while limited.calls() == 0 {
        r.chat(&m, &ChatRequest::default()).await.unwrap();
    }
    let health = &r.model("m").unwrap().deployments[0].health;
    assert!(health.is_cooling());
    assert!(health.cooldown_remaining() > Duration::from_millis(200));
}

#[tokio::test]
async fn when_everything_is_cooling_the_call_is_still_attempted() {
    let bad = Scripted::new("bad", 1, server_error());
    let r = router(&[&bad], vec![route("m", &[&bad], 0, &[])]).with_cooldown(CooldownPolicy {
        failures: 1,
        ..CooldownPolicy::default()
    });
    let m = r.resolve("m").unwrap();
    assert!(r.chat(&m, &ChatRequest::default()).await.is_err());
    assert!(r.model("m").unwrap().deployments[0].health.is_cooling());
    let routed = r.chat(&m, &ChatRequest::default()).await.unwrap();
    assert_eq!(routed.provider, "bad", "serving late beats not serving");
}

#[tokio::test]
async fn least_busy_and_lowest_cost_prefer_the_right_deployment() {
    let cheap = Scripted::new("cheap", 0, server_error());
    let dear = Scripted::new("dear", 0, server_error());
    let mut model = route("m", &[&cheap, &dear], 0, &[]);
    model.strategy = Strategy::LowestCost;
    model.deployments[0].cost_rank = Some(10);
    model.deployments[1].cost_rank = Some(1_000);
    let r = router(&[&cheap, &dear], vec![model]);
    let m = r.resolve("m").unwrap();
    for _ in 0..10 {
        assert_eq!(
            r.chat(&m, &ChatRequest::default()).await.unwrap().provider,
            "cheap"
        );
    }
    assert_eq!(dear.calls(), 0);
}

#[tokio::test]
async fn a_single_deployment_is_retried_after_a_backoff() {
    let flaky = Scripted::new("flaky", 2, server_error());
    let r = router(&[&flaky], vec![route("m", &[&flaky], 2, &[])]);
    let m = r.resolve("m").unwrap();
    let routed = r.chat(&m, &ChatRequest::default()).await.unwrap();
    assert_eq!(routed.attempts.len(), 3);
    assert_eq!(routed.attempts[0].status, 502);
    assert_eq!(routed.attempts[2].status, 200);
}

#[tokio::test]
async fn a_stream_that_fails_before_its_first_event_falls_back_transparently() {
    use futures_util::StreamExt;
    let flaky = Scripted::new("flaky", 1, server_error());
    let good = Scripted::new("good", 0, server_error());
    let r = router(
        &[&flaky, &good],
        vec![
            route("m", &[&flaky], 0, &["f"]),
            route("f", &[&good], 0, &[]),
        ],
    );
    let m = r.resolve("m").unwrap();
    let routed = r.chat_stream(&m, &ChatRequest::default()).await.unwrap();
    assert_eq!(routed.provider, "good");
    assert_eq!(routed.attempts.len(), 2);
    let events: Vec<StreamEvent> = routed.value.collect().await;
    assert_eq!(
        events,
        vec![StreamEvent::TextDelta {
            choice: 0,
            text: "good".into()
        }]
    );
}
