#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Exact cost: the provider's own figure when it gives one, else the catalog × reported usage;
//! shown to the caller (headers, `usage.cost`, the final stream frame) and recorded, attributed
//! to the key, in one spend-log row per request. Unknown prices are flagged, never $0.

mod common;

use common::sse_events;
use serde_json::{Value, json};
use tollgate_store::{Budget, BudgetPeriod, NewApiKey, SpendCostSource};
use tollgate_types::NanoUsd;

fn hello(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hello there"}]})
}

/// gpt-4o-mini in the catalog: $0.15 / $0.60 per million tokens, cached input $0.075.
/// "hello there" = 2 prompt tokens; "echo: hello there" = 3 completion tokens.
const GPT_4O_MINI_HELLO: NanoUsd = NanoUsd(2 * 150 + 3 * 600);

#[tokio::test]
async fn catalog_cost_in_headers_and_body() {
    let gateway = common::start().await;
    let reply = gateway
        .post_json("/v1/chat/completions", &hello("gpt-upstream"))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("x-tollgate-cost-usd"),
        Some(GPT_4O_MINI_HELLO.to_string().as_str())
    );
    assert_eq!(reply.header("x-tollgate-cost-source"), Some("catalog"));

    // An Anthropic caller on the same model gets the canonical rendering, with usage.cost.
    let reply = gateway
        .post_anthropic(&json!({"model": "gpt-upstream", "max_tokens": 50, "messages": [{"role": "user", "content": "hello there"}]}))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    // Written from the exact decimal, with no float noise (parsing it would round-trip via f64).
    assert!(
        reply.text().contains(r#""cost":0.0000021"#),
        "{}",
        reply.text()
    );
    assert_eq!(reply.json()["usage"]["cost_source"], "catalog");
}

#[tokio::test]
async fn cached_tokens_are_priced_at_the_cache_rate() {
    let gateway = common::start().await;
    // 4 prompt words, half reported cached; 5 completion words.
    let reply = gateway
        .post_json(
            "/v1/chat/completions",
            &json!({"model": "gpt-upstream", "messages": [{"role": "user", "content": "CACHED one two three"}]}),
        )
        .await;
    assert_eq!(reply.status, 200);
    let expected = NanoUsd(2 * 150 + 2 * 75 + 5 * 600);
    assert_eq!(
        reply.header("x-tollgate-cost-usd"),
        Some(expected.to_string().as_str())
    );
}

#[tokio::test]
async fn the_providers_own_cost_wins() {
    let gateway = common::start().await;
    // The fake OpenRouter charges 1e-6 per prompt token and 2e-6 per completion token.
    let reply = gateway
        .post_json("/v1/chat/completions", &hello("router-upstream"))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-tollgate-cost-usd"), Some("0.000008000"));
    assert_eq!(reply.header("x-tollgate-cost-source"), Some("provider"));

    let mut request = hello("router-upstream");
    request["stream"] = json!(true);
    request["stream_options"] = json!({"include_usage": true});
    let reply = gateway.post_json("/v1/chat/completions", &request).await;
    let events = sse_events(&reply.text());
    let usage_frame = &events[events.len() - 2].1;
    assert!(usage_frame.contains(r#""cost":0.000008"#), "{usage_frame}");
    assert!(
        usage_frame.contains(r#""cost_source":"provider""#),
        "{usage_frame}"
    );
}

#[tokio::test]
async fn streams_carry_their_cost_in_the_final_usage_frame() {
    let gateway = common::start().await;
    let mut request = hello("gpt-upstream");
    request["stream"] = json!(true);
    request["stream_options"] = json!({"include_usage": true});
    let reply = gateway.post_json("/v1/chat/completions", &request).await;
    let events = sse_events(&reply.text());
    let usage_frame = &events[events.len() - 2].1;
    assert!(usage_frame.contains(r#""cost":0.0000021"#), "{usage_frame}");

    let reply = gateway
        .post_anthropic(&json!({"model": "gpt-upstream", "max_tokens": 50, "stream": true, "messages": [{"role": "user", "content": "hello there"}]}))
        .await;
    let events = sse_events(&reply.text());
    let delta = &events
        .iter()
        .find(|(name, _)| name.as_deref() == Some("message_delta"))
        .unwrap()
        .1;
    assert!(delta.contains(r#""cost":0.0000021"#), "{delta}");
    assert!(delta.contains(r#""cost_source":"catalog""#), "{delta}");
}

#[tokio::test]
async fn every_request_gets_one_row_attributed_to_its_key_and_costs_add_up() {
    let gateway = common::start().await;
    let created = gateway
        .store
        .create_key(NewApiKey {
            metadata: json!({"tags": ["team-a", "batch"]}),
            ..NewApiKey::named("spender")
        })
        .await
        .unwrap();
    let key = created.secret.clone();
    let auth = format!("Bearer {key}");
    let mut told = NanoUsd::ZERO;
    let mut requests = 0;
    for model in [
        "gpt-upstream",
        "router-upstream",
        "claude-upstream",
        "gemini-upstream",
        "broken-upstream",
    ] {
        for stream in [false, true] {
            let mut body = hello(model);
            if stream {
                body["stream"] = json!(true);
                body["stream_options"] = json!({"include_usage": true});
            }
            let reply = gateway
                .send(
                    "POST",
                    "/v1/chat/completions",
                    &[("authorization", &auth)],
                    serde_json::to_vec(&body).unwrap().into(),
                )
                .await;
            requests += 1;
            if let Some(cost) = reply.header("x-tollgate-cost-usd") {
                told = told.checked_add(NanoUsd::parse_usd(cost).unwrap()).unwrap();
            } else if stream && reply.status == 200 {
                let events = sse_events(&reply.text());
                let frame = &events[events.len() - 2].1;
                // Read the number's exact text, not an f64.
                if let Some(at) = frame.find(r#""cost":"#) {
                    let text: String = frame[at + 7..]
                        .chars()
                        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == 'e' || *c == '-')
                        .collect();
                    told = told
                        .checked_add(NanoUsd::parse_usd(&text).unwrap())
                        .unwrap();
                }
            }
        }
    }
    // A bad request after auth is a row too (status 400, nothing spent).
    let reply = gateway
        .send(
            "POST",
            "/v1/chat/completions",
            &[("authorization", &auth)],
            "not json".into(),
        )
        .await;
    assert_eq!(reply.status, 400);
    requests += 1;

    let rows = gateway.spend_rows(requests).await;
    assert_eq!(rows.len(), requests, "one row per request");
    assert!(
        rows.iter()
            .all(|r| r.key_id.as_deref() == Some(created.key.id.as_str()))
    );
    assert!(rows.iter().all(|r| r.tags == ["team-a", "batch"]));
    let recorded: i64 = rows.iter().filter_map(|r| r.cost).map(|c| c.0).sum();
    assert_eq!(
        NanoUsd(recorded),
        told,
        "the log adds up to exactly what callers were told"
    );
    let failed: Vec<_> = rows
        .iter()
        .filter(|r| r.requested_model == "broken-upstream")
        .collect();
    assert_eq!(failed.len(), 2);
    assert!(
        failed
            .iter()
            .all(|r| r.status == 502 && r.error_class.is_some())
    );
    let streamed = rows
        .iter()
        .find(|r| r.requested_model == "claude-upstream" && r.status == 200 && r.ttft_ms.is_some())
        .expect("a streamed claude row");
    assert_eq!(streamed.usage.output_tokens, 3);
    assert_eq!(streamed.provider.as_deref(), Some("fake-anthropic"));

    // Settled spend on the key equals the log.
    gateway.writer.shutdown().await.unwrap();
    let key_now = gateway
        .store
        .get_key(&created.key.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(key_now.spend, NanoUsd(recorded));
}

#[tokio::test]
async fn unknown_prices_are_flagged_never_zero_and_budgeted_keys_are_refused_them() {
    let gateway = common::start().await;
    let reply = gateway
        .post_json(
            "/v1/chat/completions",
            &hello("fake-openai/model-nobody-prices"),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("x-tollgate-cost-usd"), None);
    let rows = gateway.spend_rows(1).await;
    assert_eq!(rows[0].cost_source, SpendCostSource::Unpriced);
    assert_eq!(rows[0].cost, None, "unpriced is not $0");

    let budgeted = gateway
        .store
        .create_key(NewApiKey {
            budget: Some(Budget::new(NanoUsd(1_000_000_000), BudgetPeriod::Monthly)),
            ..NewApiKey::named("budgeted")
        })
        .await
        .unwrap();
    let auth = format!("Bearer {}", budgeted.secret);
    let body = serde_json::to_vec(&hello("fake-openai/model-nobody-prices")).unwrap();
    let reply = gateway
        .send(
            "POST",
            "/v1/chat/completions",
            &[("authorization", &auth)],
            body.into(),
        )
        .await;
    assert_eq!(reply.status, 403, "{}", reply.text());
    assert_eq!(reply.json()["error"]["code"], "model_unpriced");
    let hits_before = gateway.mock.total_hits();
    let body = serde_json::to_vec(&hello("gpt-upstream")).unwrap();
    let reply = gateway
        .send(
            "POST",
            "/v1/chat/completions",
            &[("authorization", &auth)],
            body.into(),
        )
        .await;
    assert_eq!(reply.status, 200, "a priced model is fine");
    assert_eq!(gateway.mock.total_hits(), hits_before + 1);
}

#[tokio::test]
async fn metrics_count_requests_cost_and_unpriced_calls() {
    let gateway = common::start().await;
    let reply = gateway
        .post_json("/v1/chat/completions", &hello("gpt-upstream"))
        .await;
    assert_eq!(reply.status, 200);
    let told = reply
        .header("x-tollgate-cost-usd")
        .map(|c| NanoUsd::parse_usd(c).unwrap())
        .unwrap();
    let reply = gateway
        .post_json(
            "/v1/chat/completions",
            &hello("fake-openai/model-nobody-prices"),
        )
        .await;
    assert_eq!(reply.status, 200);
    let reply = gateway
        .post_json("/v1/chat/completions", &hello("no-such-model"))
        .await;
    assert_eq!(reply.status, 404);

    let metrics = gateway
        .send("GET", "/metrics", &[], bytes::Bytes::new())
        .await;
    assert_eq!(metrics.status, 200, "public, like the health probes");
    let text = metrics.text();
    assert!(
        text.contains(r#"tollgate_requests_total{model="gpt-upstream",provider="fake-openai",status="200",error=""} 1"#),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            r#"tollgate_cost_nanousd_total{{model="gpt-upstream",provider="fake-openai",source="catalog"}} {}"#,
            told.0
        )),
        "{text}"
    );
    assert!(
        text.contains(r#"tollgate_unpriced_requests_total{model="fake-openai/model-nobody-prices",provider="fake-openai"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"tollgate_requests_total{model="-",provider="-",status="404",error="model_not_found"} 1"#),
        "a name the caller typed does not become a label: {text}"
    );
    assert!(
        text.contains("tollgate_request_duration_seconds_bucket"),
        "{text}"
    );
}
