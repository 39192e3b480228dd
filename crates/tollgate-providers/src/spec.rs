//! What an adapter needs to know about its upstream (built from the config by the binary).

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    /// Any OpenAI-compatible server (OpenAI, Groq, Together, Mistral, DeepSeek, xAI, vLLM, Ollama).
    OpenAi,
    /// OpenAI-compatible, plus usage accounting with the provider's own cost.
    OpenRouter,
    /// Azure OpenAI: deployment in the path, `api-version` query, `api-key` header.
    Azure,
    Anthropic,
    Gemini,
    /// Built in, offline, deterministic.
    Mock,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::OpenAi => "openai",
            ProviderKind::OpenRouter => "openrouter",
            ProviderKind::Azure => "azure",
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::Gemini => "gemini",
            ProviderKind::Mock => "mock",
        }
    }
}

#[derive(Clone)]
pub struct ProviderSpec {
    /// The configured name (`openai`, `claude`, …), used in errors and headers.
    pub name: String,
    pub kind: ProviderKind,
    /// As the provider's own SDK takes it: with `/v1` for OpenAI-style and `/v1beta` for Gemini,
    /// without a version for Anthropic. No trailing slash.
    pub base_url: String,
    pub api_key: Option<String>,
    /// Azure's mandatory `api-version` query parameter.
    pub api_version: Option<String>,
    /// Extra headers sent on every upstream call.
    pub headers: Vec<(String, String)>,
    pub mock: MockSettings,
}

// Written by hand so the key never reaches a log.
impl std::fmt::Debug for ProviderSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderSpec")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "*****"))
            .field("api_version", &self.api_version)
            .finish_non_exhaustive()
    }
}

impl ProviderSpec {
    pub fn new(name: impl Into<String>, kind: ProviderKind, base_url: impl Into<String>) -> Self {
        ProviderSpec {
            name: name.into(),
            kind,
            base_url: base_url.into().trim_end_matches('/').to_string(),
            api_key: None,
            api_version: None,
            headers: Vec::new(),
            mock: MockSettings::default(),
        }
    }

    pub fn with_api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }
}

/// Behaviour of the built-in mock provider (demos and benchmarks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockSettings {
    /// Delay before the answer (or the first stream event).
    pub latency: Duration,
    /// Tokens in each answer.
    pub output_tokens: u32,
    /// Delay between stream events.
    pub chunk_delay: Duration,
}

impl Default for MockSettings {
    fn default() -> Self {
        MockSettings {
            latency: Duration::ZERO,
            output_tokens: 16,
            chunk_delay: Duration::ZERO,
        }
    }
}
