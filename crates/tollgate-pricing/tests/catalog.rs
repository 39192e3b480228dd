#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The embedded catalog: it parses, is large, and keeps LiteLLM's prices exactly.

use std::str::FromStr;

use rust_decimal::Decimal;
use tollgate_pricing::{Catalog, CatalogMode};

fn usd(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

#[test]
fn embedded_catalog_parses_and_is_large() {
    let catalog = Catalog::embedded();
    assert!(catalog.len() > 1_000, "only {} entries", catalog.len());
    assert_eq!(
        catalog.source_sha256(),
        "8c92e3c3009324878d1788e537c177cba4c1e1c2076dd061c0140d902754d3b1"
    );
    // Parsed once: every call shares one catalog.
    assert!(std::sync::Arc::ptr_eq(&catalog, &Catalog::embedded()));
}

#[test]
fn prices_are_exact_per_token_decimals() {
    let catalog = Catalog::embedded();
    let gpt_4o = catalog.get("gpt-4o").unwrap();
    assert_eq!(gpt_4o.provider, "openai");
    assert_eq!(gpt_4o.mode, CatalogMode::Chat);
    assert_eq!(gpt_4o.price.input, usd("0.0000025"));
    assert_eq!(gpt_4o.price.output, usd("0.00001"));
    assert_eq!(gpt_4o.price.cache_read, Some(usd("0.00000125")));
    assert_eq!(gpt_4o.price.max_input_tokens, Some(128_000));
    assert!(gpt_4o.price.capabilities.vision);

    let sonnet = catalog.get("claude-sonnet-4-5").unwrap();
    assert_eq!(sonnet.price.cache_write, Some(usd("0.00000375")));
    let tier = sonnet.price.long_context.as_ref().unwrap();
    assert_eq!(tier.above_input_tokens, 200_000);
    assert_eq!(tier.input, usd("0.000006"));
    assert_eq!(tier.output, Some(usd("0.0000225")));

    let opus = catalog.get("claude-opus-4-1").unwrap();
    assert_eq!(opus.cache_write_1h, Some(usd("0.00003")));

    // The 128k tier of xAI is kept under the threshold it names.
    let grok = catalog.get("xai/grok-4-fast-reasoning").unwrap();
    assert_eq!(
        grok.price.long_context.as_ref().unwrap().above_input_tokens,
        128_000
    );
}

#[test]
fn only_token_priced_modes_are_kept() {
    let catalog = Catalog::embedded();
    assert!(catalog.get("sample_spec").is_none());
    assert!(
        catalog.get("dall-e-3").is_none(),
        "image generation is priced per image"
    );
    assert!(
        catalog.get("whisper-1").is_none(),
        "transcription is priced per second"
    );
    assert!(catalog.entries().any(|e| e.mode == CatalogMode::Responses));
    assert!(catalog.entries().any(|e| e.mode == CatalogMode::Completion));
}

#[test]
fn embeddings_have_no_output_price() {
    let catalog = Catalog::embedded();
    // LiteLLM lists an output rate for this embedding model; embeddings emit no tokens.
    let bge = catalog.get("novita/baai/bge-m3").unwrap();
    assert_eq!(bge.mode, CatalogMode::Embedding);
    assert_eq!(bge.price.output, Decimal::ZERO);
    assert!(
        catalog
            .entries()
            .filter(|e| e.mode == CatalogMode::Embedding)
            .all(|e| e.price.output.is_zero())
    );
}

#[test]
fn a_bad_catalog_is_an_error_not_a_panic() {
    assert!(Catalog::from_json("{").is_err());
    // A float price would lose exactness: only decimal strings are accepted.
    let float_price = r#"{"source_sha256":"x","entries":[
        {"key":"m","provider":"p","mode":"chat","input":2.5e-6,"output":"0"}]}"#;
    assert!(Catalog::from_json(float_price).is_err());
    let good = r#"{"source_sha256":"x","entries":[
        {"key":"m","provider":"p","mode":"chat","input":"0.0000025","output":"0.00001"}]}"#;
    assert_eq!(Catalog::from_json(good).unwrap().len(), 1);
}
