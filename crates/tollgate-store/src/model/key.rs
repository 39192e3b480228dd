//! Virtual keys: who they belong to, what they may do, and how a lookup by secret turned out.

use std::fmt;

use serde::{Deserialize, Serialize};
use tollgate_types::NanoUsd;

use crate::model::{Role, usd};
use crate::time::Timestamp;

/// A virtual key as listings and `get` show it: never the secret, never its hash.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    /// The first 10 characters of the secret (`tg-ab12cd3`), to tell keys apart.
    pub prefix: String,
    pub org_id: Option<String>,
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    pub role: Role,
    /// Public model names this key may call; `None` allows every model.
    pub models: Option<Vec<String>>,
    pub rpm_limit: Option<u32>,
    pub tpm_limit: Option<u64>,
    pub max_parallel: Option<u32>,
    pub budget: Option<Budget>,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    /// A JSON object; `tags` (an array of strings) inside it are copied to spend rows.
    pub metadata: serde_json::Value,
    /// Guardrail overrides (a JSON object of the config's `guardrails:` shape, only the fields
    /// that differ from the level above); `None` overrides nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guardrails: Option<serde_json::Value>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    /// Settled spend: the sum of this key's spend-log costs, updated in the same transaction that
    /// writes the rows.
    #[serde(rename = "spend_usd", serialize_with = "usd::serialize")]
    pub spend: NanoUsd,
}

impl ApiKey {
    /// Revocation and expiry at `now` (rotation is only known to a lookup by secret).
    pub fn status_at(&self, now: Timestamp) -> KeyStatus {
        if self.revoked_at.is_some_and(|at| at <= now) {
            KeyStatus::Revoked
        } else if self.expires_at.is_some_and(|at| at <= now) {
            KeyStatus::Expired
        } else {
            KeyStatus::Active
        }
    }

    /// The `tags` array inside `metadata` (checked to hold only strings when stored).
    pub fn tags(&self) -> Vec<String> {
        self.metadata
            .get("tags")
            .and_then(serde_json::Value::as_array)
            .map(|tags| {
                tags.iter()
                    .filter_map(|tag| tag.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn allows_model(&self, model: &str) -> bool {
        self.models
            .as_ref()
            .is_none_or(|models| models.iter().any(|allowed| allowed == model))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Budget {
    #[serde(rename = "amount_usd", serialize_with = "usd::serialize")]
    pub amount: NanoUsd,
    pub period: BudgetPeriod,
    /// This budget's own mode; `None` follows the gateway's default (config `budgets.mode`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<BudgetMode>,
    /// Percent of the amount (1..=100) at which settled spend raises this budget's alert; `None`
    /// follows the gateway's default (config `budgets.alert_at_percent`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert_at_percent: Option<u8>,
}

impl Budget {
    /// A budget in the gateway's default mode and alert threshold.
    pub fn new(amount: NanoUsd, period: BudgetPeriod) -> Budget {
        Budget {
            amount,
            period,
            mode: None,
            alert_at_percent: None,
        }
    }
}

/// How a budget treats the call that might cross it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetMode {
    /// Reserve the worst case and refuse a call that might not fit.
    Hard,
    /// The call that crosses the budget completes; later ones are refused.
    Soft,
}

impl BudgetMode {
    pub fn as_str(self) -> &'static str {
        match self {
            BudgetMode::Hard => "hard",
            BudgetMode::Soft => "soft",
        }
    }

    pub fn parse(text: &str) -> Option<BudgetMode> {
        [BudgetMode::Hard, BudgetMode::Soft]
            .into_iter()
            .find(|mode| mode.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetPeriod {
    /// A lifetime budget that never resets.
    None,
    Daily,
    Weekly,
    Monthly,
}

impl BudgetPeriod {
    pub fn as_str(self) -> &'static str {
        match self {
            BudgetPeriod::None => "none",
            BudgetPeriod::Daily => "daily",
            BudgetPeriod::Weekly => "weekly",
            BudgetPeriod::Monthly => "monthly",
        }
    }

    pub fn parse(text: &str) -> Option<BudgetPeriod> {
        [
            BudgetPeriod::None,
            BudgetPeriod::Daily,
            BudgetPeriod::Weekly,
            BudgetPeriod::Monthly,
        ]
        .into_iter()
        .find(|period| period.as_str() == text)
    }
}

/// What `create_key` needs. A key with a team or user must name their organization.
#[derive(Debug, Clone, PartialEq)]
pub struct NewApiKey {
    pub name: String,
    pub org_id: Option<String>,
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    pub role: Role,
    pub models: Option<Vec<String>>,
    pub rpm_limit: Option<u32>,
    pub tpm_limit: Option<u64>,
    pub max_parallel: Option<u32>,
    pub budget: Option<Budget>,
    pub expires_at: Option<Timestamp>,
    /// A JSON object (`{}` when there is nothing to say).
    pub metadata: serde_json::Value,
    /// Guardrail overrides: a JSON object (checked by the admin API), or `None`.
    pub guardrails: Option<serde_json::Value>,
}

impl NewApiKey {
    /// A member key with no owner, no limits and every model allowed.
    pub fn named(name: impl Into<String>) -> NewApiKey {
        NewApiKey {
            name: name.into(),
            org_id: None,
            team_id: None,
            user_id: None,
            role: Role::Member,
            models: None,
            rpm_limit: None,
            tpm_limit: None,
            max_parallel: None,
            budget: None,
            expires_at: None,
            metadata: serde_json::Value::Object(serde_json::Map::new()),
            guardrails: None,
        }
    }
}

/// `None` keeps a field; `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApiKeyUpdate {
    pub name: Option<String>,
    pub models: Option<Option<Vec<String>>>,
    pub rpm_limit: Option<Option<u32>>,
    pub tpm_limit: Option<Option<u64>>,
    pub max_parallel: Option<Option<u32>>,
    pub budget: Option<Option<Budget>>,
    pub expires_at: Option<Option<Timestamp>>,
    pub metadata: Option<serde_json::Value>,
    /// `Some(None)` clears the guardrail overrides.
    pub guardrails: Option<Option<serde_json::Value>>,
}

/// A key and its secret, returned once by `create_key` and `rotate_key`. The secret is not stored
/// and cannot be shown again.
#[derive(Clone, PartialEq)]
pub struct CreatedKey {
    pub key: ApiKey,
    pub secret: String,
}

impl fmt::Debug for CreatedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedKey")
            .field("key", &self.key)
            .field("secret", &"*****")
            .finish()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyFilter {
    pub org_id: Option<String>,
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    /// Revoked keys are left out unless this is set.
    pub include_revoked: bool,
}

/// The outcome of looking a secret up: the key it names and whether it may be used now.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyLookup {
    pub key: ApiKey,
    pub status: KeyStatus,
    /// The secret was the one replaced by the latest rotation (valid only during its grace).
    pub matched_previous: bool,
}

/// Whether a looked-up secret may be used, and if not, why (so a 401 can say it clearly).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    Active,
    Revoked,
    Expired,
    /// The secret was replaced by a rotation and its grace period is over.
    Rotated,
}

impl KeyStatus {
    pub fn is_usable(self) -> bool {
        self == KeyStatus::Active
    }
}
