//! Serde mirror of the config file. Only shapes and scalar types are checked here (unknown keys
//! included); everything that can be reported together with other problems — missing fields,
//! keywords, ranges, cross references — is left to `validate`, so fields are mostly `Option`
//! and numbers are read signed.

use std::collections::BTreeMap;

use serde::Deserialize;

mod budgets;
mod decimal;

pub(crate) use budgets::{RawBudgetAmount, RawBudgets, RawCredits};

pub(crate) use decimal::ExactDecimal;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    pub server: Option<RawServer>,
    pub master_key: Option<String>,
    pub storage: Option<RawUrl>,
    pub redis: Option<RawRedis>,
    pub providers: Option<BTreeMap<String, RawProvider>>,
    pub models: Option<Vec<RawModel>>,
    pub routing: Option<RawRouting>,
    pub guardrails: Option<crate::GuardrailsOverride>,
    pub budgets: Option<RawBudgets>,
    pub credits: Option<RawCredits>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawServer {
    pub host: Option<String>,
    pub port: Option<i64>,
    pub max_body_bytes: Option<i64>,
    pub shutdown_grace_ms: Option<i64>,
}

/// `storage:` holds just a URL.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUrl {
    pub url: Option<String>,
}

/// `redis:`: a URL and the key prefix of this gateway's counters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRedis {
    pub url: Option<String>,
    pub prefix: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProvider {
    pub kind: Option<String>,
    pub base_url: Option<String>,
    pub api_key: Option<String>,
    pub api_version: Option<String>,
    pub headers: Option<BTreeMap<String, String>>,
    pub connect_timeout_ms: Option<i64>,
    pub mock: Option<RawMock>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMock {
    pub latency_ms: Option<i64>,
    pub output_tokens: Option<i64>,
    pub chunk_delay_ms: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawModel {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub deployments: Option<Vec<RawDeployment>>,
    pub retries: Option<i64>,
    pub fallbacks: Option<Vec<String>>,
    pub context_window_fallbacks: Option<Vec<String>>,
    pub deadline_ms: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDeployment {
    pub provider: Option<String>,
    pub model: Option<String>,
    pub weight: Option<i64>,
    pub timeout_ms: Option<i64>,
    pub first_byte_timeout_ms: Option<i64>,
    pub stream_idle_timeout_ms: Option<i64>,
    pub rpm_limit: Option<i64>,
    pub tpm_limit: Option<i64>,
    pub price: Option<RawPrice>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPrice {
    pub input_per_mtok: Option<ExactDecimal>,
    pub output_per_mtok: Option<ExactDecimal>,
    pub cached_input_per_mtok: Option<ExactDecimal>,
    pub cache_write_per_mtok: Option<ExactDecimal>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRouting {
    pub strategy: Option<String>,
    pub allow_provider_prefix: Option<bool>,
    pub deadline_ms: Option<i64>,
}
