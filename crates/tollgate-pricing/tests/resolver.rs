#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `PriceResolver`: config overrides win, results are shared, unknown models stay unpriced.

mod common;

use std::sync::Arc;

use common::{per_mtok, usd};
use tollgate_pricing::{Catalog, PriceResolver, cost};
use tollgate_types::{NanoUsd, Usage};

#[test]
fn catalog_prices_are_shared_not_copied() {
    let resolver = PriceResolver::with_embedded_catalog();
    let first = resolver.resolve("openai", None, "gpt-4o", None).unwrap();
    let again = resolver.resolve("openai", None, "gpt-4o", None).unwrap();
    let entry = Catalog::embedded().get("gpt-4o").unwrap().price.clone();
    assert!(Arc::ptr_eq(&first, &entry));
    assert!(Arc::ptr_eq(&first, &again));
}

#[test]
fn a_configured_price_wins_and_keeps_catalog_limits() {
    let resolver = PriceResolver::with_embedded_catalog();
    let configured = per_mtok("0.15", "0.60");
    let price = resolver
        .resolve("openai", None, "gpt-4o", Some(&configured))
        .unwrap();
    assert_eq!(price.input, usd("0.00000015"));
    assert_eq!(price.output, usd("0.0000006"));
    assert_eq!(
        price.cache_read, None,
        "the catalog's cache rate is not mixed in"
    );
    assert_eq!(price.long_context, None);
    assert_eq!(price.max_input_tokens, Some(128_000));
    let usage = Usage {
        input_tokens: 1_000,
        output_tokens: 500,
        ..Usage::default()
    };
    assert_eq!(cost(&usage, &price), NanoUsd(450_000));
    // The same override again is served from the cache.
    let again = resolver
        .resolve("openai", None, "gpt-4o", Some(&configured))
        .unwrap();
    assert!(Arc::ptr_eq(&price, &again));
    // A changed override (config reload) is seen at once, and the catalog price is intact.
    let raised = per_mtok("5", "20");
    let raised_price = resolver
        .resolve("openai", None, "gpt-4o", Some(&raised))
        .unwrap();
    assert_eq!(raised_price.input, usd("0.000005"));
    let catalog = resolver.resolve("openai", None, "gpt-4o", None).unwrap();
    assert_eq!(catalog.input, usd("0.0000025"));
}

#[test]
fn an_override_prices_a_model_the_catalog_does_not_know() {
    let resolver = PriceResolver::with_embedded_catalog();
    assert_eq!(resolver.resolve("openai", None, "local-llama", None), None);
    let price = resolver
        .resolve("openai", None, "local-llama", Some(&per_mtok("0", "0")))
        .unwrap();
    assert!(price.input.is_zero());
    assert_eq!(price.max_input_tokens, None);
    // Remembering the override does not make the model priced without it.
    assert_eq!(resolver.resolve("openai", None, "local-llama", None), None);
}

#[test]
fn the_provider_kind_and_host_are_part_of_the_cache_key() {
    let resolver = PriceResolver::with_embedded_catalog();
    let openai = resolver
        .resolve("openai", None, "gpt-4o-mini", None)
        .unwrap();
    let azure = resolver
        .resolve("azure", None, "gpt-4o-mini", None)
        .unwrap();
    assert_eq!(openai.input, usd("0.00000015"));
    assert_eq!(azure.input, usd("0.000000165"));
    assert!(
        resolver
            .resolve("openai", Some("groq"), "llama-3.3-70b-versatile", None)
            .is_some()
    );
    assert!(
        resolver
            .resolve("openai", None, "llama-3.3-70b-versatile", None)
            .is_none()
    );
}

#[test]
fn many_distinct_models_do_not_break_lookups() {
    let resolver = PriceResolver::with_embedded_catalog();
    for n in 0..PriceResolver::MAX_CACHED_MODELS + 100 {
        assert_eq!(
            resolver.resolve("openai", None, &format!("no-such-model-{n}"), None),
            None
        );
    }
    assert!(
        resolver
            .resolve("anthropic", None, "claude-sonnet-4-5", None)
            .is_some()
    );
}

#[test]
fn concurrent_lookups_agree() {
    let resolver = PriceResolver::with_embedded_catalog();
    let configured = per_mtok("1", "2");
    std::thread::scope(|scope| {
        for thread in 0..4 {
            let (resolver, configured) = (&resolver, &configured);
            scope.spawn(move || {
                for _ in 0..500 {
                    let overridden = (thread % 2 == 0).then_some(configured);
                    let price = resolver
                        .resolve("openai", None, "gpt-4o", overridden)
                        .unwrap();
                    let expected = if overridden.is_some() {
                        "0.000001"
                    } else {
                        "0.0000025"
                    };
                    assert_eq!(price.input, usd(expected));
                }
            });
        }
    });
}
