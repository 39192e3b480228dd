#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Chaos: 1,000 requests while 30% of upstream calls fail in random ways (500, 429 with
//! retry-after, 529, reset connections, invalid JSON) across three deployments of two providers.
//! Every request is served by a retry or the fallback, every one is logged, what callers were told
//! adds up to the log exactly, and failing deployments are seen cooling down.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;
use tollgate_types::NanoUsd;

const REQUESTS: usize = 1_000;

fn cost_in(frame: &str) -> Option<NanoUsd> {
    let at = frame.find("\"cost\":")?;
    let text: String = frame[at + 7..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
        .collect();
    NanoUsd::parse_usd(&text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_is_served_through_random_upstream_failures() {
    let gateway = Arc::new(common::start().await);
    // Every call runs under a budget, so the books are checked on both sides: the spend log and
    // the budget counters must agree to the nano-dollar, with nothing left reserved.
    let created = gateway
        .store
        .create_key(tollgate_store::NewApiKey {
            budget: Some(tollgate_store::Budget::new(
                NanoUsd::parse_usd("100").unwrap(),
                tollgate_store::BudgetPeriod::Monthly,
            )),
            ..tollgate_store::NewApiKey::named("chaos")
        })
        .await
        .unwrap();
    let (key_id, secret) = (created.key.id.clone(), Arc::new(created.secret));
    let told = Arc::new(AtomicI64::new(0));
    let saw_cooldown = Arc::new(AtomicBool::new(false));
    let stop_watching = Arc::new(AtomicBool::new(false));

    let watcher = {
        let (gateway, saw_cooldown, stop) =
            (gateway.clone(), saw_cooldown.clone(), stop_watching.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let router = gateway.state.router();
                let model = router.model("chaotic").unwrap();
                if model.deployments.iter().any(|d| d.health.is_cooling()) {
                    saw_cooldown.store(true, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        })
    };

    let results: Vec<(u16, String)> = futures_util::stream::iter(0..REQUESTS)
        .map(|i| {
            let (gateway, told, secret) = (gateway.clone(), told.clone(), secret.clone());
            async move {
                let stream = i % 2 == 0;
                let mut body = json!({"model": "chaotic", "messages": [{"role": "user", "content": format!("chaos {i}")}]});
                if stream {
                    body["stream"] = json!(true);
                    body["stream_options"] = json!({"include_usage": true});
                }
                let auth = format!("Bearer {secret}");
                let reply = gateway
                    .send(
                        "POST",
                        "/v1/chat/completions",
                        &[("authorization", &auth)],
                        serde_json::to_vec(&body).unwrap().into(),
                    )
                    .await;
                let cost = if stream {
                    reply.text().split("\n\n").filter(|f| f.contains("\"usage\":{")).find_map(cost_in)
                } else {
                    reply.header("x-tollgate-cost-usd").and_then(NanoUsd::parse_usd)
                };
                if let Some(cost) = cost {
                    told.fetch_add(cost.0, Ordering::Relaxed);
                }
                (reply.status, reply.text())
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    stop_watching.store(true, Ordering::Relaxed);
    watcher.await.unwrap();

    let failed: Vec<_> = results
        .iter()
        .filter(|(status, _)| *status != 200)
        .collect();
    assert!(
        failed.is_empty(),
        "{} requests failed, e.g. {:?}",
        failed.len(),
        failed.first()
    );
    let streams_with_errors = results
        .iter()
        .filter(|(_, text)| text.contains("\"error\""))
        .count();
    assert_eq!(streams_with_errors, 0, "a failure leaked into a stream");

    let rows = gateway.spend_rows(REQUESTS).await;
    assert_eq!(rows.len(), REQUESTS, "one spend row per request");
    assert!(rows.iter().all(|r| r.status == 200));
    let retried = rows.iter().filter(|r| r.attempts > 1).count();
    let by_fallback = rows
        .iter()
        .filter(|r| r.deployment.as_deref() == Some("fake-openai/gpt-4o-mini"))
        .count();
    let attempts_total: u32 = rows.iter().map(|r| r.attempts).sum();
    eprintln!(
        "chaos: {retried} retried, {by_fallback} served by the fallback, {attempts_total} attempts"
    );
    // ~30% of first attempts fail; cooldowns send some traffic straight to the fallback.
    assert!(
        retried > 100,
        "only {retried} requests needed a retry: the chaos did not happen"
    );
    assert!(by_fallback > 0, "the fallback model was never needed");
    assert!(
        by_fallback < REQUESTS / 2,
        "the flaky deployments hardly served: {by_fallback}"
    );
    let recorded: i64 = rows.iter().filter_map(|r| r.cost).map(|c| c.0).sum();
    assert_eq!(
        NanoUsd(recorded),
        NanoUsd(told.load(Ordering::Relaxed)),
        "the books balance"
    );
    // The budget settled exactly what the log recorded, and holds nothing any more.
    let mut explained = serde_json::Value::Null;
    for _ in 0..100 {
        explained = gateway
            .get(&format!("/admin/v1/budgets/explain?key_id={key_id}"))
            .await
            .json();
        if explained["budgets"][0]["reserved_usd"] == "0.000000000" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let budget = &explained["budgets"][0];
    assert_eq!(budget["reserved_usd"], "0.000000000", "{explained}");
    assert_eq!(
        NanoUsd::parse_usd(budget["spent_usd"].as_str().unwrap()),
        Some(NanoUsd(recorded)),
        "the budget and the spend log disagree"
    );
    assert!(
        saw_cooldown.load(Ordering::Relaxed),
        "no failing deployment was ever seen cooling down"
    );
    let hits = gateway.mock.total_hits() as usize;
    let attempts: usize = rows.iter().map(|r| r.attempts as usize).sum();
    assert_eq!(
        hits, attempts,
        "every attempt the log records reached the upstream once"
    );
}
