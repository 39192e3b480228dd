//! Deployment quotas (the provider's own rpm/tpm): skipped like a cooldown, 429 when all are full.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tollgate_limits::{InProcessRateLimiter, ManualClock};
use tollgate_types::{ChatRequest, ErrorKind, Message, Role, Usage};

use super::{Scripted, route, router, server_error};
use crate::{CooldownPolicy, DeploymentLimits, ModelRoute, Router, Strategy};

/// A router whose quota clock stands still unless the test moves it.
fn with_clock(router: Router) -> (Router, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(1_000_000));
    let limiter = Arc::new(InProcessRateLimiter::new(clock.clone()));
    (router.with_rate_limiter(limiter), clock)
}

fn limited(mut model: ModelRoute, index: usize, rpm: Option<u64>, tpm: Option<u64>) -> ModelRoute {
    model.deployments[index].limits = DeploymentLimits { rpm, tpm };
    model
}

fn ask(text: &str, max_tokens: u32) -> ChatRequest {
    ChatRequest {
        messages: vec![Message::text(Role::User, text)],
        max_tokens: Some(max_tokens),
        ..ChatRequest::default()
    }
}

#[tokio::test]
async fn a_deployment_over_its_rpm_is_skipped_without_being_called() {
    let capped = Scripted::new("capped", 0, server_error());
    let open = Scripted::new("open", 0, server_error());
    let mut model = limited(route("m", &[&capped, &open], 0, &[]), 0, Some(2), None);
    // `capped` is preferred whenever it is eligible.
    model.strategy = Strategy::LowestCost;
    model.deployments[0].cost_rank = Some(1);
    model.deployments[1].cost_rank = Some(100);
    let (r, _clock) = with_clock(router(&[&capped, &open], vec![model]));
    let m = r.resolve("m").unwrap();
    let mut served_by = Vec::new();
    for _ in 0..5 {
        let routed = r.chat(&m, &ChatRequest::default()).await.unwrap();
        assert_eq!(
            routed.attempts.len(),
            1,
            "a quota refusal is not an attempt"
        );
        served_by.push(routed.provider);
    }
    assert_eq!(served_by, ["capped", "capped", "open", "open", "open"]);
    assert_eq!((capped.calls(), open.calls()), (2, 3));
}

#[tokio::test]
async fn when_every_deployment_is_over_quota_the_call_is_a_429_with_retry_after() {
    let only = Scripted::new("only", 0, server_error());
    let spare = Scripted::new("spare", 0, server_error());
    let (r, clock) = with_clock(router(
        &[&only, &spare],
        vec![
            limited(route("m", &[&only], 2, &["f"]), 0, Some(1), None),
            limited(route("f", &[&spare], 0, &[]), 0, Some(1), None),
        ],
    ));
    let m = r.resolve("m").unwrap();
    assert_eq!(
        r.chat(&m, &ChatRequest::default()).await.unwrap().provider,
        "only"
    );
    assert_eq!(
        r.chat(&m, &ChatRequest::default()).await.unwrap().provider,
        "spare"
    );
    let failure = r.chat(&m, &ChatRequest::default()).await.unwrap_err();
    assert_eq!(failure.error.status, 429);
    assert_eq!(failure.error.kind, ErrorKind::RateLimited);
    assert_eq!(failure.error.code.as_deref(), Some("rate_limit_exceeded"));
    // One request per minute: room again in 60 s.
    assert_eq!(failure.error.retry_after, Some(Duration::from_secs(60)));
    assert!(failure.attempts.is_empty(), "nothing was called");
    assert_eq!((only.calls(), spare.calls()), (1, 1));

    clock.advance(Duration::from_secs(60));
    assert_eq!(
        r.chat(&m, &ChatRequest::default()).await.unwrap().provider,
        "only"
    );
}

#[tokio::test]
async fn an_over_quota_deployment_is_not_used_even_when_the_rest_are_cooling() {
    let capped = Scripted::new("capped", 0, server_error());
    let broken = Scripted::new("broken", 1, server_error());
    let model = limited(route("m", &[&capped, &broken], 0, &[]), 0, Some(1), None);
    let (r, _clock) = with_clock(router(&[&capped, &broken], vec![model]).with_cooldown(
        CooldownPolicy {
            failures: 1,
            ..CooldownPolicy::default()
        },
    ));
    let m = r.resolve("m").unwrap();
    // Spend `capped`'s quota, then make `broken` cool down.
    while capped.calls() == 0 || broken.calls() == 0 {
        let _ = r.chat(&m, &ChatRequest::default()).await;
    }
    assert!(r.model("m").unwrap().deployments[1].health.is_cooling());
    let calls_before = capped.calls();
    // `broken` cools but may serve late; `capped` is at its quota and may not serve at all.
    let routed = r.chat(&m, &ChatRequest::default()).await.unwrap();
    assert_eq!(routed.provider, "broken");
    assert_eq!(capped.calls(), calls_before);
}

#[tokio::test]
async fn tpm_takes_the_worst_case_and_gives_back_what_was_not_used() {
    // "hi": 2 bytes + 16 per message + max_tokens 50 = 68 tokens of a 100 tpm quota.
    let worker = Arc::new(Scripted {
        usage: Usage {
            input_tokens: 3,
            output_tokens: 5,
            ..Usage::default()
        },
        ..Scripted::plain("worker", 0, server_error())
    });
    let (r, _clock) = with_clock(router(
        &[&worker],
        vec![limited(route("m", &[&worker], 0, &[]), 0, None, Some(100))],
    ));
    let m = r.resolve("m").unwrap();
    // Each call used 8 tokens; without the refund the second would not fit.
    for _ in 0..2 {
        r.chat(&m, &ask("hi", 50)).await.unwrap();
    }
    // Streams give back when they end.
    for _ in 0..2 {
        let routed = r.chat_stream(&m, &ask("hi", 50)).await.unwrap();
        let _events: Vec<_> = routed.value.collect().await;
        tokio::task::yield_now().await;
    }
    // 32 tokens used: 32 + 68 fits exactly.
    r.chat(&m, &ask("hi", 50)).await.unwrap();
    assert_eq!(worker.calls(), 5);
    // 40 used: a 68-token worst case no longer fits.
    let failure = r.chat(&m, &ask("hi", 50)).await.unwrap_err();
    assert_eq!(failure.error.status, 429);
    assert!(failure.error.retry_after.is_some());
    // Larger than the whole quota: no wait helps.
    let (r, _clock) = with_clock(router(
        &[&worker],
        vec![limited(route("m", &[&worker], 0, &[]), 0, None, Some(100))],
    ));
    let m = r.resolve("m").unwrap();
    let failure = r.chat(&m, &ask("hi", 90)).await.unwrap_err();
    assert_eq!(failure.error.status, 429);
    assert_eq!(failure.error.retry_after, None);
}

#[tokio::test]
async fn a_failed_attempt_gives_its_tokens_back() {
    let flaky = Scripted::new("flaky", 1, server_error());
    let (r, _clock) = with_clock(router(
        &[&flaky],
        vec![limited(route("m", &[&flaky], 1, &[]), 0, None, Some(140))],
    ));
    let m = r.resolve("m").unwrap();
    // 68 tokens each: the failed first attempt and the retry both fit only if the first's
    // tokens came back (a 502 used none).
    let routed = r.chat(&m, &ask("hi", 50)).await.unwrap();
    assert_eq!(routed.attempts.len(), 2);
    r.chat(&m, &ask("hi", 50)).await.unwrap();
}

#[tokio::test]
async fn choose_within_quota_skips_full_deployments() {
    let a = Scripted::new("a", 0, server_error());
    let b = Scripted::new("b", 0, server_error());
    let mut model = limited(route("m", &[&a, &b], 0, &[]), 0, Some(1), None);
    model.strategy = Strategy::LowestCost;
    model.deployments[0].cost_rank = Some(1);
    model.deployments[1].cost_rank = Some(2);
    let model = limited(model, 1, Some(1), None);
    let (r, _clock) = with_clock(router(&[&a, &b], vec![model]));
    let m = r.resolve("m").unwrap();
    let ids: Vec<Option<String>> = [
        r.choose_within_quota(&m, 1).await,
        r.choose_within_quota(&m, 1).await,
        r.choose_within_quota(&m, 1).await,
    ]
    .into_iter()
    .map(|d| d.map(|d| d.id.clone()))
    .collect();
    assert_eq!(ids, [Some("a/m".into()), Some("b/m".into()), None]);
}
