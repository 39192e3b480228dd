//! `Config::from_env`: the setup of `tollgate serve` without a file.

mod common;

use common::env;
use tollgate_config::{Config, ENV_PROVIDERS, ModelKind, ProviderKind, StorageBackend};

#[test]
fn without_keys_only_the_mock_is_there() {
    let config = Config::from_env(&env(&[]));
    assert_eq!(config.server.host, "127.0.0.1");
    assert_eq!(config.server.port, 4000);
    assert_eq!(config.storage.url, "sqlite://./tollgate-data/tollgate.db");
    assert_eq!(config.storage.backend, StorageBackend::Sqlite);
    assert_eq!(config.master_key, None);
    assert_eq!(config.redis, None);
    let names: Vec<_> = config.providers.keys().map(String::as_str).collect();
    assert_eq!(names, ["mock"]);
    assert_eq!(config.providers["mock"].kind, ProviderKind::Mock);
    assert!(config.routing.allow_provider_prefix);

    let mock = config.model("mock").unwrap();
    assert_eq!(mock.kind, ModelKind::Chat);
    assert_eq!(
        (
            mock.deployments[0].provider.as_str(),
            mock.deployments[0].model.as_str()
        ),
        ("mock", "mock-1")
    );
    let embedding = config.model("mock-embedding").unwrap();
    assert_eq!(embedding.kind, ModelKind::Embedding);
    assert_eq!(embedding.deployments[0].model, "mock-embedding-1");
}

#[test]
fn keys_enable_their_providers() {
    let config = Config::from_env(&env(&[
        ("TOLLGATE_MASTER_KEY", "mk"),
        ("OPENAI_API_KEY", "sk-1"),
        ("OPENAI_BASE_URL", "http://127.0.0.1:9000/v1/"),
        ("ANTHROPIC_API_KEY", "sk-ant"),
        ("GROQ_API_KEY", "gsk"),
        ("DEEPSEEK_API_KEY", ""),
    ]));
    assert_eq!(
        config.master_key.as_ref().map(|k| k.expose().as_str()),
        Some("mk")
    );
    let names: Vec<_> = config.providers.keys().map(String::as_str).collect();
    // An empty variable counts as unset.
    assert_eq!(names, ["anthropic", "groq", "mock", "openai"]);
    let openai = &config.providers["openai"];
    assert_eq!(openai.kind, ProviderKind::OpenAi);
    assert_eq!(openai.base_url.as_deref(), Some("http://127.0.0.1:9000/v1"));
    assert_eq!(
        openai.api_key.as_ref().map(|k| k.expose().as_str()),
        Some("sk-1")
    );
    let anthropic = &config.providers["anthropic"];
    assert_eq!(anthropic.kind, ProviderKind::Anthropic);
    assert_eq!(
        anthropic.base_url.as_deref(),
        Some("https://api.anthropic.com")
    );
    let groq = &config.providers["groq"];
    assert_eq!(groq.kind, ProviderKind::OpenAi);
    assert_eq!(
        groq.base_url.as_deref(),
        Some("https://api.groq.com/openai/v1")
    );
}

#[test]
fn every_table_provider_is_enabled_by_its_key() {
    let pairs: Vec<(&str, &str)> = ENV_PROVIDERS
        .iter()
        .map(|p| (p.api_key_var, "key"))
        .collect();
    let config = Config::from_env(&env(&pairs));
    assert_eq!(config.providers.len(), ENV_PROVIDERS.len() + 1);
    for provider in ENV_PROVIDERS {
        let configured = &config.providers[provider.name];
        assert_eq!(configured.kind, provider.kind);
        assert_eq!(configured.base_url.as_deref(), Some(provider.base_url));
    }
    assert_eq!(
        config.providers["openrouter"].kind,
        ProviderKind::OpenRouter
    );
    assert_eq!(config.providers["gemini"].kind, ProviderKind::Gemini);
    assert_eq!(
        config.providers["deepseek"].base_url.as_deref(),
        Some("https://api.deepseek.com/v1")
    );
}

#[test]
fn zero_config_secrets_are_redacted() {
    let config = Config::from_env(&env(&[
        ("TOLLGATE_MASTER_KEY", "mk-zero"),
        ("XAI_API_KEY", "xai-secret"),
    ]));
    let debug = format!("{config:?}");
    assert!(
        !debug.contains("mk-zero") && !debug.contains("xai-secret"),
        "{debug}"
    );
}
