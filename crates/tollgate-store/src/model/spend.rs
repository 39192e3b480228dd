//! One spend-log row per request.

use serde::{Serialize, Serializer};
use tollgate_types::{CostSource, NanoUsd, Usage};

use crate::time::Timestamp;

/// Everything recorded about one request, written off the hot path by the `SpendWriter`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpendRecord {
    /// Tollgate's own id for the call (a UUIDv7 the gateway mints), unique per call: the row's
    /// identity, so writing the same row twice (a retried batch) counts it once.
    pub request_id: String,
    /// The caller's own `x-request-id` / `x-client-request-id`, if it sent a sane one; not unique
    /// (two calls may send the same one, and both are logged).
    pub client_request_id: Option<String>,
    pub created_at: Timestamp,
    pub org_id: Option<String>,
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    /// The key whose settled spend this row adds to.
    pub key_id: Option<String>,
    /// The caller's own end-user id (OpenAI `user`), if it sent one.
    pub end_user: Option<String>,
    /// The public model name the caller asked for.
    pub requested_model: String,
    /// The deployment and provider that answered (or failed last).
    pub deployment: Option<String>,
    pub provider: Option<String>,
    pub attempts: u32,
    #[serde(serialize_with = "usage_fields")]
    pub usage: Usage,
    #[serde(rename = "cost_usd", serialize_with = "optional_usd")]
    pub cost: Option<NanoUsd>,
    pub cost_source: SpendCostSource,
    pub latency_ms: Option<u64>,
    pub ttft_ms: Option<u64>,
    pub status: u16,
    pub error_class: Option<String>,
    pub tags: Vec<String>,
    /// Guardrail findings (JSON), if any guardrail had something to say.
    pub guardrails: Option<serde_json::Value>,
    /// Draw a priced call's cost from the organization's prepaid credits: the writer adds a
    /// `spend` ledger entry in the transaction that logs the row. Not stored on the row itself
    /// (read back, it is `false`).
    #[serde(skip)]
    pub charge_credits: bool,
}

/// Whose spend `spent_since` sums: one column of the spend log.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SpendScope {
    Key(String),
    User(String),
    Team(String),
    Org(String),
    /// The caller's own end user, within an organization (`None`: calls made outside any
    /// organization, e.g. with the master key), as the budget counters namespace it.
    EndUser {
        org_id: Option<String>,
        end_user: String,
    },
}

/// Where a recorded cost came from; `Unpriced` when neither the provider nor the catalog knew.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpendCostSource {
    Provider,
    Catalog,
    Unpriced,
}

impl SpendCostSource {
    pub fn as_str(self) -> &'static str {
        match self {
            SpendCostSource::Provider => "provider",
            SpendCostSource::Catalog => "catalog",
            SpendCostSource::Unpriced => "unpriced",
        }
    }

    pub fn parse(text: &str) -> Option<SpendCostSource> {
        [
            SpendCostSource::Provider,
            SpendCostSource::Catalog,
            SpendCostSource::Unpriced,
        ]
        .into_iter()
        .find(|source| source.as_str() == text)
    }
}

impl From<CostSource> for SpendCostSource {
    fn from(source: CostSource) -> Self {
        match source {
            CostSource::Provider => SpendCostSource::Provider,
            CostSource::Catalog => SpendCostSource::Catalog,
        }
    }
}

/// What one batch insert did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SpendBatchOutcome {
    pub inserted: u64,
    /// Rows whose request id was already in the log (a retried batch); not counted again.
    pub duplicates: u64,
}

fn usage_fields<S: Serializer>(usage: &Usage, serializer: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Fields {
        input_tokens: u64,
        output_tokens: u64,
        cached_input_tokens: u64,
        cache_write_tokens: u64,
        reasoning_tokens: u64,
    }
    Fields {
        input_tokens: usage.input_tokens,
        output_tokens: usage.output_tokens,
        cached_input_tokens: usage.cached_input_tokens,
        cache_write_tokens: usage.cache_write_tokens,
        reasoning_tokens: usage.reasoning_tokens,
    }
    .serialize(serializer)
}

fn optional_usd<S: Serializer>(cost: &Option<NanoUsd>, serializer: S) -> Result<S::Ok, S::Error> {
    match cost {
        Some(amount) => serializer.collect_str(amount),
        None => serializer.serialize_none(),
    }
}
