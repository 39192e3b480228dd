#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Nothing recorded is lost: 5,000 requests (streamed and not, upstream failures, callers who
//! hang up mid-stream) through the real binary, SIGTERM while the last streams are still
//! running, and the spend log holds exactly one row per request whose costs add up, to the
//! nano-dollar, to what the callers were told.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tollgate_mock::{MockOptions, MockServer};
use tollgate_store::{PageRequest, Timestamp, UsageFilter};
use tollgate_types::NanoUsd;

const BIN: &str = env!("CARGO_BIN_EXE_tollgate");
const KEY: &str = "tg-durability-master";
const TOTAL: usize = 5_000;
/// Streams still running when SIGTERM arrives (they must finish and be logged).
const IN_FLIGHT_AT_SIGTERM: usize = 50;

/// What one request told its caller: the cost, or `None` when it was told nothing.
#[derive(Clone, Copy)]
enum Kind {
    Plain,
    Stream,
    Failing,
    HangUp,
}

fn kind_of(i: usize) -> Kind {
    match i % 10 {
        0..=3 => Kind::Plain,
        4..=7 => Kind::Stream,
        8 => Kind::Failing,
        _ => Kind::HangUp,
    }
}

fn model_of(i: usize) -> &'static str {
    ["gpt", "router", "claude", "gemini"][(i / 10) % 4]
}

/// The exact number text after `"cost":` in a frame, as nano-dollars.
fn cost_in(frame: &str) -> Option<NanoUsd> {
    let at = frame.find("\"cost\":")?;
    let text: String = frame[at + 7..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
        .collect();
    NanoUsd::parse_usd(&text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_thousand_requests_then_sigterm_lose_no_row_and_add_up_exactly() {
    let mock = MockServer::start(MockOptions::default()).await.unwrap();
    let dir = std::env::temp_dir().join(format!("tollgate-durability-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("tollgate.db");
    let base = mock.base_url();
    let config = format!(
        r#"
server: {{host: 127.0.0.1, port: 0, shutdown_grace_ms: 20000}}
storage: {{url: "sqlite://{db}"}}
providers:
  openai:     {{kind: openai,     base_url: "{base}/openai/v1",        api_key: mock-key}}
  openrouter: {{kind: openrouter, base_url: "{base}/openrouter/api/v1", api_key: mock-key}}
  anthropic:  {{kind: anthropic,  base_url: "{base}/anthropic",        api_key: mock-key}}
  gemini:     {{kind: gemini,     base_url: "{base}/gemini/v1beta",    api_key: mock-key}}
models:
  - {{name: gpt,     deployments: [{{provider: openai, model: gpt-4o-mini}}]}}
  - {{name: router,  deployments: [{{provider: openrouter, model: openai/gpt-4o-mini}}]}}
  - {{name: claude,  deployments: [{{provider: anthropic, model: claude-sonnet-4-5}}]}}
  - {{name: gemini,  deployments: [{{provider: gemini, model: gemini-2.5-flash}}]}}
  - {{name: failing, deployments: [{{provider: openai, model: fail-500}}]}}
  - {{name: slow,    deployments: [{{provider: openai, model: slow-stream-100-gpt-4o-mini, price: {{input_per_mtok: 0.15, output_per_mtok: 0.60}}}}]}}
"#,
        db = db.display()
    );
    let config_path = dir.join("tollgate.yaml");
    std::fs::write(&config_path, config).unwrap();

    let mut child = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(&config_path)
        .env("TOLLGATE_MASTER_KEY", KEY)
        // The failing model's retries would log hundreds of warnings.
        .env("TOLLGATE_LOG", "error")
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
        .unwrap()
        .to_string();

    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let told = Arc::new(AtomicI64::new(0));
    let hung_up = Arc::new(AtomicUsize::new(0));
    let send = {
        let client = client.clone();
        let address = address.clone();
        move |request_id: String, body: String| {
            let request = http::Request::post(format!("http://{address}/v1/chat/completions"))
                .header("authorization", format!("Bearer {KEY}"))
                .header("x-request-id", request_id)
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(body)))
                .unwrap();
            client.request(request)
        }
    };

    let requests = futures_util::stream::iter(0..TOTAL - IN_FLIGHT_AT_SIGTERM).map(|i| {
        let send = send.clone();
        let told = told.clone();
        let hung_up = hung_up.clone();
        let address = address.clone();
        async move {
            let kind = kind_of(i);
            let model = match kind {
                Kind::Failing => "failing",
                _ => model_of(i),
            };
            let stream = matches!(kind, Kind::Stream | Kind::HangUp);
            let body = serde_json::json!({
                "model": model, "stream": stream,
                "stream_options": if stream { serde_json::json!({"include_usage": true}) } else { serde_json::Value::Null },
                "messages": [{"role": "user", "content": format!("request number {i} says hello")}],
            });
            let mut body = body;
            if !stream {
                body.as_object_mut().unwrap().remove("stream_options");
            }
            if let Kind::HangUp = kind {
                // Read the first bytes of the stream, then hang up.
                let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
                let body = body.to_string();
                let head = format!(
                    "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n\
                     X-Request-Id: hangup-{i}\r\n\
                     Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                socket.write_all(head.as_bytes()).await.unwrap();
                let mut buffer = [0u8; 256];
                let read = socket.read(&mut buffer).await.unwrap();
                assert!(read > 0);
                hung_up.fetch_add(1, Ordering::Relaxed);
                return;
            }
            let response = send(format!("request-{i}"), body.to_string()).await.unwrap();
            let status = response.status().as_u16();
            let header_cost = response
                .headers()
                .get("x-tollgate-cost-usd")
                .and_then(|v| v.to_str().ok())
                .and_then(NanoUsd::parse_usd);
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            let text = String::from_utf8_lossy(&bytes);
            let cost = match kind {
                Kind::Plain => header_cost,
                Kind::Stream => text
                    .split("\n\n")
                    .filter(|frame| frame.contains("\"usage\":{"))
                    .find_map(cost_in),
                _ => None,
            };
            match kind {
                Kind::Failing => assert_eq!(status, 502, "{text}"),
                _ => {
                    assert_eq!(status, 200, "{text}");
                    let cost = cost.unwrap_or_else(|| panic!("no cost told for request {i}: {text}"));
                    told.fetch_add(cost.0, Ordering::Relaxed);
                }
            }
        }
    });
    requests.buffer_unordered(32).collect::<Vec<()>>().await;

    // The last streams are slow (100 ms per event); SIGTERM arrives while they run.
    let slow = (0..IN_FLIGHT_AT_SIGTERM).map(|i| {
        let send = send.clone();
        let told = told.clone();
        async move {
            let body = serde_json::json!({
                "model": "slow", "stream": true, "stream_options": {"include_usage": true},
                "messages": [{"role": "user", "content": format!("slow stream {i}")}],
            });
            let response = send(format!("slow-{i}"), body.to_string()).await.unwrap();
            assert_eq!(response.status(), 200);
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                text.ends_with("data: [DONE]\n\n"),
                "stream cut by shutdown: {text}"
            );
            let cost = text
                .split("\n\n")
                .filter(|f| f.contains("\"usage\":{"))
                .find_map(cost_in)
                .unwrap();
            told.fetch_add(cost.0, Ordering::Relaxed);
        }
    });
    let slow = tokio::spawn(futures_util::future::join_all(slow));
    tokio::time::sleep(Duration::from_millis(150)).await;
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    slow.await.unwrap();
    let exit = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "tollgate exited with {exit}");

    let store = tollgate_store::open(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
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
    assert_eq!(rows.len(), TOTAL, "exactly one row per request");
    let hung_up_rows: Vec<_> = rows.iter().filter(|r| hung_up_call(r)).collect();
    assert_eq!(hung_up_rows.len(), hung_up.load(Ordering::Relaxed));
    // A caller who hangs up mid-stream is logged 499; one whose (fast) stream had already been
    // sent in full before it left is logged as served.
    assert!(
        hung_up_rows
            .iter()
            .all(|r| r.status == 499 || r.status == 200)
    );
    assert!(
        hung_up_rows.iter().any(|r| r.status == 499),
        "no disconnect was noticed mid-stream"
    );
    assert!(
        hung_up_rows
            .iter()
            .filter(|r| r.status == 499)
            .all(|r| r.error_class.as_deref() == Some("client_disconnected"))
    );
    let failing = (0..TOTAL - IN_FLIGHT_AT_SIGTERM)
        .filter(|i| matches!(kind_of(*i), Kind::Failing))
        .count();
    assert_eq!(rows.iter().filter(|r| r.status == 502).count(), failing);
    // What callers who stayed were told equals what the log recorded for them, exactly.
    let recorded: i64 = rows
        .iter()
        .filter(|r| !hung_up_call(r))
        .filter_map(|r| r.cost)
        .map(|c| c.0)
        .sum();
    assert_eq!(NanoUsd(recorded), NanoUsd(told.load(Ordering::Relaxed)));
    assert!(
        rows.iter().all(|r| r.cost.is_some()),
        "every model here is priced"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A row of a call whose caller hung up: sent with an `x-request-id` of `hangup-N`, which the
/// row keeps as its `client_request_id` (its own `request_id` is Tollgate's).
fn hung_up_call(row: &tollgate_store::SpendRecord) -> bool {
    row.client_request_id
        .as_deref()
        .is_some_and(|id| id.starts_with("hangup-"))
}
