//! Token usage, normalised across providers.

/// Token counts of one call, normalised to inclusive semantics:
/// `input_tokens` includes `cached_input_tokens` and `cache_write_tokens`;
/// `output_tokens` includes `reasoning_tokens`. Adapters convert their provider's shape into this
/// (Anthropic reports cache reads and writes beside `input_tokens`; Gemini reports thoughts beside
/// candidates), so pricing has one shape to read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Prompt tokens served from the provider's cache (billed at the cache-read rate).
    pub cached_input_tokens: u64,
    /// Prompt tokens written to the provider's cache (billed at the cache-write rate).
    pub cache_write_tokens: u64,
    /// Hidden reasoning tokens (billed as output unless a reasoning rate exists).
    pub reasoning_tokens: u64,
}

impl Usage {
    pub fn total_tokens(&self) -> u64 {
        self.input_tokens.saturating_add(self.output_tokens)
    }

    /// Prompt tokens billed at the plain input rate.
    pub fn uncached_input_tokens(&self) -> u64 {
        self.input_tokens
            .saturating_sub(self.cached_input_tokens)
            .saturating_sub(self.cache_write_tokens)
    }

    /// Adds another call's usage (e.g. `n` choices reported separately, or several attempts).
    pub fn add(&mut self, other: &Usage) {
        self.input_tokens = self.input_tokens.saturating_add(other.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(other.output_tokens);
        self.cached_input_tokens = self
            .cached_input_tokens
            .saturating_add(other.cached_input_tokens);
        self.cache_write_tokens = self
            .cache_write_tokens
            .saturating_add(other.cache_write_tokens);
        self.reasoning_tokens = self.reasoning_tokens.saturating_add(other.reasoning_tokens);
    }
}
