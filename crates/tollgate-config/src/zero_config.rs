//! The config `tollgate serve` uses when no file is given (design.md §4): providers enabled by
//! the usual API-key variables, plus the built-in mock so a newcomer has a working gateway
//! offline.

use std::collections::BTreeMap;

use crate::{
    Config, DeploymentConfig, GuardrailsConfig, MockConfig, ModelConfig, ModelKind, ProviderConfig,
    ProviderKind, RoutingConfig, Secret, ServerConfig, StorageConfig,
};

/// A provider that is enabled when its API-key variable is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvProvider {
    /// Provider name callers use as prefix: `openai/gpt-4o-mini`.
    pub name: &'static str,
    pub kind: ProviderKind,
    pub api_key_var: &'static str,
    /// Variable that overrides `base_url`, for providers whose SDKs honour one.
    pub base_url_var: Option<&'static str>,
    pub base_url: &'static str,
}

const fn env_provider(
    name: &'static str,
    kind: ProviderKind,
    api_key_var: &'static str,
    base_url_var: Option<&'static str>,
    base_url: &'static str,
) -> EnvProvider {
    EnvProvider {
        name,
        kind,
        api_key_var,
        base_url_var,
        base_url,
    }
}

/// Every provider zero-config knows; adding one is one line.
#[rustfmt::skip]
pub const ENV_PROVIDERS: &[EnvProvider] = {
    use ProviderKind::{Anthropic, Gemini, OpenAi, OpenRouter};
    &[
        //           name          kind        API-key variable      base-URL variable        default base URL
        env_provider("openai",     OpenAi,     "OPENAI_API_KEY",     Some("OPENAI_BASE_URL"), "https://api.openai.com/v1"),
        env_provider("anthropic",  Anthropic,  "ANTHROPIC_API_KEY",  None,                    "https://api.anthropic.com"),
        env_provider("gemini",     Gemini,     "GEMINI_API_KEY",     None,                    "https://generativelanguage.googleapis.com/v1beta"),
        env_provider("openrouter", OpenRouter, "OPENROUTER_API_KEY", None,                    "https://openrouter.ai/api/v1"),
        env_provider("groq",       OpenAi,     "GROQ_API_KEY",       None,                    "https://api.groq.com/openai/v1"),
        env_provider("together",   OpenAi,     "TOGETHER_API_KEY",   None,                    "https://api.together.xyz/v1"),
        env_provider("mistral",    OpenAi,     "MISTRAL_API_KEY",    None,                    "https://api.mistral.ai/v1"),
        env_provider("deepseek",   OpenAi,     "DEEPSEEK_API_KEY",   None,                    "https://api.deepseek.com/v1"),
        env_provider("xai",        OpenAi,     "XAI_API_KEY",        None,                    "https://api.x.ai/v1"),
    ]
};

/// Name of the built-in fake provider, always present in zero-config.
pub const MOCK_PROVIDER: &str = "mock";

impl Config {
    /// The zero-config setup. `env` answers variable lookups (pass
    /// `&|name| std::env::var(name).ok()` for the process environment); empty values count
    /// as unset.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Config {
        let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());

        let mut providers = BTreeMap::new();
        for provider in ENV_PROVIDERS {
            let Some(api_key) = var(provider.api_key_var) else {
                continue;
            };
            let base_url = provider
                .base_url_var
                .and_then(var)
                .unwrap_or_else(|| provider.base_url.to_owned());
            providers.insert(
                provider.name.to_owned(),
                ProviderConfig {
                    kind: provider.kind,
                    base_url: Some(base_url.trim().trim_end_matches('/').to_owned()),
                    api_key: Some(Secret::new(api_key)),
                    api_version: None,
                    headers: BTreeMap::new(),
                    connect_timeout: None,
                    mock: None,
                },
            );
        }
        providers.insert(
            MOCK_PROVIDER.to_owned(),
            ProviderConfig {
                kind: ProviderKind::Mock,
                base_url: None,
                api_key: None,
                api_version: None,
                headers: BTreeMap::new(),
                connect_timeout: None,
                mock: Some(MockConfig::default()),
            },
        );

        Config {
            server: ServerConfig::default(),
            master_key: var("TOLLGATE_MASTER_KEY").map(Secret::new),
            storage: StorageConfig::default(),
            redis: None,
            providers,
            models: vec![
                mock_model("mock", ModelKind::Chat, "mock-1"),
                mock_model("mock-embedding", ModelKind::Embedding, "mock-embedding-1"),
            ],
            routing: RoutingConfig {
                // Without a models list, `<provider>/<model>` is how callers reach real models.
                allow_provider_prefix: true,
                ..RoutingConfig::default()
            },
            guardrails: GuardrailsConfig::default(),
            budgets: crate::BudgetsConfig::default(),
            credits: crate::CreditsConfig::default(),
        }
    }
}

fn mock_model(name: &str, kind: ModelKind, upstream: &str) -> ModelConfig {
    ModelConfig {
        name: name.to_owned(),
        kind,
        deployments: vec![DeploymentConfig {
            provider: MOCK_PROVIDER.to_owned(),
            model: upstream.to_owned(),
            weight: DeploymentConfig::DEFAULT_WEIGHT,
            timeout: DeploymentConfig::DEFAULT_TIMEOUT,
            first_byte_timeout: DeploymentConfig::DEFAULT_TIMEOUT,
            stream_idle_timeout: DeploymentConfig::DEFAULT_TIMEOUT,
            rpm_limit: None,
            tpm_limit: None,
            price: None,
        }],
        retries: 0,
        fallbacks: Vec::new(),
        context_window_fallbacks: Vec::new(),
        deadline: None,
    }
}
