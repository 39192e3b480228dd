//! A whole gateway in process, listening on a random port, in front of the fake providers of
//! `tollgate-mock`, and a small HTTP client to talk to it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tollgate_mock::{MockOptions, MockServer};
use tollgate_pricing::{ModelPrice, PriceResolver, host_hint_for_base_url};
use tollgate_providers::{Provider, ProviderKind, ProviderSpec, Target, UpstreamClient};
use tollgate_router::{Deployment, ModelKind, ModelRoute, Router, Strategy};
use tollgate_server::{AppState, Auth, ServerLimits, build_app};
use tollgate_store::{
    PageRequest, SpendRecord, SpendWriter, SpendWriterConfig, Timestamp, UsageFilter,
};

pub const MASTER_KEY: &str = "tg-test-master";
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub struct Gateway {
    /// The running app's state (router health, cooldowns).
    pub state: AppState,
    /// The gateway's system of record (SQLite in a temp dir).
    pub store: tollgate_store::DynStore,
    /// The batched spend-log writer the gateway records through.
    pub writer: SpendWriter,
    pub base: String,
    pub mock: MockServer,
    client: Client<HttpConnector, Full<Bytes>>,
    _data_dir: TempDir,
}

/// Answer as the test sees it.
pub struct Reply {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// `(public model, provider name, upstream model)` of the test gateway's chat models.
pub const CHAT_MODELS: &[(&str, &str, &str)] = &[
    ("gpt-upstream", "fake-openai", "gpt-4o-mini"),
    ("router-upstream", "fake-openrouter", "openai/gpt-4o-mini"),
    ("azure-upstream", "fake-azure", "my-gpt-deployment"),
    ("claude-upstream", "fake-anthropic", "claude-sonnet-4-5"),
    ("gemini-upstream", "fake-gemini", "gemini-2.5-flash"),
    ("mock", "builtin", "mock-1"),
];

pub async fn start() -> Gateway {
    start_with(MockOptions::default()).await
}

pub async fn start_with(options: MockOptions) -> Gateway {
    start_inner(options, None).await
}

/// A gateway whose requests and answers pass through these guardrails.
pub async fn start_guarded(settings: tollgate_guard::GuardSettings) -> Gateway {
    let rewrites_output = settings.pii.scan_output
        && (settings.pii.reversible
            || matches!(
                settings.pii.mode,
                tollgate_guard::PiiMode::Mask
                    | tollgate_guard::PiiMode::Redact
                    | tollgate_guard::PiiMode::Block
            ));
    let guard = tollgate_guard::Guard::new(settings).expect("valid guardrails");
    start_inner(
        MockOptions::default(),
        Some(Box::new(move |state| {
            state.with_guard(guard, rewrites_output)
        })),
    )
    .await
}

/// A gateway with the config's `guardrails:` section, overridable per organization, team and
/// key through the admin API (as `tollgate serve` runs it).
pub async fn start_with_guardrails(config: tollgate_config::GuardrailsConfig) -> Gateway {
    start_inner(
        MockOptions::default(),
        Some(Box::new(move |state| {
            state.with_guardrails(config).expect("valid guardrails")
        })),
    )
    .await
}

/// Attaches guardrails to the state before it is shared.
type GuardSetup = Box<dyn FnOnce(AppState) -> AppState + Send>;

async fn start_inner(options: MockOptions, guard: Option<GuardSetup>) -> Gateway {
    let mock = MockServer::start(options).await.expect("mock starts");
    let base = mock.base_url();
    let client = UpstreamClient::new(Duration::from_secs(2));
    let spec = |name: &str, kind: ProviderKind, url: String| {
        let mut spec = ProviderSpec::new(name, kind, url).with_api_key("mock-key");
        if kind == ProviderKind::Azure {
            spec.api_version = Some("2024-10-21".into());
        }
        spec
    };
    let specs = vec![
        spec(
            "fake-openai",
            ProviderKind::OpenAi,
            format!("{base}/openai/v1"),
        ),
        spec(
            "fake-openrouter",
            ProviderKind::OpenRouter,
            format!("{base}/openrouter/api/v1"),
        ),
        spec("fake-azure", ProviderKind::Azure, format!("{base}/azure")),
        spec(
            "fake-anthropic",
            ProviderKind::Anthropic,
            format!("{base}/anthropic"),
        ),
        spec(
            "fake-gemini",
            ProviderKind::Gemini,
            format!("{base}/gemini/v1beta"),
        ),
        ProviderSpec::new("builtin", ProviderKind::Mock, ""),
    ];
    let providers: HashMap<String, Arc<dyn Provider>> = specs
        .into_iter()
        .map(|spec| {
            (
                spec.name.clone(),
                tollgate_providers::build_provider(spec, client.clone()),
            )
        })
        .collect();
    // Priced as the binary's wiring does: the catalog, and the built-in mock at zero.
    let pricer = Arc::new(PriceResolver::with_embedded_catalog());
    let price = |provider: &Arc<dyn Provider>, model: &str| {
        if provider.kind() == ProviderKind::Mock {
            return Some(Arc::new(ModelPrice::free()));
        }
        pricer.resolve(
            provider.kind().as_str(),
            host_hint_for_base_url(provider.base_url()),
            model,
            None,
        )
    };
    let route = |name: &str, provider: &str, model: &str, kind: ModelKind| ModelRoute {
        name: name.into(),
        kind,
        deployments: vec![
            Deployment::new(
                providers[provider].clone(),
                Target::new(model, Duration::from_secs(10)),
            )
            .with_price(price(&providers[provider], model)),
        ],
        retries: 0,
        fallbacks: vec![],
        strategy: Strategy::Weighted,
        context_fallbacks: vec![],
    };
    let mut routes: Vec<ModelRoute> = CHAT_MODELS
        .iter()
        .map(|(name, provider, model)| route(name, provider, model, ModelKind::Chat))
        .collect();
    routes.extend([
        route(
            "embed-openai",
            "fake-openai",
            "text-embedding-3-small",
            ModelKind::Embedding,
        ),
        route(
            "embed-gemini",
            "fake-gemini",
            "text-embedding-004",
            ModelKind::Embedding,
        ),
        route(
            "broken-upstream",
            "fake-openai",
            "fail-500",
            ModelKind::Chat,
        ),
        route(
            "limited-upstream",
            "fake-anthropic",
            "fail-429",
            ModelKind::Chat,
        ),
        route(
            "badkey-upstream",
            "fake-openai",
            "fail-401",
            ModelKind::Chat,
        ),
        route("hanging-upstream", "fake-openai", "hang", ModelKind::Chat),
        route("cut-upstream", "fake-openai", "cut-stream", ModelKind::Chat),
    ]);
    // Three deployments on two providers, each failing 30% of calls in random ways before the
    // first byte (the chaos test), priced as the real models they stand for; falls back to the
    // steady `gpt-upstream`.
    let flaky = |provider: &str, upstream: &str, priced_as: &str| {
        Deployment::new(
            providers[provider].clone(),
            Target::new(upstream, Duration::from_secs(10)),
        )
        .with_price(price(&providers[provider], priced_as))
    };
    // Always "too long" upstream; falls back to a larger-context model on another provider.
    let mut small = route(
        "small-context",
        "fake-openai",
        "fail-context",
        ModelKind::Chat,
    );
    small.context_fallbacks = vec!["claude-upstream".into()];
    small.fallbacks = vec!["gemini-upstream".into()];
    routes.push(small);
    routes.push(ModelRoute {
        name: "chaotic".into(),
        kind: ModelKind::Chat,
        deployments: vec![
            flaky("fake-openai", "flaky-30-gpt-4o-mini", "gpt-4o-mini"),
            flaky("fake-openai", "flaky-30-gpt-4o", "gpt-4o"),
            flaky(
                "fake-anthropic",
                "flaky-30-claude-sonnet-4-5",
                "claude-sonnet-4-5",
            ),
        ],
        retries: 2,
        fallbacks: vec!["gpt-upstream".into()],
        strategy: Strategy::Weighted,
        context_fallbacks: vec![],
    });
    let router = Router::new(providers, routes, true, Duration::from_secs(10))
        .with_pricer(pricer.clone())
        // Short cooldowns so failing deployments come back within a test's lifetime.
        .with_cooldown(tollgate_router::CooldownPolicy {
            failures: 3,
            window: Duration::from_secs(1),
            cooldown: Duration::from_millis(100),
            max_retry_after: Duration::from_millis(200),
        })
        .with_backoff(tollgate_router::Backoff {
            base: Duration::from_millis(1),
            max: Duration::from_millis(5),
            max_retry_after: Duration::from_millis(5),
        });

    let data_dir = TempDir::new();
    let store = tollgate_store::open(&format!("sqlite://{}/t.db", data_dir.0.display()))
        .await
        .expect("store opens");
    let writer = SpendWriter::start(
        store.clone(),
        SpendWriterConfig {
            flush_interval: Duration::from_millis(10),
            ..SpendWriterConfig::default()
        },
    );
    let state = AppState::new(
        router,
        Auth::new(tollgate_server::auth::hash_key(MASTER_KEY), store.clone()),
        store.clone(),
        ServerLimits {
            max_body_bytes: MAX_BODY_BYTES,
        },
    )
    .with_spend_writer(writer.clone());
    let state = match guard {
        Some(setup) => setup(state),
        None => state,
    };
    let app_state = state.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, build_app(state)).await.ok();
    });
    Gateway {
        state: app_state,
        store,
        writer,
        base: format!("http://{address}"),
        mock,
        client: Client::builder(TokioExecutor::new()).build_http(),
        _data_dir: data_dir,
    }
}

impl Gateway {
    /// Every spend-log row, oldest first, once the writer has flushed `expected` rows in total
    /// (rows are written off the request path, a few milliseconds later).
    pub async fn spend_rows(&self, expected: usize) -> Vec<SpendRecord> {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let filter = UsageFilter {
                org_id: None,
                team_id: None,
                user_id: None,
                key_id: None,
                model: None,
                from: Timestamp(0),
                to: Timestamp::now().saturating_add(Duration::from_secs(60)),
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
                rows.reverse();
                return rows;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// POST with the master key as a Bearer token.
    pub async fn post(&self, path: &str, body: impl Into<Bytes>) -> Reply {
        self.send(
            "POST",
            path,
            &[("authorization", &format!("Bearer {MASTER_KEY}"))],
            body.into(),
        )
        .await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.post(path, serde_json::to_vec(body).unwrap()).await
    }

    /// POST the Anthropic way (`x-api-key`).
    pub async fn post_anthropic(&self, body: &Value) -> Reply {
        self.send(
            "POST",
            "/v1/messages",
            &[
                ("x-api-key", MASTER_KEY),
                ("anthropic-version", "2023-06-01"),
            ],
            serde_json::to_vec(body).unwrap().into(),
        )
        .await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(
            "GET",
            path,
            &[("authorization", &format!("Bearer {MASTER_KEY}"))],
            Bytes::new(),
        )
        .await
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
        let request = request.body(Full::new(body)).unwrap();
        let response = tokio::time::timeout(Duration::from_secs(20), self.client.request(request))
            .await
            .expect("gateway answers in time")
            .expect("gateway answers (a dropped connection means a panic or a hang)");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body,
        }
    }
}

/// Splits an SSE body into `(event name, data)` pairs.
pub fn sse_events(body: &str) -> Vec<(Option<String>, String)> {
    body.replace("\r\n", "\n")
        .split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .filter_map(|block| {
            let mut event = None;
            let mut data = Vec::new();
            for line in block.lines() {
                if let Some(rest) = line.strip_prefix("event:") {
                    event = Some(rest.trim().to_string());
                } else if let Some(rest) = line.strip_prefix("data:") {
                    data.push(rest.strip_prefix(' ').unwrap_or(rest).to_string());
                }
            }
            (!data.is_empty()).then(|| (event, data.join("\n")))
        })
        .collect()
}

/// A temporary directory removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let path = std::env::temp_dir().join(format!("tollgate-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

/// The fake providers of [`start`] (same names, same mock server), for tests that build their
/// own routing table.
pub struct Fakes {
    pub providers: HashMap<String, Arc<dyn Provider>>,
    pub pricer: Arc<PriceResolver>,
    pub client: UpstreamClient,
}

impl Fakes {
    /// A deployment of `upstream` (a mock fault name works, e.g. `fail-500`) on the fake
    /// `provider`, priced as the real model `priced_as` from the catalog, 10 s timeouts.
    pub fn deployment(&self, provider: &str, upstream: &str, priced_as: &str) -> Deployment {
        let provider = self.providers[provider].clone();
        let price = self.pricer.resolve(
            provider.kind().as_str(),
            host_hint_for_base_url(provider.base_url()),
            priced_as,
            None,
        );
        assert!(price.is_some(), "the catalog prices {priced_as}");
        Deployment::new(provider, Target::new(upstream, Duration::from_secs(10))).with_price(price)
    }

    /// An OpenAI-compatible provider at a port nothing listens on: every call is refused.
    pub fn unreachable(&self, name: &str) -> Arc<dyn Provider> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let spec = ProviderSpec::new(
            name,
            ProviderKind::OpenAi,
            format!("http://127.0.0.1:{port}/v1"),
        )
        .with_api_key("mock-key");
        tollgate_providers::build_provider(spec, self.client.clone())
    }
}

/// A gateway like [`start`]'s whose routing table `build` makes from the fake providers (for
/// tests that need their own models, timeouts, deadlines, quotas or cooldowns).
pub async fn start_routed(build: impl FnOnce(&Fakes) -> Router) -> Gateway {
    let mock = MockServer::start(MockOptions::default())
        .await
        .expect("mock starts");
    let base = mock.base_url();
    let client = UpstreamClient::new(Duration::from_secs(2));
    let specs = [
        (
            "fake-openai",
            ProviderKind::OpenAi,
            format!("{base}/openai/v1"),
        ),
        (
            "fake-openrouter",
            ProviderKind::OpenRouter,
            format!("{base}/openrouter/api/v1"),
        ),
        (
            "fake-anthropic",
            ProviderKind::Anthropic,
            format!("{base}/anthropic"),
        ),
        (
            "fake-gemini",
            ProviderKind::Gemini,
            format!("{base}/gemini/v1beta"),
        ),
    ];
    let providers: HashMap<String, Arc<dyn Provider>> = specs
        .into_iter()
        .map(|(name, kind, url)| {
            let spec = ProviderSpec::new(name, kind, url).with_api_key("mock-key");
            (
                name.to_string(),
                tollgate_providers::build_provider(spec, client.clone()),
            )
        })
        .collect();
    let fakes = Fakes {
        providers,
        pricer: Arc::new(PriceResolver::with_embedded_catalog()),
        client,
    };
    let router = build(&fakes);

    let data_dir = TempDir::new();
    let store = tollgate_store::open(&format!("sqlite://{}/t.db", data_dir.0.display()))
        .await
        .expect("store opens");
    let writer = SpendWriter::start(
        store.clone(),
        SpendWriterConfig {
            flush_interval: Duration::from_millis(10),
            ..SpendWriterConfig::default()
        },
    );
    let state = AppState::new(
        router,
        Auth::new(tollgate_server::auth::hash_key(MASTER_KEY), store.clone()),
        store.clone(),
        ServerLimits {
            max_body_bytes: MAX_BODY_BYTES,
        },
    )
    .with_spend_writer(writer.clone());
    let app_state = state.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, build_app(state)).await.ok();
    });
    Gateway {
        state: app_state,
        store,
        writer,
        base: format!("http://{address}"),
        mock,
        client: Client::builder(TokioExecutor::new()).build_http(),
        _data_dir: data_dir,
    }
}
