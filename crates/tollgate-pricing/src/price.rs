//! What one model costs per token, from the catalog or from a deployment's config.

use rust_decimal::Decimal;
use tollgate_config::Price;

/// Prices of one model in USD per single token, exact.
///
/// Optional rates are `None` when the source gives none; [`crate::cost`] then falls back to a
/// rate that never under-charges (input for cache reads and writes, output for reasoning).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModelPrice {
    pub input: Decimal,
    /// Zero for embedding models: they produce no output tokens.
    pub output: Decimal,
    /// Prompt tokens served from the provider's cache.
    pub cache_read: Option<Decimal>,
    /// Prompt tokens written to the provider's cache (Anthropic's 5-minute write rate).
    pub cache_write: Option<Decimal>,
    /// Hidden reasoning tokens, when the provider bills them apart from output.
    pub reasoning: Option<Decimal>,
    /// Higher rates for calls whose prompt is longer than a threshold (Gemini, Claude 1M context).
    pub long_context: Option<LongContextTier>,
    pub max_input_tokens: Option<u64>,
    pub max_output_tokens: Option<u64>,
    pub capabilities: Capabilities,
}

/// The rates that replace the base rates when a call's input tokens exceed `above_input_tokens`.
/// Applies to the whole call, as LiteLLM and the providers do, not only to the tokens above it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LongContextTier {
    pub above_input_tokens: u64,
    pub input: Decimal,
    /// `None`: the base output rate still applies.
    pub output: Option<Decimal>,
    /// `None`: the base cache-read rate applies, else this tier's input rate.
    pub cache_read: Option<Decimal>,
    /// `None`: the base cache-write rate applies, else this tier's input rate.
    pub cache_write: Option<Decimal>,
}

/// What a model can do, for the console's model browser. `false` also means "unknown".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Capabilities {
    pub function_calling: bool,
    pub vision: bool,
    pub response_schema: bool,
    pub reasoning: bool,
    pub prompt_caching: bool,
}

const TOKENS_PER_MILLION: u32 = 1_000_000;

impl ModelPrice {
    /// A model that costs nothing (Tollgate's built-in mock). Zero is a known price: calls are
    /// recorded as costing $0 from the catalog, not as unpriced.
    pub fn free() -> ModelPrice {
        ModelPrice {
            input: Decimal::ZERO,
            output: Decimal::ZERO,
            cache_read: None,
            cache_write: None,
            reasoning: None,
            long_context: None,
            max_input_tokens: None,
            max_output_tokens: None,
            capabilities: Capabilities::default(),
        }
    }

    /// A deployment's configured price (USD per million tokens) as USD per token. The division
    /// only moves the decimal point, so it is exact for any price a person writes.
    pub fn from_config(price: &Price) -> ModelPrice {
        let per_token = |per_mtok: Decimal| per_mtok / Decimal::from(TOKENS_PER_MILLION);
        ModelPrice {
            input: per_token(price.input_per_mtok),
            output: per_token(price.output_per_mtok),
            cache_read: price.cached_input_per_mtok.map(per_token),
            cache_write: price.cache_write_per_mtok.map(per_token),
            ..ModelPrice::default()
        }
    }

    /// The configured prices with what the catalog knows beyond prices (context limits,
    /// capabilities), so an override changes what a call costs and nothing else.
    pub(crate) fn overridden_by(&self, price: &Price) -> ModelPrice {
        ModelPrice {
            max_input_tokens: self.max_input_tokens,
            max_output_tokens: self.max_output_tokens,
            capabilities: self.capabilities,
            ..ModelPrice::from_config(price)
        }
    }
}
