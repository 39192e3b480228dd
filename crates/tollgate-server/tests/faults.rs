#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Upstream faults seen from the caller's side: a real HTTP client → the gateway → fake providers
//! that fail on purpose. For each fault: what the client gets (the fallback's answer, or an error
//! in its dialect), how often each fake deployment was hit, and the spend-log row.
//!
//! Most tests use three models over the faulty deployment: `primary` (falls back to `backup`,
//! Claude on the fake Anthropic), `alone` (the same fault, no fallback) and `backup` itself.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Fakes, Gateway, Reply};
use serde_json::{Value, json};
use tollgate_providers::Provider;
use tollgate_router::{
    Backoff, CooldownPolicy, Deployment, DeploymentLimits, ModelKind, ModelRoute, Router, Strategy,
};
use tollgate_store::SpendRecord;
use tollgate_types::NanoUsd;

const BACKUP: &str = "fake-anthropic/claude-sonnet-4-5";
const PROMPT: &str = "one two three four five six";

fn model(name: &str, deployments: Vec<Deployment>, fallbacks: &[&str]) -> ModelRoute {
    ModelRoute {
        name: name.into(),
        kind: ModelKind::Chat,
        deployments,
        retries: 0,
        fallbacks: fallbacks.iter().map(|f| f.to_string()).collect(),
        strategy: Strategy::Weighted,
        context_fallbacks: vec![],
    }
}

/// `primary` and `alone` on `fault` (`alone` on `<fault>-alone`, so hits are told apart) served
/// by `provider`, each deployment adjusted by `tune`; `backup` on the fake Anthropic.
fn routes(
    fakes: &Fakes,
    provider: Arc<dyn Provider>,
    fault: &str,
    tune: impl Fn(Deployment) -> Deployment,
) -> Vec<ModelRoute> {
    let price = fakes.deployment("fake-openai", "x", "gpt-4o-mini").price;
    let faulty = |upstream: String| {
        tune(
            Deployment::new(
                provider.clone(),
                tollgate_providers::Target::new(upstream, Duration::from_secs(10)),
            )
            .with_price(price.clone()),
        )
    };
    vec![
        model("primary", vec![faulty(fault.to_string())], &["backup"]),
        model("alone", vec![faulty(format!("{fault}-alone"))], &[]),
        model(
            "backup",
            vec![fakes.deployment("fake-anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5")],
            &[],
        ),
    ]
}

/// Fast backoff; cooldowns only when an upstream asks for one (`retry-after`), so hit counts
/// follow the requests.
fn router(fakes: &Fakes, routes: Vec<ModelRoute>) -> Router {
    Router::new(
        fakes.providers.clone(),
        routes,
        false,
        Duration::from_secs(10),
    )
    .with_cooldown(CooldownPolicy {
        failures: 1_000,
        window: Duration::from_secs(60),
        cooldown: Duration::from_secs(1),
        max_retry_after: Duration::from_secs(10),
    })
    .with_backoff(Backoff {
        base: Duration::from_millis(1),
        max: Duration::from_millis(2),
        max_retry_after: Duration::from_millis(2),
    })
}

async fn gateway_on(
    provider: impl FnOnce(&Fakes) -> Arc<dyn Provider>,
    fault: &str,
    tune: impl Fn(Deployment) -> Deployment,
) -> Gateway {
    common::start_routed(|fakes| {
        let provider = provider(fakes);
        router(fakes, routes(fakes, provider, fault, tune))
    })
    .await
}

async fn gateway(fault: &str) -> Gateway {
    gateway_on(|f| f.providers["fake-openai"].clone(), fault, |d| d).await
}

fn body(model: &str, stream: bool) -> Value {
    let mut body = json!({"model": model, "messages": [{"role": "user", "content": PROMPT}]});
    if stream {
        body["stream"] = json!(true);
        body["stream_options"] = json!({"include_usage": true});
    }
    body
}

async fn ask(gateway: &Gateway, model: &str, stream: bool) -> Reply {
    gateway
        .post_json("/v1/chat/completions", &body(model, stream))
        .await
}

/// The spend row of one answer (rows are written a few milliseconds after it).
async fn row_of(gateway: &Gateway, reply: &Reply) -> SpendRecord {
    let id = reply
        .header("x-request-id")
        .expect("request id")
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let rows = gateway.spend_rows(0).await;
        if let Some(row) = rows.into_iter().find(|row| row.request_id == id) {
            return row;
        }
        assert!(Instant::now() < deadline, "no spend row for {id}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn header_cost(reply: &Reply) -> NanoUsd {
    NanoUsd::parse_usd(reply.header("x-tollgate-cost-usd").expect("cost header")).unwrap()
}

/// The fallback answered: the client sees Claude's answer in OpenAI's shape, the row says two
/// attempts, no error, and the cost the client was told.
async fn assert_served_by_backup(gateway: &Gateway, reply: &Reply, stream: bool) -> SpendRecord {
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("x-tollgate-deployment"), Some(BACKUP));
    assert_eq!(reply.header("x-tollgate-attempts"), Some("2"));
    if stream {
        let text = reply.text();
        assert!(text.contains("[DONE]"), "{text}");
        assert!(!text.contains("\"error\""), "{text}");
        assert!(text.contains("echo"), "{text}");
    } else {
        let answer = reply.json();
        assert_eq!(
            answer["choices"][0]["message"]["content"],
            format!("echo: {PROMPT}")
        );
    }
    let row = row_of(gateway, reply).await;
    assert_eq!(row.status, 200);
    assert_eq!(row.attempts, 2);
    assert_eq!(row.error_class, None);
    assert_eq!(row.deployment.as_deref(), Some(BACKUP));
    assert!(row.cost.unwrap() > NanoUsd::ZERO);
    if !stream {
        assert_eq!(row.cost, Some(header_cost(reply)));
    }
    row
}

/// No fallback: the client gets `status` with `code` in OpenAI's error shape; the row records
/// the one attempt, the error class and that nothing was spent.
async fn assert_failed(gateway: &Gateway, reply: &Reply, status: u16, code: &str) -> SpendRecord {
    assert_eq!(reply.status, status, "{}", reply.text());
    let error = &reply.json()["error"];
    assert_eq!(error["code"], code, "{error}");
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(error.get("type").is_some());
    let row = row_of(gateway, reply).await;
    assert_eq!(row.status, status);
    assert_eq!(row.attempts, 1);
    assert_eq!(row.error_class.as_deref(), Some(code));
    assert_eq!(row.cost, Some(NanoUsd::ZERO));
    row
}

/// A retryable fault: the fallback answers (plain and streamed), and without one the client gets
/// the mapped error. Returns the hits of the faulty deployments (`primary`, `alone`).
async fn retryable_fault(gateway: &Gateway, fault: &str, status: u16, code: &str) {
    for stream in [false, true] {
        let reply = ask(gateway, "primary", stream).await;
        assert_served_by_backup(gateway, &reply, stream).await;
    }
    let reply = ask(gateway, "alone", false).await;
    assert_failed(gateway, &reply, status, code).await;
    assert_eq!(gateway.mock.hits_for_model(fault), 2, "{fault}");
    assert_eq!(gateway.mock.hits_for_model(&format!("{fault}-alone")), 1);
    assert_eq!(gateway.mock.hits_for_model("claude-sonnet-4-5"), 2);
}

#[tokio::test]
async fn server_error_500_falls_back() {
    let gateway = gateway("fail-500").await;
    retryable_fault(&gateway, "fail-500", 502, "server_error").await;
}

#[tokio::test]
async fn overloaded_529_falls_back() {
    let gateway = gateway_on(|f| f.providers["fake-anthropic"].clone(), "fail-529", |d| d).await;
    retryable_fault(&gateway, "fail-529", 503, "upstream_overloaded").await;
}

#[tokio::test]
async fn connection_reset_falls_back() {
    let gateway = gateway("reset").await;
    retryable_fault(&gateway, "reset", 502, "upstream_connection_error").await;
}

#[tokio::test]
async fn invalid_json_falls_back() {
    let gateway = gateway("bad-json").await;
    retryable_fault(&gateway, "bad-json", 502, "upstream_bad_response").await;
}

#[tokio::test]
async fn wrong_content_type_falls_back() {
    let gateway = gateway("wrong-ctype").await;
    retryable_fault(&gateway, "wrong-ctype", 502, "upstream_bad_response").await;
}

#[tokio::test]
async fn connection_refused_falls_back() {
    let gateway = gateway_on(|f| f.unreachable("dead"), "gpt-4o-mini", |d| d).await;
    for stream in [false, true] {
        let reply = ask(&gateway, "primary", stream).await;
        assert_served_by_backup(&gateway, &reply, stream).await;
    }
    let reply = ask(&gateway, "alone", false).await;
    let row = assert_failed(&gateway, &reply, 503, "upstream_connect_error").await;
    assert_eq!(row.deployment.as_deref(), Some("dead/gpt-4o-mini-alone"));
    // Nothing listens there: only the backup ever saw a request.
    assert_eq!(gateway.mock.total_hits(), 2);
    assert_eq!(gateway.mock.hits_for_model("claude-sonnet-4-5"), 2);
}

#[tokio::test]
async fn hang_hits_the_first_byte_timeout_then_falls_back() {
    let gateway = gateway_on(
        |f| f.providers["fake-openai"].clone(),
        "hang",
        |mut d| {
            d.target.first_byte_timeout = Duration::from_millis(200);
            d
        },
    )
    .await;
    let started = Instant::now();
    retryable_fault(&gateway, "hang", 504, "upstream_timeout").await;
    // Three calls met the hang, each cut at 200 ms.
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn slow_first_byte_within_the_timeout_is_served_late() {
    let gateway = gateway_on(
        |f| f.providers["fake-openai"].clone(),
        "slow-300",
        |mut d| {
            d.target.first_byte_timeout = Duration::from_secs(2);
            d
        },
    )
    .await;
    let reply = ask(&gateway, "primary", false).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("x-tollgate-deployment"),
        Some("fake-openai/slow-300")
    );
    let row = row_of(&gateway, &reply).await;
    assert_eq!((row.status, row.attempts), (200, 1));
    assert!(row.ttft_ms.unwrap() >= 300, "{:?}", row.ttft_ms);
    assert_eq!(row.cost, Some(header_cost(&reply)));
    assert_eq!(gateway.mock.hits_for_model("claude-sonnet-4-5"), 0);
}

#[tokio::test]
async fn a_stream_whose_first_event_is_too_slow_falls_back() {
    // Headers at once, the first event after 1 s: past the 200 ms first-byte budget.
    let gateway = gateway_on(
        |f| f.providers["fake-openai"].clone(),
        "slow-first-event-1000",
        |mut d| {
            d.target.first_byte_timeout = Duration::from_millis(200);
            d
        },
    )
    .await;
    let reply = ask(&gateway, "primary", true).await;
    assert_served_by_backup(&gateway, &reply, true).await;
    let reply = ask(&gateway, "alone", true).await;
    // Nothing was sent yet, so the failure is still an ordinary error answer.
    let row = assert_failed(&gateway, &reply, 504, "upstream_timeout").await;
    assert_eq!(row.usage, tollgate_types::Usage::default());
    assert_eq!(gateway.mock.hits_for_model("slow-first-event-1000"), 1);
}

#[tokio::test]
async fn client_errors_400_and_provider_401_are_not_retried() {
    let bad_request = gateway("fail-400").await;
    let reply = ask(&bad_request, "primary", false).await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(reply.json()["error"]["type"], "invalid_request_error");
    let row = row_of(&bad_request, &reply).await;
    assert_eq!((row.status, row.attempts), (400, 1));
    assert_eq!(bad_request.mock.hits_for_model("fail-400"), 1);
    assert_eq!(bad_request.mock.hits_for_model("claude-sonnet-4-5"), 0);

    // The provider refusing Tollgate's own key is a gateway problem (502), not the caller's.
    let bad_key = gateway("fail-401").await;
    let reply = ask(&bad_key, "primary", true).await;
    assert_eq!(reply.status, 502, "{}", reply.text());
    assert_eq!(
        reply.json()["error"]["code"],
        "upstream_authentication_error"
    );
    let row = row_of(&bad_key, &reply).await;
    assert_eq!((row.status, row.attempts), (502, 1));
    assert_eq!(row.cost, Some(NanoUsd::ZERO));
    assert_eq!(bad_key.mock.hits_for_model("fail-401"), 1);
    assert_eq!(bad_key.mock.hits_for_model("claude-sonnet-4-5"), 0);
}

#[tokio::test]
async fn a_429_with_retry_after_cools_the_deployment_down_for_that_long() {
    let gateway = gateway("fail-429-retry-1500").await;
    let primary_hits = || gateway.mock.hits_for_model("fail-429-retry-1500");

    let first = ask(&gateway, "primary", false).await;
    assert_served_by_backup(&gateway, &first, false).await;
    assert_eq!(primary_hits(), 1);
    let health = gateway.state.router().model("primary").unwrap().deployments[0]
        .health
        .clone();
    assert!(health.is_cooling());
    let remaining = health.cooldown_remaining();
    assert!(
        remaining > Duration::from_millis(1200) && remaining <= Duration::from_millis(1500),
        "{remaining:?}"
    );

    // While it cools, the next calls skip it: one attempt, straight to the backup.
    for stream in [false, true] {
        let reply = ask(&gateway, "primary", stream).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("x-tollgate-deployment"), Some(BACKUP));
        assert_eq!(reply.header("x-tollgate-attempts"), Some("1"));
        let row = row_of(&gateway, &reply).await;
        assert_eq!((row.attempts, row.status), (1, 200));
    }
    assert_eq!(primary_hits(), 1, "a cooling deployment is not called");

    // Once the upstream's wait is over it is tried again.
    tokio::time::sleep(remaining + Duration::from_millis(50)).await;
    let reply = ask(&gateway, "primary", false).await;
    assert_served_by_backup(&gateway, &reply, false).await;
    assert_eq!(primary_hits(), 2);

    // Without a fallback the caller gets the 429 and the wait, in its own dialect.
    let reply = ask(&gateway, "alone", false).await;
    let row = assert_failed(&gateway, &reply, 429, "rate_limit_exceeded").await;
    assert_eq!(reply.header("retry-after"), Some("2"));
    assert_eq!(
        row.deployment.as_deref(),
        Some("fake-openai/fail-429-retry-1500-alone")
    );
}

#[tokio::test]
async fn a_stream_cut_after_bytes_reached_the_client_ends_with_an_error_event_and_settles() {
    // The fake Anthropic reports input usage in `message_start`, so the partial call has a cost.
    let gateway = gateway_on(
        |f| f.providers["fake-anthropic"].clone(),
        "cut-stream",
        |d| d,
    )
    .await;
    let reply = ask(&gateway, "primary", true).await;
    assert_eq!(reply.status, 200);
    let events = common::sse_events(&reply.text());
    let (_, last) = events.last().unwrap();
    assert!(!reply.text().contains("[DONE]"), "{}", reply.text());
    let error: Value = serde_json::from_str(last).unwrap();
    assert_eq!(
        error["error"]["code"], "upstream_connection_error",
        "{last}"
    );
    assert!(
        events
            .iter()
            .any(|(_, data)| data.contains("\"content\":\"echo")),
        "content reached the client first: {events:?}"
    );
    let row = row_of(&gateway, &reply).await;
    assert_eq!(row.status, 502);
    assert_eq!(row.attempts, 1);
    assert_eq!(
        row.error_class.as_deref(),
        Some("upstream_connection_error")
    );
    assert_eq!(row.usage.input_tokens, 6);
    assert!(
        row.cost.unwrap() > NanoUsd::ZERO,
        "the partial usage is paid for"
    );
    // Too late to fall back: the client already had part of an answer.
    assert_eq!(gateway.mock.hits_for_model("cut-stream"), 1);
    assert_eq!(gateway.mock.hits_for_model("claude-sonnet-4-5"), 0);

    // An Anthropic caller gets Anthropic's `error` event.
    let reply = gateway
        .post_anthropic(
            &json!({"model": "primary", "max_tokens": 50, "stream": true,
            "messages": [{"role": "user", "content": PROMPT}]}),
        )
        .await;
    assert_eq!(reply.status, 200);
    let events = common::sse_events(&reply.text());
    let (name, data) = events.last().unwrap();
    assert_eq!(name.as_deref(), Some("error"), "{events:?}");
    let error: Value = serde_json::from_str(data).unwrap();
    assert_eq!(error["type"], "error");
    assert!(error["error"]["type"].is_string());
    assert!(
        !events
            .iter()
            .any(|(name, _)| name.as_deref() == Some("message_stop"))
    );
    let row = row_of(&gateway, &reply).await;
    assert_eq!(row.status, 502);
    assert!(row.cost.unwrap() > NanoUsd::ZERO);
}

#[tokio::test]
async fn a_stream_that_stops_without_its_final_event_is_an_error_with_partial_usage() {
    // The fake Gemini reports running usage on every event; the body ends cleanly after two
    // words, without a finish reason.
    let gateway = common::start_routed(|fakes| {
        let gemini = fakes.deployment("fake-gemini", "truncate-stream", "gemini-2.5-flash");
        router(fakes, vec![model("gem", vec![gemini], &[])])
    })
    .await;
    let reply = ask(&gateway, "gem", true).await;
    assert_eq!(reply.status, 200);
    let text = reply.text();
    assert!(!text.contains("[DONE]"), "{text}");
    let events = common::sse_events(&text);
    let error: Value = serde_json::from_str(&events.last().unwrap().1).unwrap();
    assert_eq!(
        error["error"]["code"], "upstream_connection_error",
        "{text}"
    );
    let row = row_of(&gateway, &reply).await;
    assert_eq!(row.status, 502);
    assert_eq!(
        row.error_class.as_deref(),
        Some("upstream_connection_error")
    );
    assert_eq!(row.usage.input_tokens, 6);
    assert_eq!(row.usage.output_tokens, 2, "the words sent before the stop");
    assert!(row.cost.unwrap() > NanoUsd::ZERO);
    assert_eq!(gateway.mock.hits_for_model("truncate-stream"), 1);
}

#[tokio::test]
async fn a_stream_that_goes_silent_hits_the_idle_timeout() {
    let gateway = gateway_on(
        |f| f.providers["fake-openai"].clone(),
        "stall-stream",
        |mut d| {
            d.target.stream_idle_timeout = Duration::from_millis(300);
            d
        },
    )
    .await;
    let started = Instant::now();
    let reply = ask(&gateway, "primary", true).await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(reply.status, 200);
    let events = common::sse_events(&reply.text());
    assert!(
        events
            .iter()
            .any(|(_, data)| data.contains("\"content\":\"echo")),
        "{events:?}"
    );
    let error: Value = serde_json::from_str(&events.last().unwrap().1).unwrap();
    assert_eq!(error["error"]["code"], "stream_idle_timeout");
    let row = row_of(&gateway, &reply).await;
    assert_eq!(row.status, 504);
    assert_eq!(row.error_class.as_deref(), Some("stream_idle_timeout"));
    assert_eq!(row.attempts, 1);
    assert_eq!(gateway.mock.hits_for_model("stall-stream"), 1);
    assert_eq!(gateway.mock.hits_for_model("claude-sonnet-4-5"), 0);
    // The gateway let go of the silent upstream.
    let released = Instant::now();
    while gateway.mock.open_streams() > 0 {
        assert!(released.elapsed() < Duration::from_secs(2));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn the_total_deadline_ends_the_call_with_a_504_and_every_attempt_logged() {
    // `primary` gets 400 ms in all; its deployment takes 2 s to say anything.
    let gateway = common::start_routed(|fakes| {
        let mut routes = routes(
            fakes,
            fakes.providers["fake-openai"].clone(),
            "slow-first-event-2000",
            |d| d,
        );
        routes.push(model(
            "quick",
            vec![fakes.deployment("fake-openai", "fail-500", "gpt-4o-mini")],
            &["primary"],
        ));
        router(fakes, routes)
            .with_model_deadline("primary", Duration::from_millis(400))
            .with_model_deadline("quick", Duration::from_millis(400))
    })
    .await;
    for stream in [false, true] {
        let started = Instant::now();
        let reply = ask(&gateway, "primary", stream).await;
        let took = started.elapsed();
        assert!(took < Duration::from_millis(1500), "{took:?}");
        let row = assert_failed(&gateway, &reply, 504, "deadline_exceeded").await;
        assert_eq!(
            row.deployment.as_deref(),
            Some("fake-openai/slow-first-event-2000")
        );
    }
    // A fast failure, then the slow fallback: both attempts are in the row.
    let reply = ask(&gateway, "quick", false).await;
    assert_eq!(reply.status, 504, "{}", reply.text());
    let row = row_of(&gateway, &reply).await;
    assert_eq!(row.attempts, 2);
    assert_eq!(row.error_class.as_deref(), Some("deadline_exceeded"));
    // The backup of `primary` was never reached: the deadline was spent.
    assert_eq!(gateway.mock.hits_for_model("claude-sonnet-4-5"), 0);
    assert_eq!(gateway.mock.hits_for_model("slow-first-event-2000"), 3);
}

#[tokio::test]
async fn a_deadline_long_enough_still_lets_the_fallback_answer() {
    let gateway = common::start_routed(|fakes| {
        let routes = routes(
            fakes,
            fakes.providers["fake-openai"].clone(),
            "hang",
            |mut d| {
                d.target.first_byte_timeout = Duration::from_millis(150);
                d
            },
        );
        router(fakes, routes).with_default_deadline(Some(Duration::from_secs(3)))
    })
    .await;
    let reply = ask(&gateway, "primary", true).await;
    assert_served_by_backup(&gateway, &reply, true).await;
}

#[tokio::test]
async fn a_deployment_over_its_provider_quota_is_skipped_then_refused_with_429() {
    let gateway = gateway_on(
        |f| f.providers["fake-openai"].clone(),
        "gpt-4o-mini",
        |d| {
            d.with_limits(DeploymentLimits {
                rpm: Some(1),
                tpm: None,
            })
        },
    )
    .await;
    let first = ask(&gateway, "primary", false).await;
    assert_eq!(first.status, 200);
    assert_eq!(
        first.header("x-tollgate-deployment"),
        Some("fake-openai/gpt-4o-mini")
    );
    // Over quota: skipped without a call, like a cooling deployment.
    let second = ask(&gateway, "primary", true).await;
    assert_eq!(second.status, 200);
    assert_eq!(second.header("x-tollgate-deployment"), Some(BACKUP));
    assert_eq!(second.header("x-tollgate-attempts"), Some("1"));
    let row = row_of(&gateway, &second).await;
    assert_eq!((row.status, row.attempts), (200, 1));
    assert_eq!(gateway.mock.hits_for_model("gpt-4o-mini"), 1);

    // No other deployment: 429 `rate_limit_exceeded` with the wait, nothing called.
    assert_eq!(ask(&gateway, "alone", false).await.status, 200);
    let refused = ask(&gateway, "alone", false).await;
    assert_eq!(refused.status, 429, "{}", refused.text());
    assert_eq!(refused.json()["error"]["code"], "rate_limit_exceeded");
    assert_eq!(refused.header("retry-after"), Some("60"));
    let row = row_of(&gateway, &refused).await;
    assert_eq!((row.status, row.attempts), (429, 0));
    assert_eq!(row.error_class.as_deref(), Some("rate_limit_exceeded"));
    assert_eq!(row.cost, Some(NanoUsd::ZERO));
    assert_eq!(gateway.mock.hits_for_model("gpt-4o-mini-alone"), 1);
}

/// An OpenAI-style upstream reports usage only in its last chunk; cut before it, the call is
/// billed on an estimate of what was streamed (never $0 for tokens the provider produced).
#[tokio::test]
async fn an_openai_stream_cut_before_its_usage_chunk_is_billed_on_an_estimate() {
    let gateway = gateway("cut-stream").await;
    let reply = ask(&gateway, "primary", true).await;
    assert_eq!(reply.status, 200);
    assert!(
        reply.text().contains("upstream_connection_error"),
        "{}",
        reply.text()
    );
    let row = row_of(&gateway, &reply).await;
    assert_eq!(row.status, 502);
    assert!(row.usage.output_tokens > 0, "{row:?}");
    assert!(row.usage.input_tokens > 0, "{row:?}");
    assert!(row.cost.unwrap() > NanoUsd::ZERO, "{row:?}");
}
