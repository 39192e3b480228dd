#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `Catalog::find`: which LiteLLM key each provider kind's models are priced under.

use tollgate_pricing::Catalog;

fn found(provider_kind: &str, model: &str) -> Option<String> {
    Catalog::embedded()
        .find(provider_kind, model)
        .map(|entry| entry.key.clone())
}

fn found_on_host(host_hint: &str, model: &str) -> Option<String> {
    Catalog::embedded()
        .find_for_host("openai", Some(host_hint), model)
        .map(|entry| entry.key.clone())
}

#[test]
fn openai_models_are_bare_and_exact_snapshots_win_over_aliases() {
    assert_eq!(found("openai", "gpt-4o").as_deref(), Some("gpt-4o"));
    // The snapshot has its own entry (2024-05-13 costs twice gpt-4o): never strip it.
    assert_eq!(
        found("openai", "gpt-4o-2024-05-13").as_deref(),
        Some("gpt-4o-2024-05-13")
    );
    // A snapshot the catalog does not know yet is priced like its alias.
    assert_eq!(
        found("openai", "gpt-4o-2099-01-01").as_deref(),
        Some("gpt-4o")
    );
}

#[test]
fn azure_models_use_the_azure_prefix_first() {
    // Azure prices this snapshot above OpenAI's: the prefixed entry must win.
    let azure = found("azure", "gpt-4o-2024-11-20").unwrap();
    assert_eq!(azure, "azure/gpt-4o-2024-11-20");
    assert_eq!(
        found("azure", "gpt-4o-mini").as_deref(),
        Some("azure/gpt-4o-mini")
    );
    assert_eq!(
        found("azure", "gpt-4o-2099-01-01").as_deref(),
        Some("azure/gpt-4o")
    );
    // A deployment named by its owner is not a model name: configure its price.
    assert_eq!(found("azure", "prod-chat-eastus"), None);
}

#[test]
fn anthropic_models_are_bare() {
    assert_eq!(
        found("anthropic", "claude-sonnet-4-5").as_deref(),
        Some("claude-sonnet-4-5")
    );
    assert_eq!(
        found("anthropic", "claude-3-5-sonnet-20241022").as_deref(),
        Some("claude-3-5-sonnet-20241022")
    );
}

#[test]
fn gemini_models_use_the_gemini_prefix_not_vertex_bare_keys() {
    let catalog = Catalog::embedded();
    let entry = catalog.find("gemini", "gemini-2.5-pro").unwrap();
    assert_eq!(entry.key, "gemini/gemini-2.5-pro");
    assert_eq!(entry.provider, "gemini");
    // The native API names models `models/<id>`.
    assert_eq!(
        found("gemini", "models/gemini-2.5-pro").as_deref(),
        Some("gemini/gemini-2.5-pro")
    );
}

#[test]
fn openrouter_models_use_the_openrouter_prefix_then_drop_the_vendor() {
    assert_eq!(
        found("openrouter", "anthropic/claude-sonnet-4.5").as_deref(),
        Some("openrouter/anthropic/claude-sonnet-4.5")
    );
    // LiteLLM has no `openrouter/openai/gpt-4o-mini`: price it as OpenAI's `gpt-4o-mini`.
    assert_eq!(
        found("openrouter", "openai/gpt-4o-mini").as_deref(),
        Some("gpt-4o-mini")
    );
}

#[test]
fn openai_compatible_hosts_use_their_litellm_prefix() {
    assert_eq!(
        found_on_host("groq", "llama-3.3-70b-versatile").as_deref(),
        Some("groq/llama-3.3-70b-versatile")
    );
    assert_eq!(
        found_on_host(
            "https://api.together.xyz/v1",
            "meta-llama/Llama-3.3-70B-Instruct-Turbo"
        )
        .as_deref(),
        Some("together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo")
    );
    assert_eq!(
        found_on_host("mistral", "mistral-large-latest").as_deref(),
        Some("mistral/mistral-large-latest")
    );
    assert_eq!(
        found_on_host("deepseek", "deepseek-chat").as_deref(),
        Some("deepseek/deepseek-chat")
    );
    assert_eq!(
        found_on_host("https://api.x.ai/v1", "grok-4").as_deref(),
        Some("xai/grok-4")
    );
    // Without the hint, a bare Groq model name is unknown.
    assert_eq!(found("openai", "llama-3.3-70b-versatile"), None);
}

#[test]
fn unknown_models_are_unpriced() {
    assert_eq!(found("openai", "my-finetune-v3"), None);
    assert_eq!(found("mock", "mock-chat"), None);
    assert_eq!(found("openrouter", "nobody/nothing"), None);
    assert_eq!(found("openai", ""), None);
}
