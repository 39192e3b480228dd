//! A gateway with limits and budgets on, in front of the built-in mock priced so that a call's
//! cost equals its reservation exactly ($0.001 per output token, input free, the mock answers
//! exactly `max_tokens` tokens): `n` calls of `max_tokens = 10` cost exactly `n` cents. The
//! limiter's clock is a manual one, so tests cross period boundaries and rate-limit windows at
//! will.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tollgate_limits::ManualClock;
use tollgate_mock::{MockOptions, MockServer};
use tollgate_pricing::ModelPrice;
use tollgate_providers::{
    MockSettings, Provider, ProviderKind, ProviderSpec, Target, UpstreamClient,
};
use tollgate_router::{Deployment, ModelKind, ModelRoute, Router, Strategy};
use tollgate_server::limits::{LimitSettings, Limiter};
use tollgate_server::{AppState, Auth, ServerLimits, build_app};
use tollgate_store::{
    DynStore, NewApiKey, PageRequest, SpendRecord, SpendWriter, SpendWriterConfig, Timestamp,
    UsageFilter,
};
use tollgate_types::NanoUsd;

pub const MASTER_KEY: &str = "tg-test-master";
/// What one output token costs: a tenth of a cent.
pub const PER_TOKEN: NanoUsd = NanoUsd(1_000_000);

pub struct Budgeted {
    pub state: AppState,
    pub store: DynStore,
    pub writer: SpendWriter,
    pub base: String,
    pub clock: Arc<ManualClock>,
    pub mock: MockServer,
    client: Client<HttpConnector, Full<Bytes>>,
    _dir: TempDir,
}

pub struct Reply {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

fn metered_price() -> Arc<ModelPrice> {
    Arc::new(ModelPrice {
        input: Decimal::ZERO,
        output: Decimal::new(1, 3),
        ..ModelPrice::free()
    })
}

pub async fn start(settings: LimitSettings) -> Budgeted {
    let dir = TempDir::new();
    let url = format!("sqlite://{}/t.db", dir.0.display());
    let store = tollgate_store::open(&url).await.expect("store opens");
    start_on(settings, store, dir).await
}

/// A second gateway on the same store (a restart).
pub async fn restart(previous: &Budgeted, settings: LimitSettings) -> Budgeted {
    start_on(settings, previous.store.clone(), TempDir::new()).await
}

async fn start_on(settings: LimitSettings, store: DynStore, dir: TempDir) -> Budgeted {
    let mock = MockServer::start(MockOptions::default())
        .await
        .expect("mock starts");
    let client = UpstreamClient::new(Duration::from_secs(2));
    let builtin = |name: &str, latency_ms: u64, chunk_delay_ms: u64| {
        let mut spec = ProviderSpec::new(name, ProviderKind::Mock, "");
        spec.mock = MockSettings {
            latency: Duration::from_millis(latency_ms),
            output_tokens: 40,
            chunk_delay: Duration::from_millis(chunk_delay_ms),
        };
        tollgate_providers::build_provider(spec, client.clone())
    };
    let upstream = ProviderSpec::new(
        "fake-openai",
        ProviderKind::OpenAi,
        format!("{}/openai/v1", mock.base_url()),
    )
    .with_api_key("mock-key");
    let providers: HashMap<String, Arc<dyn Provider>> = HashMap::from([
        ("builtin".to_string(), builtin("builtin", 5, 0)),
        ("builtin-slow".to_string(), builtin("builtin-slow", 0, 30)),
        (
            "fake-openai".to_string(),
            tollgate_providers::build_provider(upstream, client.clone()),
        ),
    ]);
    let route =
        |name: &str, provider: &str, model: &str, price: Option<Arc<ModelPrice>>| ModelRoute {
            name: name.into(),
            kind: ModelKind::Chat,
            deployments: vec![
                Deployment::new(
                    providers[provider].clone(),
                    Target::new(model, Duration::from_secs(10)),
                )
                .with_price(price),
            ],
            retries: 0,
            fallbacks: vec![],
            strategy: Strategy::Weighted,
            context_fallbacks: vec![],
        };
    let routes = vec![
        route("metered", "builtin", "mock-1", Some(metered_price())),
        route(
            "metered-slow",
            "builtin-slow",
            "mock-1",
            Some(metered_price()),
        ),
        route(
            "metered-failing",
            "fake-openai",
            "fail-500",
            Some(metered_price()),
        ),
        route("unpriced", "builtin", "mock-1", None),
    ];
    let router = Router::new(providers, routes, false, Duration::from_secs(10));
    let writer = SpendWriter::start(
        store.clone(),
        SpendWriterConfig {
            flush_interval: Duration::from_millis(10),
            ..SpendWriterConfig::default()
        },
    );
    let clock = Arc::new(ManualClock::new(Timestamp::now().millis()));
    let limiter = Limiter::with_clock(settings, Some(store.clone()), clock.clone());
    let state = AppState::new(
        router,
        Auth::new(tollgate_server::auth::hash_key(MASTER_KEY), store.clone()),
        store.clone(),
        ServerLimits::default(),
    )
    .with_spend_writer(writer.clone())
    .with_limiter(limiter);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = build_app(state.clone());
    tokio::spawn(async move {
        axum::serve(listener, app).await.ok();
    });
    Budgeted {
        state,
        store,
        writer,
        base: format!("http://{address}"),
        clock,
        mock,
        client: Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(1024)
            .build_http(),
        _dir: dir,
    }
}

/// A chat body for `model` whose answer is exactly `max_tokens` tokens.
pub fn chat(model: &str, max_tokens: u32, stream: bool) -> Value {
    let mut body = json!({
        "model": model,
        "max_tokens": max_tokens,
        "messages": [{"role": "user", "content": "count for me"}],
    });
    if stream {
        body["stream"] = json!(true);
        body["stream_options"] = json!({"include_usage": true});
    }
    body
}

impl Budgeted {
    /// Creates an organization.
    pub async fn org(&self, name: &str) -> tollgate_store::Organization {
        self.store
            .create_org(tollgate_store::NewOrganization::named(name))
            .await
            .unwrap()
    }

    /// Creates a team.
    pub async fn team(&self, new: tollgate_store::NewTeam) -> tollgate_store::Team {
        self.store.create_team(new).await.unwrap()
    }

    /// Creates a key and returns `(id, secret)`.
    pub async fn key(&self, new: NewApiKey) -> (String, String) {
        let created = self.store.create_key(new).await.unwrap();
        (created.key.id, created.secret)
    }

    pub async fn post(&self, secret: &str, path: &str, body: &Value) -> Reply {
        self.send(
            "POST",
            path,
            &[("authorization", &format!("Bearer {secret}"))],
            serde_json::to_vec(body).unwrap().into(),
        )
        .await
    }

    pub async fn chat(&self, secret: &str, body: &Value) -> Reply {
        self.post(secret, "/v1/chat/completions", body).await
    }

    pub async fn admin_get(&self, path: &str) -> Reply {
        self.send(
            "GET",
            path,
            &[("authorization", &format!("Bearer {MASTER_KEY}"))],
            Bytes::new(),
        )
        .await
    }

    pub async fn admin_post(&self, path: &str, body: &Value) -> Reply {
        self.post(MASTER_KEY, path, body).await
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Reply {
        let mut request = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = tokio::time::timeout(
            Duration::from_secs(30),
            self.client.request(request.body(Full::new(body)).unwrap()),
        )
        .await
        .expect("gateway answers in time")
        .expect("gateway answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body,
        }
    }

    /// Starts a stream and hangs up after its first body frame.
    pub async fn stream_and_hang_up(&self, secret: &str, body: &Value) -> u16 {
        let request = http::Request::builder()
            .method("POST")
            .uri(format!("{}/v1/chat/completions", self.base))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {secret}"))
            .body(Full::new(Bytes::from(serde_json::to_vec(body).unwrap())))
            .unwrap();
        let response = self.client.request(request).await.unwrap();
        let status = response.status().as_u16();
        let mut body = response.into_body();
        if status == 200 {
            let _ = body.frame().await;
        }
        drop(body);
        status
    }

    /// Every spend-log row, once at least `expected` are written.
    pub async fn spend_rows(&self, expected: usize) -> Vec<SpendRecord> {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            let filter = UsageFilter {
                org_id: None,
                team_id: None,
                user_id: None,
                key_id: None,
                model: None,
                from: Timestamp(0),
                to: Timestamp::now().saturating_add(Duration::from_secs(86_400 * 40)),
            };
            let mut rows = Vec::new();
            let mut after = None;
            loop {
                let page = self
                    .store
                    .spend_log(&filter, &PageRequest { limit: 1000, after })
                    .await
                    .unwrap();
                rows.extend(page.items);
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            if rows.len() >= expected || std::time::Instant::now() > deadline {
                return rows;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until background settlements (streams that ended, callers that left) have landed.
    pub async fn settled(&self) {
        for _ in 0..200 {
            if self.state.limiter().tracker().is_empty() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("settlements still running after 2 s");
    }

    /// The budgets of `key_id` as `GET /admin/v1/budgets/explain` reports them.
    pub async fn explain(&self, key_id: &str) -> Value {
        let reply = self
            .admin_get(&format!("/admin/v1/budgets/explain?key_id={key_id}"))
            .await;
        assert_eq!(
            reply.status,
            200,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        reply.json()
    }
}

pub fn usd(text: &str) -> NanoUsd {
    NanoUsd::parse_usd(text).unwrap()
}

pub fn total_cost(rows: &[SpendRecord]) -> NanoUsd {
    rows.iter()
        .filter_map(|row| row.cost)
        .fold(NanoUsd::ZERO, |sum, cost| sum.checked_add(cost).unwrap())
}

pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let path = std::env::temp_dir().join(format!("tollgate-budget-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
