#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `cost` and `worst_case_cost`: exact to the nano-dollar, never under-charging.

mod common;

use common::{PseudoRandom, catalog_price, per_mtok, usd};
use rust_decimal::Decimal;
use tollgate_pricing::{
    Catalog, ModelPrice, cost, estimate_chat_input_tokens, estimate_input_tokens, worst_case_cost,
};
use tollgate_types::{NanoUsd, Usage};

fn usage(input: u64, output: u64) -> Usage {
    Usage {
        input_tokens: input,
        output_tokens: output,
        ..Usage::default()
    }
}

#[test]
fn plain_input_and_output_are_exact() {
    // 1,000 × $2.50/Mtok + 500 × $10/Mtok = $0.0025 + $0.005.
    let cost = cost(&usage(1_000, 500), &catalog_price("gpt-4o"));
    assert_eq!(cost, NanoUsd(7_500_000));
    assert_eq!(cost.to_json_number(), "0.0075");
}

#[test]
fn sub_nano_costs_round_half_away_from_zero_once_per_call() {
    let one_token = usage(1, 0);
    let price = |per_mtok: &str| ModelPrice::from_config(&common::per_mtok(per_mtok, "0"));
    assert_eq!(cost(&one_token, &price("0.075")), NanoUsd(75));
    assert_eq!(cost(&one_token, &price("0.0015")), NanoUsd(2));
    assert_eq!(cost(&one_token, &price("0.0014")), NanoUsd(1));
    assert_eq!(cost(&one_token, &price("0.0005")), NanoUsd(1));
    assert_eq!(cost(&one_token, &price("0.0004")), NanoUsd(0));
    // Three lines of 0.4 nano each: rounded per line they would vanish; the call costs 1.2.
    let mut price = price("0.0004");
    price.output = usd("0.0000000004");
    price.cache_read = Some(usd("0.0000000004"));
    let three_lines = Usage {
        input_tokens: 2,
        cached_input_tokens: 1,
        output_tokens: 1,
        ..Usage::default()
    };
    assert_eq!(cost(&three_lines, &price), NanoUsd(1));
}

#[test]
fn cached_tokens_use_the_cache_read_rate_and_reasoning_the_output_rate() {
    let gpt_4o_usage = Usage {
        input_tokens: 1_000,
        cached_input_tokens: 400,
        output_tokens: 500,
        reasoning_tokens: 200,
        ..Usage::default()
    };
    // 600 × 2.5e-6 + 400 × 1.25e-6 + 500 × 1e-5 (no reasoning rate: reasoning is output).
    assert_eq!(
        cost(&gpt_4o_usage, &catalog_price("gpt-4o")),
        NanoUsd(7_000_000)
    );
}

#[test]
fn a_separate_reasoning_rate_applies_to_reasoning_tokens_only() {
    let thinking = Usage {
        input_tokens: 1_000,
        output_tokens: 1_000,
        reasoning_tokens: 800,
        ..Usage::default()
    };
    // 1,000 × 1.5e-7 + 200 × 6e-7 + 800 × 3.5e-6 = 0.00015 + 0.00012 + 0.0028.
    let price = catalog_price("gemini/gemini-2.5-flash-preview-04-17");
    assert_eq!(cost(&thinking, &price), NanoUsd(3_070_000));
}

#[test]
fn anthropic_cache_writes_use_the_five_minute_write_rate() {
    // Inclusive: 100 plain + 2,000 read from cache + 1,000 written to it.
    let cached_call = Usage {
        input_tokens: 3_100,
        cached_input_tokens: 2_000,
        cache_write_tokens: 1_000,
        output_tokens: 100,
        reasoning_tokens: 0,
    };
    // 100 × 3e-6 + 2,000 × 3e-7 + 1,000 × 3.75e-6 + 100 × 1.5e-5.
    let price = catalog_price("claude-sonnet-4-5");
    assert_eq!(price.cache_write, Some(usd("0.00000375")));
    assert_eq!(cost(&cached_call, &price), NanoUsd(6_150_000));
}

#[test]
fn prompts_above_200k_use_the_long_context_rates_for_the_whole_call() {
    let price = catalog_price("claude-sonnet-4-5");
    let at_threshold = usage(200_000, 1_000);
    // 200,000 × 3e-6 + 1,000 × 1.5e-5: the tier starts above the threshold.
    assert_eq!(cost(&at_threshold, &price), NanoUsd(615_000_000));
    let long = Usage {
        input_tokens: 250_000,
        cached_input_tokens: 50_000,
        output_tokens: 1_000,
        ..Usage::default()
    };
    // 200,000 × 6e-6 + 50,000 × 6e-7 + 1,000 × 2.25e-5.
    assert_eq!(cost(&long, &price), NanoUsd(1_252_500_000));
}

#[test]
fn a_tier_without_a_cache_read_rate_keeps_the_base_cache_read_rate() {
    let price = catalog_price("xai/grok-4-fast-reasoning");
    let long = Usage {
        input_tokens: 200_000,
        cached_input_tokens: 100_000,
        ..Usage::default()
    };
    // 100,000 × 4e-7 (tier input) + 100,000 × 5e-8 (base cache read).
    assert_eq!(cost(&long, &price), NanoUsd(45_000_000));
}

#[test]
fn missing_cache_rates_fall_back_to_the_input_rate() {
    let cached = Usage {
        input_tokens: 1_000,
        cached_input_tokens: 600,
        cache_write_tokens: 300,
        ..Usage::default()
    };
    // Groq lists no cache rates: LiteLLM would bill the 600 cached tokens at $0.
    let groq = catalog_price("groq/llama-3.3-70b-versatile");
    assert_eq!(groq.cache_read, None);
    assert_eq!(cost(&cached, &groq), NanoUsd(590_000));
    let configured = ModelPrice::from_config(&per_mtok("1", "2"));
    assert_eq!(cost(&cached, &configured), NanoUsd(1_000_000));
}

#[test]
fn embeddings_cost_input_only() {
    let price = catalog_price("text-embedding-3-small");
    assert_eq!(cost(&usage(1_000_000, 0), &price), NanoUsd(20_000_000));
    assert_eq!(
        worst_case_cost(1_000_000, 10_000, &price),
        NanoUsd(20_000_000)
    );
}

#[test]
fn inconsistent_counts_are_billed_as_reported_not_clamped() {
    // More cached than input tokens: bill the cached ones rather than guess them away.
    let confused = Usage {
        input_tokens: 10,
        cached_input_tokens: 1_000,
        ..Usage::default()
    };
    assert_eq!(
        cost(&confused, &catalog_price("gpt-4o")),
        NanoUsd(1_250_000)
    );
}

#[test]
fn absurd_usage_saturates_instead_of_panicking() {
    let price = ModelPrice::from_config(&per_mtok("1000000", "1000000"));
    assert_eq!(cost(&usage(u64::MAX, u64::MAX), &price), NanoUsd(i64::MAX));
    assert_eq!(
        worst_case_cost(u64::MAX, u64::MAX, &price),
        NanoUsd(i64::MAX)
    );
}

#[test]
fn worst_case_uses_the_highest_input_side_rate_and_rounds_up() {
    // gpt-4o: no rate above the plain input and output rates.
    assert_eq!(
        worst_case_cost(1_000, 500, &catalog_price("gpt-4o")),
        NanoUsd(7_500_000)
    );
    // Sonnet: cache writes (3.75e-6) cost more than plain input (3e-6).
    let sonnet = catalog_price("claude-sonnet-4-5");
    assert_eq!(worst_case_cost(1_000, 0, &sonnet), NanoUsd(3_750_000));
    // Above 200k the tier's cache-write rate (7.5e-6) is the highest.
    assert_eq!(worst_case_cost(300_000, 0, &sonnet), NanoUsd(2_250_000_000));
    // Reasoning dearer than output: the bound uses the reasoning rate for all output.
    let flash = catalog_price("gemini/gemini-2.5-flash-preview-04-17");
    assert_eq!(worst_case_cost(0, 1_000, &flash), NanoUsd(3_500_000));
    // 1.4e-9 rounds to 1 nano-dollar as a cost but up to 2 as a bound.
    let tiny = ModelPrice::from_config(&per_mtok("0.0014", "0"));
    assert_eq!(cost(&usage(1, 0), &tiny), NanoUsd(1));
    assert_eq!(worst_case_cost(1, 0, &tiny), NanoUsd(2));
}

fn random_usage_within(rng: &mut PseudoRandom, max_input: u64, max_output: u64) -> Usage {
    let input_tokens = rng.up_to(max_input);
    let cached_input_tokens = rng.up_to(input_tokens);
    let cache_write_tokens = rng.up_to(input_tokens - cached_input_tokens);
    let output_tokens = rng.up_to(max_output);
    let reasoning_tokens = rng.up_to(output_tokens);
    Usage {
        input_tokens,
        output_tokens,
        cached_input_tokens,
        cache_write_tokens,
        reasoning_tokens,
    }
}

#[test]
fn worst_case_is_never_below_the_cost_of_a_call_within_its_bounds() {
    let catalog = Catalog::embedded();
    let mut rng = PseudoRandom::new(0x7011_6A7E);
    let mut calls = 0;
    for entry in catalog.entries() {
        for _ in 0..25 {
            // Up to 400k, so calls land on both sides of the 128k and 200k thresholds.
            let estimated_input = rng.up_to(400_000);
            let max_output = rng.up_to(100_000);
            let call = random_usage_within(&mut rng, estimated_input, max_output);
            let bound = worst_case_cost(estimated_input, max_output, &entry.price);
            assert!(
                cost(&call, &entry.price) <= bound,
                "{}: {call:?} costs more than the bound {bound:?} for ({estimated_input}, {max_output})",
                entry.key
            );
            calls += 1;
        }
    }
    assert!(calls > 25_000);
}

#[test]
fn the_sum_of_reported_costs_equals_the_sum_of_recorded_costs() {
    // What a client is told (`usage.cost`, `x-tollgate-cost-usd`) is the recorded NanoUsd
    // written exactly; adding up what clients were told gives what the ledger holds.
    let price = catalog_price("claude-sonnet-4-5");
    let mut rng = PseudoRandom::new(42);
    let mut recorded = NanoUsd::ZERO;
    let mut told = Decimal::ZERO;
    for _ in 0..5_000 {
        let call = random_usage_within(&mut rng, 250_000, 8_000);
        let call_cost = cost(&call, &price);
        recorded = recorded.checked_add(call_cost).unwrap();
        told += usd(&call_cost.to_json_number());
        assert_eq!(
            NanoUsd::parse_usd(&call_cost.to_json_number()),
            Some(call_cost)
        );
    }
    assert_eq!(recorded.to_usd_decimal(), told);
}

#[test]
fn input_estimates_are_one_token_per_byte_plus_message_overhead() {
    assert_eq!(estimate_input_tokens(0), 16);
    assert_eq!(estimate_input_tokens(1_000), 1_016);
    assert_eq!(estimate_chat_input_tokens(1_000, 3), 1_048);
    assert_eq!(estimate_chat_input_tokens(usize::MAX, usize::MAX), u64::MAX);
}
