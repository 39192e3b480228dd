//! Usage queries: spend, tokens and request counts grouped by tenant, model or provider in time
//! buckets.

use serde::Serialize;
use tollgate_types::NanoUsd;

use crate::model::usd;
use crate::time::Timestamp;

/// Which rows a usage or spend-log query sees. The admin API sets the tenant fields from the
/// caller's role, so a caller never sees another tenant's rows. `from` is inclusive, `to`
/// exclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageFilter {
    pub org_id: Option<String>,
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    pub key_id: Option<String>,
    /// The requested (public) model name.
    pub model: Option<String>,
    pub from: Timestamp,
    pub to: Timestamp,
}

impl UsageFilter {
    /// Every row in `[from, to)`.
    pub fn between(from: Timestamp, to: Timestamp) -> UsageFilter {
        UsageFilter {
            org_id: None,
            team_id: None,
            user_id: None,
            key_id: None,
            model: None,
            from,
            to,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Org,
    Team,
    User,
    Key,
    /// The requested (public) model name.
    Model,
    Provider,
}

impl Dimension {
    pub(crate) fn column(self) -> &'static str {
        match self {
            Dimension::Org => "org_id",
            Dimension::Team => "team_id",
            Dimension::User => "user_id",
            Dimension::Key => "key_id",
            Dimension::Model => "requested_model",
            Dimension::Provider => "provider",
        }
    }
}

/// UTC hours or UTC days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    Hour,
    Day,
}

impl Bucket {
    pub fn millis(self) -> i64 {
        match self {
            Bucket::Hour => 3_600_000,
            Bucket::Day => 86_400_000,
        }
    }
}

/// One bucket of one group. Dimension fields not grouped by are `None` (and so are grouped ones
/// whose rows had no value, e.g. requests made with the master key have no `key_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsageRow {
    pub bucket_start: Timestamp,
    pub org_id: Option<String>,
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    pub key_id: Option<String>,
    pub model: Option<String>,
    pub provider: Option<String>,
    pub requests: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cached_input_tokens: u64,
    pub cache_write_tokens: u64,
    pub reasoning_tokens: u64,
    /// The sum of the priced rows' costs.
    #[serde(rename = "cost_usd", serialize_with = "usd::serialize")]
    pub cost: NanoUsd,
    /// Rows with no cost at all (neither the provider nor the catalog priced them).
    pub unpriced_requests: u64,
}
