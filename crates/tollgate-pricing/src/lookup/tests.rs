use super::*;

#[test]
fn strips_only_plausible_dates() {
    assert_eq!(strip_dated_suffix("gpt-4o-2024-08-06"), Some("gpt-4o"));
    assert_eq!(
        strip_dated_suffix("claude-3-5-sonnet-20241022"),
        Some("claude-3-5-sonnet")
    );
    assert_eq!(strip_dated_suffix("gpt-4-0613"), None);
    assert_eq!(strip_dated_suffix("model-12345678"), None);
    assert_eq!(strip_dated_suffix("gpt-4o-2024-13-06"), None);
    assert_eq!(strip_dated_suffix("-20241022"), None);
    assert_eq!(strip_dated_suffix("2024-08-06"), None);
    assert_eq!(strip_dated_suffix("é-2024-08-06"), Some("é"));
    assert_eq!(strip_dated_suffix("ééééé-x"), None);
}

#[test]
fn keys_are_tried_prefixed_then_bare_then_without_vendor_then_undated() {
    assert_eq!(
        lookup_keys(
            provider_scope("openrouter", None),
            "openai/gpt-4o-2024-08-06"
        ),
        [
            "openrouter/openai/gpt-4o-2024-08-06",
            "openai/gpt-4o-2024-08-06",
            "openrouter/gpt-4o-2024-08-06",
            "gpt-4o-2024-08-06",
            "openrouter/openai/gpt-4o",
            "openai/gpt-4o",
            "openrouter/gpt-4o",
            "gpt-4o",
        ]
    );
    assert_eq!(
        lookup_keys(provider_scope("anthropic", None), "claude-sonnet-4-5"),
        ["claude-sonnet-4-5", "anthropic/claude-sonnet-4-5"]
    );
    assert_eq!(lookup_keys(provider_scope("mock", None), "echo"), ["echo"]);
}

#[test]
fn host_hints_pick_the_litellm_prefix_for_openai_compatible_servers() {
    assert_eq!(provider_scope("openai", Some("groq")).prefixes, ["groq/"]);
    assert_eq!(
        provider_scope("openai", Some("https://api.together.xyz/v1")).prefixes,
        ["together_ai/"]
    );
    assert_eq!(
        provider_scope("openai", Some("http://127.0.0.1:8000/v1")).prefixes,
        [""]
    );
    // A hint only refines kind `openai`: Azure stays Azure.
    assert_eq!(provider_scope("azure", Some("groq")).prefixes, ["azure/"]);
}

#[test]
fn base_urls_map_to_host_hints() {
    assert_eq!(
        host_hint_for_base_url("https://api.groq.com/openai/v1"),
        Some("groq")
    );
    assert_eq!(
        host_hint_for_base_url("https://api.together.ai/v1"),
        Some("together")
    );
    assert_eq!(
        host_hint_for_base_url("https://api.mistral.ai/v1"),
        Some("mistral")
    );
    assert_eq!(
        host_hint_for_base_url("https://api.deepseek.com"),
        Some("deepseek")
    );
    assert_eq!(host_hint_for_base_url("https://api.x.ai/v1"), Some("xai"));
    assert_eq!(
        host_hint_for_base_url("https://user@API.X.AI:443/v1"),
        Some("xai")
    );
    assert_eq!(host_hint_for_base_url("https://api.openai.com/v1"), None);
    assert_eq!(host_hint_for_base_url("https://notx.ai/v1"), None);
    assert_eq!(host_hint_for_base_url("https://x.ai.example.com/v1"), None);
}
