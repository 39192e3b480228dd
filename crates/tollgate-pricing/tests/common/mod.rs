//! Helpers shared by the integration tests (included with `mod common;`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::str::FromStr;
use std::sync::Arc;

use rust_decimal::Decimal;
use tollgate_config::Price;
use tollgate_pricing::{Catalog, ModelPrice};

pub fn usd(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

/// The price of a catalog entry, by its exact LiteLLM key.
pub fn catalog_price(key: &str) -> Arc<ModelPrice> {
    let entry = Catalog::embedded().get(key).cloned();
    entry
        .unwrap_or_else(|| panic!("{key} is not in the catalog"))
        .price
}

/// A config price in USD per million tokens.
pub fn per_mtok(input: &str, output: &str) -> Price {
    Price {
        input_per_mtok: usd(input),
        output_per_mtok: usd(output),
        cached_input_per_mtok: None,
        cache_write_per_mtok: None,
    }
}

/// A deterministic xorshift64* sequence, so that "random" tests fail the same way every run.
pub struct PseudoRandom(u64);

impl PseudoRandom {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform enough in `0..=max` for test inputs.
    pub fn up_to(&mut self, max: u64) -> u64 {
        if max == u64::MAX {
            self.next_u64()
        } else {
            self.next_u64() % (max + 1)
        }
    }
}
