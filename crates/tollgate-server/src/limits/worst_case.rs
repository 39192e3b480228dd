//! The most a call can cost before it is made (design.md §1 step 6), over every deployment the
//! router might end up using: the model's own, its fallbacks', its context-window fallbacks'.

use std::sync::Arc;

use tollgate_pricing::ModelPrice;
use tollgate_router::{ModelRoute, Router};
use tollgate_types::NanoUsd;

/// What the request itself says about its size.
#[derive(Debug, Clone, Copy)]
pub struct CallSize {
    /// An upper bound of the prompt's tokens. Byte-level BPE tokenizers never make more tokens
    /// than bytes, so the request body's length (plus per-message overhead) is one.
    pub input_tokens: u64,
    /// The request's `max_tokens` / `max_completion_tokens`, if it set one.
    pub max_output_tokens: Option<u64>,
    /// Choices asked for (`n`): each may use the whole output cap.
    pub choices: u64,
}

impl CallSize {
    pub fn chat(request: &tollgate_types::ChatRequest, body_bytes: usize) -> Self {
        CallSize {
            input_tokens: tollgate_pricing::estimate_chat_input_tokens(
                body_bytes,
                request.messages.len(),
            ),
            max_output_tokens: request.max_tokens.map(u64::from),
            choices: u64::from(request.n.unwrap_or(1).max(1)),
        }
    }

    pub fn embedding(body_bytes: usize) -> Self {
        CallSize {
            input_tokens: tollgate_pricing::estimate_input_tokens(body_bytes),
            max_output_tokens: Some(0),
            choices: 1,
        }
    }

    /// Output tokens a deployment may produce: the request's cap, else the model's maximum,
    /// else the configured default.
    fn output_cap(&self, price: Option<&ModelPrice>, default: u64) -> u64 {
        self.max_output_tokens
            .or_else(|| price.and_then(|price| price.max_output_tokens))
            .unwrap_or(default)
            .saturating_mul(self.choices)
    }
}

/// Every deployment the call could reach; `None` entries have no price.
pub fn candidate_prices(router: &Router, route: &ModelRoute) -> Vec<Option<Arc<ModelPrice>>> {
    let mut prices: Vec<Option<Arc<ModelPrice>>> = Vec::new();
    let mut push = |model: &ModelRoute| {
        prices.extend(model.deployments.iter().map(|d| d.price.clone()));
    };
    push(route);
    for name in route.fallbacks.iter().chain(&route.context_fallbacks) {
        if let Some(model) = router.model(name) {
            push(model);
        }
    }
    prices
}

/// The worst case in nano-dollars (`None` if some candidate has no price: fail closed) and in
/// tokens (for tokens/min limits), over all candidates.
pub fn worst_case(
    prices: &[Option<Arc<ModelPrice>>],
    size: CallSize,
    default_max_output: u64,
) -> (Option<NanoUsd>, u64) {
    let mut cost = Some(NanoUsd::ZERO);
    let mut tokens = size
        .input_tokens
        .saturating_add(size.output_cap(None, default_max_output));
    for price in prices {
        let output = size.output_cap(price.as_deref(), default_max_output);
        tokens = tokens.max(size.input_tokens.saturating_add(output));
        cost = match (cost, price) {
            (Some(most), Some(price)) => Some(most.max(tollgate_pricing::worst_case_cost(
                size.input_tokens,
                output,
                price,
            ))),
            _ => None,
        };
    }
    (cost, tokens)
}
