//! The validated configuration the rest of the gateway reads. Every value here has passed the
//! checks in `validate`, and every default is filled in.

use std::collections::BTreeMap;
use std::time::Duration;

use rust_decimal::Decimal;

use crate::Secret;
use crate::keyword::keyword_enum;

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub server: ServerConfig,
    /// The admin key; `None` means "generate one at first start" (design.md §4).
    pub master_key: Option<Secret<String>>,
    pub storage: StorageConfig,
    /// Present only in scale-out mode.
    pub redis: Option<RedisConfig>,
    /// Provider name → how to reach it. Sorted by name.
    pub providers: BTreeMap<String, ProviderConfig>,
    /// The public model names callers use, in file order; names are unique.
    pub models: Vec<ModelConfig>,
    pub routing: RoutingConfig,
    pub guardrails: crate::GuardrailsConfig,
    pub budgets: crate::BudgetsConfig,
    pub credits: crate::CreditsConfig,
}

impl Config {
    pub fn provider(&self, name: &str) -> Option<&ProviderConfig> {
        self.providers.get(name)
    }

    pub fn model(&self, name: &str) -> Option<&ModelConfig> {
        self.models.iter().find(|m| m.name == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    pub host: String,
    pub port: u16,
    /// Largest request body accepted (413 above it).
    pub max_body_bytes: u64,
    /// How long shutdown waits for in-flight requests and spend writes.
    pub shutdown_grace: Duration,
}

impl ServerConfig {
    pub const DEFAULT_HOST: &'static str = "127.0.0.1";
    pub const DEFAULT_PORT: u16 = 4000;
    pub const DEFAULT_MAX_BODY_BYTES: u64 = 4 * 1024 * 1024;
    pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            host: Self::DEFAULT_HOST.to_owned(),
            port: Self::DEFAULT_PORT,
            max_body_bytes: Self::DEFAULT_MAX_BODY_BYTES,
            shutdown_grace: Self::DEFAULT_SHUTDOWN_GRACE,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageConfig {
    /// `sqlite://...` or `postgres://...` / `postgresql://...`, as written.
    pub url: String,
    pub backend: StorageBackend,
}

impl StorageConfig {
    pub const DEFAULT_URL: &'static str = "sqlite://./tollgate-data/tollgate.db";
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            url: Self::DEFAULT_URL.to_owned(),
            backend: StorageBackend::Sqlite,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StorageBackend {
    Sqlite,
    Postgres,
}

impl StorageBackend {
    /// The backend a storage URL names, from its scheme.
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Self::Postgres)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisConfig {
    /// `redis://...` or `rediss://...`.
    pub url: String,
    /// What every counter key starts with (`tollgate:` unless set): instances that count
    /// together share it; gateways sharing one Redis keep apart with different ones.
    pub prefix: String,
}

impl RedisConfig {
    pub const DEFAULT_PREFIX: &'static str = "tollgate:";
}

keyword_enum! {
    /// Which wire format and auth a provider speaks.
    pub enum ProviderKind {
        /// Any OpenAI-compatible server (OpenAI, Groq, Together, vLLM, Ollama, ...).
        OpenAi => "openai",
        OpenRouter => "openrouter",
        Azure => "azure",
        Anthropic => "anthropic",
        Gemini => "gemini",
        /// Built-in fake provider: answers locally, for offline use and tests.
        Mock => "mock",
    }
}

impl ProviderKind {
    /// Whether the provider has an embeddings API (Anthropic has none).
    pub const fn supports_embeddings(self) -> bool {
        !matches!(self, Self::Anthropic)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProviderConfig {
    pub kind: ProviderKind,
    /// What the provider's own SDK takes as base URL, without a trailing `/`. Always `Some`
    /// except for kind `mock`, where it is optional.
    pub base_url: Option<String>,
    /// `None` for servers that need no key (a local vLLM, the mock).
    pub api_key: Option<Secret<String>>,
    /// Azure's `api-version` query parameter; `Some` exactly for kind `azure`.
    pub api_version: Option<String>,
    /// Extra headers sent upstream with every request.
    pub headers: BTreeMap<String, String>,
    pub connect_timeout: Option<Duration>,
    /// Behaviour of the fake provider; `Some` exactly for kind `mock`.
    pub mock: Option<MockConfig>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockConfig {
    /// Delay before the first byte.
    pub latency: Duration,
    /// Tokens in each answer.
    pub output_tokens: u32,
    /// Delay between stream chunks.
    pub chunk_delay: Duration,
}

impl Default for MockConfig {
    fn default() -> Self {
        Self {
            latency: Duration::ZERO,
            output_tokens: 16,
            chunk_delay: Duration::ZERO,
        }
    }
}

keyword_enum! {
    pub enum ModelKind {
        Chat => "chat",
        Embedding => "embedding",
    }
}

/// A public model name and the deployments that serve it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelConfig {
    pub name: String,
    pub kind: ModelKind,
    /// At least one.
    pub deployments: Vec<DeploymentConfig>,
    /// Further attempts on this model's deployments after the first.
    pub retries: u32,
    /// Other model names tried in order once this model's attempts are spent. Each exists, is
    /// of the same kind, and is not this model (cycles between models are allowed; the router
    /// must not revisit a model within one request).
    pub fallbacks: Vec<String>,
    /// Larger-context models tried, in order, when a request is too long for this one (the
    /// provider answered `context_length_exceeded`). Same rules as `fallbacks`.
    pub context_window_fallbacks: Vec<String>,
    /// Total time a call to this model may take: every attempt, backoff wait and fallback
    /// (for a stream, until its first event). `None`: `routing.deadline_ms`, if set.
    pub deadline: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentConfig {
    /// A key of [`Config::providers`].
    pub provider: String,
    /// The upstream's own model name.
    pub model: String,
    /// Share of traffic under the weighted strategy; at least 1.
    pub weight: u32,
    /// Whole-request limit.
    pub timeout: Duration,
    /// Limit until the first byte of the answer; at most `timeout`.
    pub first_byte_timeout: Duration,
    /// Longest silence between two pieces of a stream once it began; at most `timeout`
    /// (default: `first_byte_timeout`).
    pub stream_idle_timeout: Duration,
    /// The provider's requests/min quota on this deployment; over it, the deployment is skipped.
    pub rpm_limit: Option<u64>,
    /// The provider's tokens/min quota on this deployment (worst case taken, unused given back).
    pub tpm_limit: Option<u64>,
    /// Overrides the price catalog for this deployment.
    pub price: Option<Price>,
}

impl DeploymentConfig {
    /// Largest `rpm_limit` / `tpm_limit` accepted (what the rate counters can hold).
    pub const MAX_RATE_LIMIT: u64 = 1_000_000_000_000_000;
    pub const DEFAULT_WEIGHT: u32 = 1;
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
}

/// USD per million tokens, exact as written in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    pub input_per_mtok: Decimal,
    /// Zero for embedding models when not given (they produce no output tokens).
    pub output_per_mtok: Decimal,
    pub cached_input_per_mtok: Option<Decimal>,
    pub cache_write_per_mtok: Option<Decimal>,
}

keyword_enum! {
    pub enum RoutingStrategy {
        Weighted => "weighted",
        LeastBusy => "least_busy",
        LowestLatency => "lowest_latency",
        LowestCost => "lowest_cost",
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingConfig {
    pub strategy: RoutingStrategy,
    /// Lets callers name `<provider>/<upstream-model>` directly, without a `models` entry.
    pub allow_provider_prefix: bool,
    /// Total deadline of a call to a model that sets none of its own; `None`: unbounded (each
    /// attempt still has its deployment's timeouts).
    pub deadline: Option<Duration>,
}

impl Default for RoutingConfig {
    fn default() -> Self {
        Self {
            strategy: RoutingStrategy::Weighted,
            allow_provider_prefix: false,
            deadline: None,
        }
    }
}
