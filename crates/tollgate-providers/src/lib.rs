//! Provider adapters.
//!
//! Each provider family is one module folder (`openai` for every OpenAI-compatible server including
//! OpenRouter and Azure, `anthropic`, `gemini`, `mock`) that maps the canonical types of
//! `tollgate-types` to its wire structs and back, including stream events one by one. All of them
//! share one pooled HTTP client ([`http::UpstreamClient`]) and one mapping of upstream failures to
//! [`GatewayError`] ([`upstream_error`]).

pub mod anthropic;
pub mod gemini;
pub mod http;
pub mod mock;
pub mod openai;
pub mod spec;
pub mod upstream_error;

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::Stream;
use tollgate_types::{
    ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, GatewayError, NativeReply,
    StreamEvent,
};

pub use http::UpstreamClient;
pub use spec::{MockSettings, ProviderKind, ProviderSpec};

/// A stream of canonical events. A failure after the stream began arrives as a final
/// `StreamEvent::Error`; the stream simply ends after the upstream's last event.
pub type ChatStream = Pin<Box<dyn Stream<Item = StreamEvent> + Send>>;

/// A non-streamed chat answer: canonical, or already in the caller's dialect (passthrough).
#[derive(Debug, Clone)]
pub enum ChatReply {
    Canonical(ChatResponse),
    Native(NativeReply),
}

/// Where one attempt goes: the upstream's model name and this deployment's time limits.
#[derive(Debug, Clone)]
pub struct Target {
    /// The upstream's own model name (or Azure deployment name).
    pub upstream_model: String,
    /// Time allowed until the upstream's response headers arrive.
    pub first_byte_timeout: Duration,
    /// Time allowed for the whole call, body or stream included.
    pub total_timeout: Duration,
    /// Longest silence allowed between two pieces of a streamed answer once it began.
    pub stream_idle_timeout: Duration,
}

impl Target {
    pub fn new(upstream_model: impl Into<String>, timeout: Duration) -> Self {
        Target {
            upstream_model: upstream_model.into(),
            first_byte_timeout: timeout,
            total_timeout: timeout,
            stream_idle_timeout: timeout,
        }
    }
}

/// One configured upstream (a provider entry of the config), able to serve chat and embeddings.
///
/// `chat_stream` returns `Ok` only once the upstream accepted the call (2xx headers), so a caller
/// can still fall back to another deployment on `Err` before anything reached its client.
#[async_trait::async_trait]
pub trait Provider: Send + Sync {
    /// The provider's configured name.
    fn name(&self) -> &str;

    fn kind(&self) -> ProviderKind;

    /// The configured base URL (empty for the built-in mock); its host tells the price catalog
    /// which OpenAI-compatible vendor this is (Groq, Together, …).
    fn base_url(&self) -> &str {
        ""
    }

    async fn chat(&self, request: &ChatRequest, target: &Target)
    -> Result<ChatReply, GatewayError>;

    async fn chat_stream(
        &self,
        request: &ChatRequest,
        target: &Target,
    ) -> Result<ChatStream, GatewayError>;

    async fn embed(
        &self,
        request: &EmbeddingRequest,
        target: &Target,
    ) -> Result<EmbeddingResponse, GatewayError>;
}

/// Builds the adapter for a provider entry.
pub fn build_provider(spec: ProviderSpec, client: UpstreamClient) -> Arc<dyn Provider> {
    match spec.kind {
        ProviderKind::OpenAi | ProviderKind::OpenRouter | ProviderKind::Azure => {
            Arc::new(openai::OpenAiProvider::new(spec, client))
        }
        ProviderKind::Anthropic => Arc::new(anthropic::AnthropicProvider::new(spec, client)),
        ProviderKind::Gemini => Arc::new(gemini::GeminiProvider::new(spec, client)),
        ProviderKind::Mock => Arc::new(mock::MockProvider::new(spec)),
    }
}
