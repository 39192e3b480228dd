//! Model prices and what calls cost.
//!
//! - [`Catalog`]: Tollgate's own price catalog (prices, context windows, capabilities of about
//!   two thousand models), built from LiteLLM's public price map and embedded in the binary;
//!   [`Catalog::find`] maps a provider kind and upstream model name to an entry.
//! - [`PriceResolver`]: what the request path asks, "what does this deployment's model cost?",
//!   with a deployment's configured price winning over the catalog.
//! - [`cost`] settles a call from its usage (design.md §1 step 10); [`worst_case_cost`] and
//!   [`estimate_input_tokens`] size the reservation made before the call (step 6).
//!
//! Money is exact: prices are `rust_decimal::Decimal` USD per token, costs are [`NanoUsd`]
//! rounded once per call, never `f64`.
//!
//! [`NanoUsd`]: tollgate_types::NanoUsd

mod catalog;
mod catalog_file;
mod cost;
mod lookup;
mod price;
mod resolver;

pub use catalog::{Catalog, CatalogEntry, CatalogMode};
pub use cost::{
    PER_MESSAGE_OVERHEAD_TOKENS, cost, estimate_chat_input_tokens, estimate_input_tokens,
    worst_case_cost,
};
pub use lookup::host_hint_for_base_url;
pub use price::{Capabilities, LongContextTier, ModelPrice};
pub use resolver::PriceResolver;
