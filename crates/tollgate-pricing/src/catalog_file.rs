//! The serde shape of `data/catalog.json`, converted into [`CatalogEntry`] after parsing.

use std::sync::Arc;

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::catalog::{CatalogEntry, CatalogMode};
use crate::price::{Capabilities, LongContextTier, ModelPrice};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CatalogFile {
    pub(crate) source_sha256: String,
    pub(crate) entries: Vec<RawEntry>,
}

/// Prices are decimal strings, read with `serde::str` so that a number can never sneak in
/// through `f64`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEntry {
    key: String,
    provider: String,
    mode: CatalogMode,
    #[serde(default)]
    max_input_tokens: Option<u64>,
    #[serde(default)]
    max_output_tokens: Option<u64>,
    #[serde(with = "rust_decimal::serde::str")]
    input: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    output: Decimal,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    cache_read: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    cache_write: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    cache_write_1h: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    reasoning: Option<Decimal>,
    #[serde(default)]
    long_context: Option<RawTier>,
    #[serde(default)]
    supports: Capabilities,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTier {
    above_input_tokens: u64,
    #[serde(with = "rust_decimal::serde::str")]
    input: Decimal,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    output: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    cache_read: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    cache_write: Option<Decimal>,
}

impl RawEntry {
    pub(crate) fn into_entry(self) -> CatalogEntry {
        // A few embedding entries carry an output price, but embeddings return vectors, not
        // tokens; a non-zero rate would only inflate budget reservations.
        let is_embedding = self.mode == CatalogMode::Embedding;
        let output = if is_embedding {
            Decimal::ZERO
        } else {
            self.output
        };
        let price = ModelPrice {
            input: self.input,
            output,
            cache_read: self.cache_read,
            cache_write: self.cache_write,
            reasoning: self.reasoning.filter(|_| !is_embedding),
            long_context: self.long_context.map(|tier| LongContextTier {
                above_input_tokens: tier.above_input_tokens,
                input: tier.input,
                output: if is_embedding {
                    Some(Decimal::ZERO)
                } else {
                    tier.output
                },
                cache_read: tier.cache_read,
                cache_write: tier.cache_write,
            }),
            max_input_tokens: self.max_input_tokens,
            max_output_tokens: self.max_output_tokens,
            capabilities: self.supports,
        };
        CatalogEntry {
            key: self.key,
            provider: self.provider,
            mode: self.mode,
            price: Arc::new(price),
            cache_write_1h: self.cache_write_1h,
        }
    }
}
