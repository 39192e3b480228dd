#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Budgets under concurrency (issue 5): the budget is never exceeded by a nano-dollar, nothing
//! that fits is refused, refusals come before any provider call and cost nothing, and no
//! reservation is left behind however calls end.

mod budget_harness;

use std::sync::Arc;
use std::time::Duration;

use budget_harness::{Budgeted, PER_TOKEN, chat, start, total_cost, usd};
use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::json;
use tollgate_server::limits::LimitSettings;
use tollgate_store::{
    Budget, BudgetMode as StoreBudgetMode, BudgetPeriod, NewApiKey, NewTeam, SpendRecord,
};
use tollgate_types::NanoUsd;

fn budget(amount: &str, period: BudgetPeriod) -> Option<Budget> {
    Some(Budget::new(usd(amount), period))
}

fn keyed(name: &str, budget: Option<Budget>) -> NewApiKey {
    NewApiKey {
        budget,
        ..NewApiKey::named(name)
    }
}

/// Sends `bodies` with up to `concurrency` in flight; returns (status, error code) per call.
async fn race(
    gateway: &Arc<Budgeted>,
    calls: Vec<(String, serde_json::Value)>,
    concurrency: usize,
) -> Vec<(u16, String)> {
    futures_util::stream::iter(calls)
        .map(|(secret, body)| {
            let gateway = gateway.clone();
            async move {
                let reply = gateway.chat(&secret, &body).await;
                let code = if reply.status == 200 {
                    String::new()
                } else {
                    reply.code()
                };
                (reply.status, code)
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await
}

fn served(results: &[(u16, String)]) -> usize {
    results.iter().filter(|(status, _)| *status == 200).count()
}

/// Refused rows: status 429, nothing reached a provider, nothing charged.
fn assert_refusals_cost_nothing(rows: &[SpendRecord]) {
    for row in rows.iter().filter(|row| row.status == 429) {
        assert_eq!(row.attempts, 0, "a refusal reached a provider: {row:?}");
        assert!(row.provider.is_none(), "{row:?}");
        assert_eq!(
            row.cost,
            Some(NanoUsd::ZERO),
            "a refusal was charged: {row:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn equal_calls_serve_exactly_floor_of_budget_over_cost() {
    let gateway = Arc::new(start(LimitSettings::default()).await);
    let (key_id, secret) = gateway
        .key(keyed("racer", budget("1.00", BudgetPeriod::None)))
        .await;
    // 10 output tokens at $0.001 = $0.01 a call, exactly what each reserves: 100 fit in $1.
    let calls = (0..500)
        .map(|_| (secret.clone(), chat("metered", 10, false)))
        .collect();
    let results = race(&gateway, calls, 64).await;
    assert_eq!(served(&results), 100, "{results:?}");
    assert!(
        results
            .iter()
            .all(|(status, code)| *status == 200 || (*status == 429 && code == "budget_exceeded")),
        "{results:?}"
    );
    let rows = gateway.spend_rows(500).await;
    assert_eq!(rows.len(), 500);
    assert_eq!(total_cost(&rows), usd("1.00"));
    assert_refusals_cost_nothing(&rows);
    gateway.settled().await;
    let explained = gateway.explain(&key_id).await;
    let key_budget = &explained["budgets"][0];
    assert_eq!(key_budget["spent_usd"], "1.000000000");
    assert_eq!(key_budget["reserved_usd"], "0.000000000");
    assert_eq!(explained["blocked"], true);
    assert_eq!(explained["blocking"], json!([format!("key {key_id}")]));
}

/// Mixed sizes, streams and not, failing upstreams, callers hanging up mid-stream: settled
/// spend never passes the budget, the counters agree with the spend log to the nano-dollar, and
/// nothing stays reserved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_race_never_overspends_and_leaves_nothing_reserved() {
    let gateway = Arc::new(start(LimitSettings::default()).await);
    let (key_id, secret) = gateway
        .key(keyed("mixed", budget("2.50", BudgetPeriod::Monthly)))
        .await;
    let mut tasks = Vec::new();
    for i in 0..500usize {
        let gateway = gateway.clone();
        let secret = secret.clone();
        tasks.push(tokio::spawn(async move {
            let max_tokens = [5, 10, 20, 7][i % 4];
            match i % 10 {
                // Upstream failures: reserved, then released.
                0 => {
                    let reply = gateway
                        .chat(&secret, &chat("metered-failing", max_tokens, false))
                        .await;
                    (reply.status, "failing")
                }
                // Callers that hang up mid-stream: charged what the provider produced.
                1 => (
                    gateway
                        .stream_and_hang_up(&secret, &chat("metered-slow", max_tokens, true))
                        .await,
                    "hung up",
                ),
                2..=4 => {
                    let reply = gateway
                        .chat(&secret, &chat("metered", max_tokens, true))
                        .await;
                    (reply.status, "stream")
                }
                _ => {
                    let reply = gateway
                        .chat(&secret, &chat("metered", max_tokens, false))
                        .await;
                    (reply.status, "plain")
                }
            }
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    assert!(
        outcomes.iter().any(|(status, _)| *status == 429),
        "the budget should run out"
    );
    assert!(outcomes.iter().filter(|(s, _)| *s == 200).count() > 50);
    let rows = gateway.spend_rows(500).await;
    assert_eq!(rows.len(), 500);
    gateway.settled().await;
    let spent = total_cost(&rows);
    assert!(spent <= usd("2.50"), "overspent: {spent}");
    assert_refusals_cost_nothing(&rows);
    for row in rows.iter().filter(|row| row.status == 502) {
        assert_eq!(
            row.cost,
            Some(NanoUsd::ZERO),
            "a failed call was charged: {row:?}"
        );
    }
    let explained = gateway.explain(&key_id).await;
    let key_budget = &explained["budgets"][0];
    assert_eq!(
        usd(key_budget["spent_usd"].as_str().unwrap()),
        spent,
        "the counters and the spend log disagree"
    );
    assert_eq!(key_budget["reserved_usd"], "0.000000000", "{explained}");
    assert_eq!(key_budget["open_reservations"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_budget_is_shared_by_its_keys() {
    let gateway = Arc::new(start(LimitSettings::default()).await);
    let org = gateway.org("acme").await;
    let team = gateway
        .team(NewTeam {
            budget: budget("0.50", BudgetPeriod::Daily),
            ..NewTeam::named(&org.id, "research")
        })
        .await;
    let mut secrets = Vec::new();
    for i in 0..3 {
        let (_, secret) = gateway
            .key(NewApiKey {
                org_id: Some(org.id.clone()),
                team_id: Some(team.id.clone()),
                ..NewApiKey::named(format!("member-{i}"))
            })
            .await;
        secrets.push(secret);
    }
    let calls = (0..300)
        .map(|i| (secrets[i % 3].clone(), chat("metered", 10, i % 2 == 0)))
        .collect();
    let results = race(&gateway, calls, 48).await;
    assert_eq!(served(&results), 50);
    assert!(
        results
            .iter()
            .all(|(s, c)| *s == 200 || c == "budget_exceeded")
    );
    let rows = gateway.spend_rows(300).await;
    assert_eq!(total_cost(&rows), usd("0.50"));
    let refusal = gateway.chat(&secrets[0], &chat("metered", 10, false)).await;
    assert_eq!(refusal.status, 429);
    let message = refusal.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains(&format!("team {}", team.id)), "{message}");
    assert!(message.contains("limit $0.500000000"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daily_budget_starts_over_at_midnight() {
    let gateway = Arc::new(start(LimitSettings::default()).await);
    let (_, secret) = gateway
        .key(keyed("daily", budget("0.10", BudgetPeriod::Daily)))
        .await;
    let calls = (0..40)
        .map(|_| (secret.clone(), chat("metered", 10, false)))
        .collect();
    assert_eq!(served(&race(&gateway, calls, 16).await), 10);
    // Same day: still refused; the refusal says when the window resets.
    let refused = gateway.chat(&secret, &chat("metered", 10, false)).await;
    assert_eq!(refused.status, 429);
    assert!(refused.header("retry-after").is_some());
    gateway.clock.advance(Duration::from_secs(86_400));
    let calls = (0..40)
        .map(|_| (secret.clone(), chat("metered", 10, false)))
        .collect();
    assert_eq!(served(&race(&gateway, calls, 16).await), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_end_users_first_burst_stays_within_the_default_budget() {
    let settings = LimitSettings {
        end_user_budget: Some((usd("0.05"), tollgate_limits::Period::Daily)),
        end_user_header: Some(http::HeaderName::from_static("x-end-user")),
        ..LimitSettings::default()
    };
    let gateway = Arc::new(start(settings).await);
    let (_, secret) = gateway.key(NewApiKey::named("app")).await;
    // 60 calls from a never-seen end user arrive at once: exactly 5 fit in $0.05.
    let calls = (0..60)
        .map(|_| {
            let mut body = chat("metered", 10, false);
            body["user"] = json!("alice");
            (secret.clone(), body)
        })
        .collect();
    let results = race(&gateway, calls, 60).await;
    assert_eq!(served(&results), 5, "{results:?}");
    // Another end user has a budget of their own.
    let mut body = chat("metered", 10, false);
    body["user"] = json!("bob");
    assert_eq!(gateway.chat(&secret, &body).await.status, 200);
    // The configured header wins over the body's field.
    let reply = gateway
        .send(
            "POST",
            "/v1/chat/completions",
            &[
                ("authorization", &format!("Bearer {secret}")),
                ("x-end-user", "alice"),
            ],
            serde_json::to_vec(&body).unwrap().into(),
        )
        .await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.json()["error"]["param"], "end_user");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepaid_credits_are_drawn_to_exactly_zero_and_refilled_by_a_purchase() {
    let gateway = Arc::new(start(LimitSettings::default()).await);
    let org = gateway.org("prepaid").await;
    let bought = gateway
        .admin_post(
            &format!("/admin/v1/organizations/{}/credits", org.id),
            &json!({"amount_usd": "0.30"}),
        )
        .await;
    assert_eq!(
        bought.status,
        201,
        "{}",
        String::from_utf8_lossy(&bought.body)
    );
    let (_, secret) = gateway
        .key(NewApiKey {
            org_id: Some(org.id.clone()),
            ..NewApiKey::named("prepaid-app")
        })
        .await;
    let calls = (0..120)
        .map(|i| (secret.clone(), chat("metered", 10, i % 3 == 0)))
        .collect();
    let results = race(&gateway, calls, 32).await;
    assert_eq!(served(&results), 30);
    assert!(
        results
            .iter()
            .all(|(s, c)| *s == 200 || c == "insufficient_credits"),
        "{results:?}"
    );
    gateway.spend_rows(120).await;
    gateway.settled().await;
    // The ledger balances to the nano-dollar: purchase + fee - spend = 0.
    let ledger = wait_for_balance(&gateway, &org.id, "0.000000000").await;
    assert_eq!(ledger["spent_usd"], "0.300000000");
    // A purchase refills the balance at once.
    let bought = gateway
        .admin_post(
            &format!("/admin/v1/organizations/{}/credits", org.id),
            &json!({"amount_usd": "0.02"}),
        )
        .await;
    assert_eq!(bought.status, 201);
    let calls = (0..10)
        .map(|_| (secret.clone(), chat("metered", 10, false)))
        .collect();
    assert_eq!(served(&race(&gateway, calls, 10).await), 2);
}

async fn wait_for_balance(gateway: &Budgeted, org_id: &str, balance: &str) -> serde_json::Value {
    for _ in 0..200 {
        let reply = gateway
            .admin_get(&format!("/admin/v1/organizations/{org_id}/credits"))
            .await;
        assert_eq!(reply.status, 200);
        let ledger = reply.json();
        if ledger["balance_usd"] == balance {
            return ledger;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the balance never reached {balance}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soft_budgets_let_the_crossing_call_complete_and_refuse_later_ones() {
    let settings = LimitSettings {
        mode: tollgate_limits::BudgetMode::Soft,
        ..LimitSettings::default()
    };
    let gateway = Arc::new(start(settings).await);
    let (_, secret) = gateway
        .key(keyed("soft", budget("0.025", BudgetPeriod::None)))
        .await;
    // One at a time: $0.01, $0.02, $0.03 (crossing: admitted while spent < limit), refused.
    for _ in 0..3 {
        assert_eq!(
            gateway
                .chat(&secret, &chat("metered", 10, false))
                .await
                .status,
            200
        );
    }
    let refused = gateway.chat(&secret, &chat("metered", 10, false)).await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.code(), "budget_exceeded");
    assert_eq!(total_cost(&gateway.spend_rows(4).await), usd("0.03"));
}

/// A budget's own mode wins over the gateway's default (hard here): a soft key lets its
/// crossing call complete, a hard one refuses the call that might not fit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budgets_own_mode_overrides_the_gateway_default() {
    let gateway = Arc::new(start(LimitSettings::default()).await);
    let with_mode = |mode| {
        budget("0.025", BudgetPeriod::None).map(|budget| Budget {
            mode: Some(mode),
            ..budget
        })
    };
    let (soft_id, soft) = gateway
        .key(keyed("soft", with_mode(StoreBudgetMode::Soft)))
        .await;
    let (hard_id, hard) = gateway
        .key(keyed("hard", with_mode(StoreBudgetMode::Hard)))
        .await;
    let call = || chat("metered", 10, false);
    // Soft: $0.01, $0.02, $0.03 (crossing: admitted while spent < $0.025), then refused.
    for n in 1..=3 {
        assert_eq!(
            gateway.chat(&soft, &call()).await.status,
            200,
            "soft call {n}"
        );
    }
    let refused = gateway.chat(&soft, &call()).await;
    assert_eq!(
        (refused.status, refused.code()),
        (429, "budget_exceeded".to_string())
    );
    // Hard: the third call's $0.01 reservation does not fit in the $0.005 left.
    for n in 1..=2 {
        assert_eq!(
            gateway.chat(&hard, &call()).await.status,
            200,
            "hard call {n}"
        );
    }
    let refused = gateway.chat(&hard, &call()).await;
    assert_eq!(
        (refused.status, refused.code()),
        (429, "budget_exceeded".to_string())
    );
    let rows = gateway.spend_rows(7).await;
    assert_eq!(total_cost(&rows), usd("0.05"));
    assert_refusals_cost_nothing(&rows);
    gateway.settled().await;
    let soft_budget = &gateway.explain(&soft_id).await["budgets"][0];
    assert_eq!(
        (&soft_budget["mode"], &soft_budget["spent_usd"]),
        (&json!("soft"), &json!("0.030000000"))
    );
    let hard_budget = &gateway.explain(&hard_id).await["budgets"][0];
    assert_eq!(
        (&hard_budget["mode"], &hard_budget["spent_usd"]),
        (&json!("hard"), &json!("0.020000000"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budgets_refuse_unpriced_models_and_survive_a_restart() {
    let gateway = Arc::new(start(LimitSettings::default()).await);
    let (key_id, secret) = gateway
        .key(keyed("restart", budget("0.05", BudgetPeriod::Monthly)))
        .await;
    let unpriced = gateway.chat(&secret, &chat("unpriced", 10, false)).await;
    assert_eq!(unpriced.status, 403);
    assert_eq!(unpriced.code(), "model_unpriced");
    for _ in 0..3 {
        assert_eq!(
            gateway
                .chat(&secret, &chat("metered", 10, false))
                .await
                .status,
            200
        );
    }
    gateway.spend_rows(4).await;
    // A new process on the same store seeds the budget from the spend log.
    let restarted = budget_harness::restart(&gateway, LimitSettings::default()).await;
    let explained = restarted.explain(&key_id).await;
    assert_eq!(explained["budgets"][0]["spent_usd"], "0.030000000");
    assert_eq!(
        restarted
            .chat(&secret, &chat("metered", 10, false))
            .await
            .status,
        200
    );
    assert_eq!(
        restarted
            .chat(&secret, &chat("metered", 10, false))
            .await
            .status,
        200
    );
    let refused = restarted.chat(&secret, &chat("metered", 10, false)).await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.code(), "budget_exceeded");
    let _ = PER_TOKEN;
}

/// A webhook receiver: every JSON body POSTed to it, in order.
async fn webhook_receiver() -> (String, Arc<std::sync::Mutex<Vec<serde_json::Value>>>) {
    use axum::routing::post;
    let received = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |axum::Json(body): axum::Json<serde_json::Value>| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(body);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.ok();
    });
    (format!("http://{address}/hook"), received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_alert_threshold_posts_the_webhook_once_per_window() {
    let (url, received) = webhook_receiver().await;
    let settings = LimitSettings {
        alert_at_percent: Some(50),
        alert_webhook: Some(url),
        ..LimitSettings::default()
    };
    let gateway = Arc::new(start(settings).await);
    let (key_id, secret) = gateway
        .key(keyed("alerted", budget("0.10", BudgetPeriod::Daily)))
        .await;
    // $0.04 spent: under 50 %, no alert.
    for _ in 0..4 {
        assert_eq!(
            gateway
                .chat(&secret, &chat("metered", 10, false))
                .await
                .status,
            200
        );
    }
    gateway.settled().await;
    assert!(received.lock().unwrap().is_empty());
    // $0.05 reaches 50 %: one alert; more spend in the same window raises no second one.
    for _ in 0..4 {
        assert_eq!(
            gateway
                .chat(&secret, &chat("metered", 10, false))
                .await
                .status,
            200
        );
    }
    gateway.settled().await;
    let alerts = received.lock().unwrap().clone();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["type"], "budget.threshold_reached");
    assert_eq!(alerts[0]["scope"], "key");
    assert_eq!(alerts[0]["scope_id"], key_id.as_str());
    assert_eq!(alerts[0]["limit_usd"], "0.100000000");
    assert_eq!(alerts[0]["spent_usd"], "0.050000000");
    assert_eq!(alerts[0]["threshold_percent"], 50);
    assert_eq!(alerts[0]["period"], "daily");
    // The next day is a new window: crossing again alerts again.
    gateway.clock.advance(Duration::from_secs(86_400));
    for _ in 0..5 {
        assert_eq!(
            gateway
                .chat(&secret, &chat("metered", 10, false))
                .await
                .status,
            200
        );
    }
    gateway.settled().await;
    assert_eq!(received.lock().unwrap().len(), 2);
}

/// Callers that send the same `x-request-id` on every call (a constant in a client's config, a
/// retry that reuses it) still get one reservation and one spend row per call: the id keying
/// both is Tollgate's own. Before, concurrent calls sharing an id shared one reservation (so
/// all but one went uncharged against the budget) and the spend log kept one row of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_sharing_a_caller_request_id_are_each_reserved_and_logged() {
    let gateway = Arc::new(start(LimitSettings::default()).await);
    let (_, secret) = gateway
        .key(keyed("same-id", budget("0.50", BudgetPeriod::None)))
        .await;
    let body = Bytes::from(serde_json::to_vec(&chat("metered", 10, false)).unwrap());
    let authorization = format!("Bearer {secret}");
    let replies: Vec<(u16, Option<String>, Option<String>)> = futures_util::stream::iter(0..200)
        .map(|_| {
            let (gateway, body, authorization) =
                (gateway.clone(), body.clone(), authorization.clone());
            async move {
                let reply = gateway
                    .send(
                        "POST",
                        "/v1/chat/completions",
                        &[
                            ("authorization", &authorization),
                            ("x-request-id", "client-constant"),
                        ],
                        body,
                    )
                    .await;
                let header = |name| reply.header(name).map(str::to_string);
                (
                    reply.status,
                    header("x-request-id"),
                    header("x-client-request-id"),
                )
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    // $0.01 a call reserved and charged: exactly 50 fit in $0.50.
    assert_eq!(replies.iter().filter(|r| r.0 == 200).count(), 50);
    let ids: std::collections::HashSet<_> = replies.iter().map(|r| r.1.clone().unwrap()).collect();
    assert_eq!(
        ids.len(),
        200,
        "every call answers with its own x-request-id"
    );
    assert!(ids.iter().all(|id| id != "client-constant"));
    assert!(
        replies
            .iter()
            .all(|r| r.2.as_deref() == Some("client-constant")),
        "the caller's id is echoed in x-client-request-id"
    );

    let rows = gateway.spend_rows(200).await;
    assert_eq!(rows.len(), 200, "one spend row per call");
    assert_eq!(total_cost(&rows), usd("0.50"));
    assert!(
        rows.iter()
            .all(|row| row.client_request_id.as_deref() == Some("client-constant"))
    );
    let row_ids: std::collections::HashSet<_> = rows.iter().map(|row| &row.request_id).collect();
    assert_eq!(row_ids.len(), 200);
    assert_refusals_cost_nothing(&rows);
}
