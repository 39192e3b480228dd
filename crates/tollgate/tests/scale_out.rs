#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Scale-out mode (design.md §3): two `tollgate serve` processes share one PostgreSQL database
//! and one Redis. A hard budget on one key holds across both: 200 concurrent calls split
//! between the instances, each costing exactly what it reserves, serve exactly
//! floor(budget / cost) in total and settle exactly the budget, to the nano-dollar.
//!
//! PostgreSQL (`TOLLGATE_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/test`)
//! and Redis (`TOLLGATE_TEST_REDIS_URL`, default `redis://127.0.0.1:6379`) are required: the
//! test fails, never skips, if either is unreachable. It uses a schema and a key prefix of its
//! own and removes both.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use sqlx::Connection;
use tollgate_store::{PageRequest, Timestamp, UsageFilter};
use tollgate_types::NanoUsd;

const BIN: &str = env!("CARGO_BIN_EXE_tollgate");
const MASTER: &str = "tg-scale-out-master";
const REQUESTS: usize = 200;
/// `max_tokens: 10` at $1000 per million output tokens, nothing for input: $0.01, which is
/// also the reservation (the mock answers exactly `max_tokens` tokens).
const COST: i64 = 10_000_000;
/// $1.00: room for exactly 100 calls.
const BUDGET: i64 = 100 * COST;

fn postgres_url() -> String {
    std::env::var("TOLLGATE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn redis_url() -> String {
    std::env::var("TOLLGATE_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

async fn admin_connection(url: &str) -> sqlx::PgConnection {
    sqlx::PgConnection::connect(url)
        .await
        .unwrap_or_else(|error| {
            panic!(
                "PostgreSQL is required by the scale-out test and is unreachable at {url}: {error}"
            )
        })
}

struct Instance {
    child: Child,
    address: String,
}

/// A failed assertion must not leave the gateways running.
impl Drop for Instance {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.child.kill().ok();
            self.child.wait().ok();
        }
    }
}

fn start(config_path: &std::path::Path) -> Instance {
    let mut child = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(config_path)
        .env("TOLLGATE_MASTER_KEY", MASTER)
        .env("TOLLGATE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let address = line
        .trim()
        .strip_prefix("tollgate listening on http://")
        .unwrap_or_else(|| panic!("tollgate did not start: {line:?}"))
        .to_string();
    Instance { child, address }
}

async fn stop(mut instance: Instance) {
    let pid = instance.child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let exit = tokio::task::spawn_blocking(move || {
        let exit = instance.child.wait();
        drop(instance);
        exit
    })
    .await
    .unwrap()
    .unwrap();
    assert!(exit.success(), "tollgate exited with {exit}");
}

type HttpClient = Client<HttpConnector, Full<Bytes>>;

async fn call(
    client: &HttpClient,
    method: &str,
    url: String,
    bearer: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let request = http::Request::builder()
        .method(method)
        .uri(url)
        .header("authorization", format!("Bearer {bearer}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(
            body.map(|b| b.to_string()).unwrap_or_default(),
        )))
        .unwrap();
    let response = client.request(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, json)
}

/// Deletes the test's keys; how many there were.
async fn delete_redis_prefix(prefix: &str) -> usize {
    let client = redis::Client::open(redis_url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut connection)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL")
            .arg(&keys)
            .query_async(&mut connection)
            .await
            .unwrap();
    }
    keys.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_hard_budget_exactly() {
    let unique = format!(
        "{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    // Redis must be there: fail here, not with a confusing startup error.
    let probe = redis::Client::open(redis_url()).unwrap();
    probe
        .get_multiplexed_async_connection()
        .await
        .unwrap_or_else(|error| {
            panic!("Redis is required by the scale-out test and is unreachable: {error}")
        });
    let admin_url = postgres_url();
    let schema = format!("tg_scale_{unique}");
    let mut admin = admin_connection(&admin_url).await;
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let separator = if admin_url.contains('?') { '&' } else { '?' };
    let store_url = format!("{admin_url}{separator}options%5Bsearch_path%5D={schema}");
    let prefix = format!("tgtest-scale:{unique}:");

    let dir = std::env::temp_dir().join(format!("tollgate-scale-out-{unique}"));
    std::fs::create_dir_all(&dir).unwrap();
    let config = format!(
        r#"
server: {{host: 127.0.0.1, port: 0, shutdown_grace_ms: 10000}}
storage: {{url: "{store_url}"}}
redis: {{url: "{redis}", prefix: "{prefix}"}}
budgets: {{mode: hard}}
providers:
  demo: {{kind: mock, mock: {{latency_ms: 20, output_tokens: 100}}}}
  slow: {{kind: mock, mock: {{latency_ms: 1500}}}}
models:
  - {{name: tenth, deployments: [{{provider: demo, model: mock, price: {{input_per_mtok: 0, output_per_mtok: 1000}}}}]}}
  - {{name: slow, deployments: [{{provider: slow, model: mock, price: {{input_per_mtok: 0, output_per_mtok: 0}}}}]}}
"#,
        redis = redis_url(),
    );
    let config_path = dir.join("tollgate.yaml");
    std::fs::write(&config_path, config).unwrap();

    // One after the other: the first runs the migrations.
    let a = start(&config_path);
    let b = start(&config_path);
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();

    let (status, created) = call(
        &client,
        "POST",
        format!("http://{}/admin/v1/keys", a.address),
        MASTER,
        Some(json!({"name": "shared", "budget_usd": "1.00", "budget_mode": "hard"})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let key = created["key"].as_str().unwrap().to_string();
    let key_id = created["id"].as_str().unwrap().to_string();

    let addresses = [a.address.clone(), b.address.clone()];
    let outcomes: Vec<(usize, u16, Value)> = futures_util::stream::iter(0..REQUESTS)
        .map(|i| {
            let client = client.clone();
            let key = key.clone();
            let address = addresses[i % 2].clone();
            async move {
                let (status, body) = call(
                    &client,
                    "POST",
                    format!("http://{address}/v1/chat/completions"),
                    &key,
                    Some(json!({
                        "model": "tenth",
                        "max_tokens": 10,
                        "messages": [{"role": "user", "content": format!("call {i}")}],
                    })),
                )
                .await;
                (i % 2, status, body)
            }
        })
        .buffer_unordered(REQUESTS)
        .collect()
        .await;

    let served: Vec<_> = outcomes.iter().filter(|(_, s, _)| *s == 200).collect();
    let refused: Vec<_> = outcomes.iter().filter(|(_, s, _)| *s == 429).collect();
    assert_eq!(
        served.len() + refused.len(),
        REQUESTS,
        "only served or refused: {:?}",
        outcomes.iter().find(|(_, s, _)| *s != 200 && *s != 429)
    );
    assert_eq!(
        served.len(),
        usize::try_from(BUDGET / COST).unwrap(),
        "exactly floor(budget / cost) served across both instances"
    );
    for (_, _, body) in &refused {
        assert_eq!(body["error"]["code"], "budget_exceeded", "{body}");
    }
    // Which instance wins how many is a race; that both answered and the total is exact is
    // the point (an instance that served nothing refused because the other spent the budget).
    for instance in 0..2 {
        assert_eq!(
            outcomes
                .iter()
                .filter(|(which, _, _)| *which == instance)
                .count(),
            REQUESTS / 2
        );
    }
    for (_, _, body) in &served {
        assert_eq!(body["usage"]["completion_tokens"], 10, "{body}");
    }

    // Both instances see the same budget: spent exactly the budget, nothing held.
    for address in &addresses {
        let mut explained = Value::Null;
        for _ in 0..100 {
            explained = call(
                &client,
                "GET",
                format!("http://{address}/admin/v1/budgets/explain?key_id={key_id}"),
                MASTER,
                None,
            )
            .await
            .1;
            if explained["budgets"][0]["reserved_usd"] == "0.000000000" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let budget = &explained["budgets"][0];
        assert_eq!(budget["reserved_usd"], "0.000000000", "{explained}");
        assert_eq!(
            NanoUsd::parse_usd(budget["spent_usd"].as_str().unwrap()),
            Some(NanoUsd(BUDGET)),
            "{explained}"
        );
    }

    // A key's max_parallel counts the calls in flight on both instances: six slow calls at
    // once, three on each, against a limit of two serve exactly two (per-instance slots would
    // serve four), and every slot is free again once they end.
    let (status, created) = call(
        &client,
        "POST",
        format!("http://{}/admin/v1/keys", a.address),
        MASTER,
        Some(json!({"name": "two-at-a-time", "max_parallel": 2})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let narrow_key = created["key"].as_str().unwrap().to_string();
    let narrow_id = created["id"].as_str().unwrap().to_string();
    let slow_calls: Vec<(u16, Value)> = futures_util::future::join_all((0..6).map(|i| {
        call(
            &client,
            "POST",
            format!("http://{}/v1/chat/completions", addresses[i % 2]),
            &narrow_key,
            Some(json!({"model": "slow", "messages": [{"role": "user", "content": "slow"}]})),
        )
    }))
    .await;
    let statuses: Vec<u16> = slow_calls.iter().map(|(status, _)| *status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        2,
        "{slow_calls:?}"
    );
    for (status, body) in &slow_calls {
        if *status == 429 {
            assert_eq!(body["error"]["code"], "rate_limit_exceeded", "{body}");
        }
    }
    for address in &addresses {
        let explained = call(
            &client,
            "GET",
            format!("http://{address}/admin/v1/budgets/explain?key_id={narrow_id}"),
            MASTER,
            None,
        )
        .await
        .1;
        assert_eq!(explained["parallel"][0]["in_flight"], 0, "{explained}");
        assert_eq!(explained["parallel"][0]["max_parallel"], 2, "{explained}");
    }

    // A revocation on one instance reaches the other through Redis pub/sub: B has the key
    // cached (its last call was authenticated and refused for budget), A revokes it, and B
    // refuses it as revoked within moments, not after its 30 s cache lifetime.
    let ask_b = || {
        call(
            &client,
            "POST",
            format!("http://{}/v1/chat/completions", b.address),
            &key,
            Some(
                json!({"model": "tenth", "max_tokens": 10, "messages": [{"role": "user", "content": "again"}]}),
            ),
        )
    };
    assert_eq!(ask_b().await.0, 429, "cached on B and out of budget");
    let (status, _) = call(
        &client,
        "POST",
        format!("http://{}/admin/v1/keys/{key_id}/revoke", a.address),
        MASTER,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let revoked_at = std::time::Instant::now();
    loop {
        let (status, body) = ask_b().await;
        if status == 401 {
            assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("revoked"),
                "{body}"
            );
            break;
        }
        assert!(
            revoked_at.elapsed() < Duration::from_secs(2),
            "B still accepts a key revoked on A"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    eprintln!(
        "revocation reached the other instance in {:?}",
        revoked_at.elapsed()
    );

    stop(a).await;
    stop(b).await;

    // The system of record agrees: the spend log adds up to the budget exactly.
    let store = tollgate_store::open(&store_url).await.unwrap();
    let mut rows = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .spend_log(
                &UsageFilter::between(
                    Timestamp(0),
                    Timestamp::now().saturating_add(Duration::from_secs(60)),
                ),
                &PageRequest { limit: 1000, after },
            )
            .await
            .unwrap();
        rows.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let charged: i64 = rows.iter().filter_map(|r| r.cost).map(|c| c.0).sum();
    assert_eq!(NanoUsd(charged), NanoUsd(BUDGET), "settled spend == budget");
    assert_eq!(
        rows.iter()
            .filter(|r| r.status == 200 && r.cost == Some(NanoUsd(COST)))
            .count(),
        served.len()
    );
    store.close().await;

    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&mut admin)
        .await
        .unwrap();
    assert!(
        delete_redis_prefix(&prefix).await > 0,
        "the counters were not in Redis under the configured prefix"
    );
    std::fs::remove_dir_all(&dir).ok();
}
