//! What a call costs, from its usage and its model's prices: exact decimal arithmetic, rounded
//! to the nano-dollar once, at the end.
//!
//! The algorithm is LiteLLM's `generic_cost_per_token` (providers.md §4.4) on Tollgate's
//! inclusive [`Usage`], except where LiteLLM would under-charge: a missing cache-read or
//! cache-write rate falls back to the input rate (LiteLLM prices missing cache reads at 0).

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use tollgate_types::{NanoUsd, Usage};

use crate::price::{LongContextTier, ModelPrice};

/// The rates that apply to one call, every fallback resolved.
#[derive(Debug, Clone, Copy)]
struct Rates {
    input: Decimal,
    output: Decimal,
    cache_read: Decimal,
    cache_write: Decimal,
    reasoning: Decimal,
}

impl Rates {
    fn base(price: &ModelPrice) -> Rates {
        Rates {
            input: price.input,
            output: price.output,
            cache_read: price.cache_read.unwrap_or(price.input),
            cache_write: price.cache_write.unwrap_or(price.input),
            reasoning: price.reasoning.unwrap_or(price.output),
        }
    }

    /// A tier rate the catalog leaves out falls back to the base rate of the same kind, as in
    /// LiteLLM (xAI bills cached tokens alike on both sides of 128k), and only then to the
    /// tier's input rate.
    fn long_context(price: &ModelPrice, tier: &LongContextTier) -> Rates {
        let output = tier.output.unwrap_or(price.output);
        Rates {
            input: tier.input,
            output,
            cache_read: tier.cache_read.or(price.cache_read).unwrap_or(tier.input),
            cache_write: tier.cache_write.or(price.cache_write).unwrap_or(tier.input),
            reasoning: price.reasoning.unwrap_or(output),
        }
    }

    /// The tier applies to the whole call once its prompt exceeds the threshold.
    fn for_input_tokens(price: &ModelPrice, input_tokens: u64) -> Rates {
        match &price.long_context {
            Some(tier) if input_tokens > tier.above_input_tokens => {
                Rates::long_context(price, tier)
            }
            _ => Rates::base(price),
        }
    }

    fn highest_input(&self) -> Decimal {
        self.input.max(self.cache_read).max(self.cache_write)
    }

    fn highest_output(&self) -> Decimal {
        self.output.max(self.reasoning)
    }
}

/// What a call with this usage costs, rounded half away from zero to the nano-dollar.
///
/// `usage` has inclusive semantics: uncached input = input − cached − cache writes, text
/// output = output − reasoning (both saturating). Counts that contradict that (more cached
/// than input tokens) are billed as reported rather than clamped, so a confused adapter
/// over-charges instead of under-charging. Costs too large for [`NanoUsd`] saturate.
pub fn cost(usage: &Usage, price: &ModelPrice) -> NanoUsd {
    let rates = Rates::for_input_tokens(price, usage.input_tokens);
    let text_output_tokens = usage.output_tokens.saturating_sub(usage.reasoning_tokens);
    let usd = sum_of_products(&[
        (usage.uncached_input_tokens(), rates.input),
        (usage.cached_input_tokens, rates.cache_read),
        (usage.cache_write_tokens, rates.cache_write),
        (text_output_tokens, rates.output),
        (usage.reasoning_tokens, rates.reasoning),
    ]);
    usd.and_then(nanos_rounded).unwrap_or(NanoUsd(i64::MAX))
}

/// An upper bound on what a call can cost, for budget reservations: every input token at the
/// highest input-side rate (plain, cache read or cache write), every output token at the
/// higher of the output and reasoning rates, with the long-context tier's rates also
/// considered when the estimate exceeds its threshold (the real prompt may land on either
/// side). Rounded up, so `cost(usage) <= worst_case_cost(..)` whenever
/// `usage.input_tokens <= estimated_input_tokens` and `usage.output_tokens <= max_output_tokens`.
pub fn worst_case_cost(
    estimated_input_tokens: u64,
    max_output_tokens: u64,
    price: &ModelPrice,
) -> NanoUsd {
    let base = Rates::base(price);
    let (mut input_rate, mut output_rate) = (base.highest_input(), base.highest_output());
    if let Some(tier) = &price.long_context
        && estimated_input_tokens > tier.above_input_tokens
    {
        let long = Rates::long_context(price, tier);
        input_rate = input_rate.max(long.highest_input());
        output_rate = output_rate.max(long.highest_output());
    }
    let usd = sum_of_products(&[
        (estimated_input_tokens, input_rate),
        (max_output_tokens, output_rate),
    ]);
    usd.and_then(nanos_rounded_up).unwrap_or(NanoUsd(i64::MAX))
}

/// Tokens a chat template adds around each message (role markers, separators, the reply's
/// priming). OpenAI adds 3 or 4; the templates of other providers stay well below 16.
pub const PER_MESSAGE_OVERHEAD_TOKENS: u64 = 16;

/// An upper bound on the prompt tokens of `text_bytes` bytes of UTF-8 text sent as one
/// message; see [`estimate_chat_input_tokens`].
pub fn estimate_input_tokens(text_bytes: usize) -> u64 {
    estimate_chat_input_tokens(text_bytes, 1)
}

/// An upper bound on the prompt tokens of `message_count` messages holding `text_bytes` bytes
/// of UTF-8 text in all (count tool definitions and other text the request carries too), for
/// the reservation made before any provider is called.
///
/// Bound: one token per byte plus [`PER_MESSAGE_OVERHEAD_TOKENS`] per message. Byte-level BPE
/// tokenizers (OpenAI, Anthropic, Llama 3) never produce a token shorter than one byte, and
/// SentencePiece tokenizers (Gemini) fall back to one token per byte for unknown characters,
/// so no text tokenizes to more tokens than bytes. Typical text runs at about four bytes per
/// token, so this over-reserves the input side roughly fourfold; that only matters for a
/// budget close to its limit, and the unused part is released at settlement. A tighter
/// heuristic (`bytes / 4`) would under-reserve for digits, code, CJK text or adversarial
/// input, letting a call overspend a budget. Not covered: images, audio and files (priced per
/// modality by the provider) and system prompts a provider injects itself (Anthropic's tool-use
/// prompt, a few hundred tokens); callers add those.
pub fn estimate_chat_input_tokens(text_bytes: usize, message_count: usize) -> u64 {
    let messages = u64::try_from(message_count.max(1)).unwrap_or(u64::MAX);
    u64::try_from(text_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(messages.saturating_mul(PER_MESSAGE_OVERHEAD_TOKENS))
}

/// Σ tokens × rate, exactly; `None` only beyond `Decimal`'s range (~7.9e28).
fn sum_of_products(lines: &[(u64, Decimal)]) -> Option<Decimal> {
    lines
        .iter()
        .try_fold(Decimal::ZERO, |sum, &(tokens, rate)| {
            sum.checked_add(Decimal::from(tokens).checked_mul(rate)?)
        })
}

fn nanos_rounded(usd: Decimal) -> Option<NanoUsd> {
    // `from_usd_decimal` multiplies without an overflow check: only hand it amounts that fit.
    if !fits_nano_usd(usd) {
        return None;
    }
    NanoUsd::from_usd_decimal(usd)
}

fn nanos_rounded_up(usd: Decimal) -> Option<NanoUsd> {
    let nanos = usd.checked_mul(Decimal::from(NANOS_PER_USD))?.ceil();
    nanos.to_i64().map(NanoUsd)
}

const NANOS_PER_USD: i64 = 1_000_000_000;

fn fits_nano_usd(usd: Decimal) -> bool {
    usd.abs() <= NanoUsd(i64::MAX).to_usd_decimal()
}
