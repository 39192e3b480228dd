//! The provider families the mock imitates, and where each one lives on the shared port.

use std::fmt;
use std::str::FromStr;

/// One fake provider family. All flavours are served by the same [`crate::MockServer`] under their
/// own path prefix, so one server can stand in for every upstream of a gateway config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flavour {
    /// OpenAI Chat Completions, embeddings and models under `/openai/v1`.
    OpenAi,
    /// OpenRouter (OpenAI-compatible plus `usage.cost`) under `/openrouter/api/v1`.
    OpenRouter,
    /// Azure OpenAI deployments under `/azure/openai/deployments/{deployment}`.
    Azure,
    /// Anthropic Messages under `/anthropic/v1/messages`.
    Anthropic,
    /// Gemini `generateContent` family under `/gemini/v1beta/models/{model}:{action}`.
    Gemini,
    /// Fixed, precomputed OpenAI answers for the load benchmark under `/bench/v1`.
    Bench,
}

impl Flavour {
    /// Every flavour, in a stable order.
    pub const ALL: [Flavour; 6] = [
        Flavour::OpenAi,
        Flavour::OpenRouter,
        Flavour::Azure,
        Flavour::Anthropic,
        Flavour::Gemini,
        Flavour::Bench,
    ];

    /// Short lowercase name, also the first path segment of the flavour's routes.
    pub fn name(self) -> &'static str {
        match self {
            Flavour::OpenAi => "openai",
            Flavour::OpenRouter => "openrouter",
            Flavour::Azure => "azure",
            Flavour::Anthropic => "anthropic",
            Flavour::Gemini => "gemini",
            Flavour::Bench => "bench",
        }
    }

    /// The path a provider SDK (or a Tollgate `base_url`) takes as its base, relative to the
    /// server root: with the version segment for OpenAI-style and Gemini, without it for Anthropic
    /// (the SDK appends `/v1/messages`) and Azure (the SDK appends `/openai/deployments/...`).
    pub fn base_path(self) -> &'static str {
        match self {
            Flavour::OpenAi => "/openai/v1",
            Flavour::OpenRouter => "/openrouter/api/v1",
            Flavour::Azure => "/azure",
            Flavour::Anthropic => "/anthropic",
            Flavour::Gemini => "/gemini/v1beta",
            Flavour::Bench => "/bench/v1",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The flavour owning a request path, judged by its first segment.
    pub(crate) fn from_path(path: &str) -> Option<Flavour> {
        let first = path.trim_start_matches('/').split('/').next()?;
        first.parse().ok()
    }
}

impl fmt::Display for Flavour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Flavour {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Flavour::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| format!("unknown flavour {s:?}"))
    }
}
