//! Organizations, teams and users.
//!
//! Budgets and limits here apply to every key of the tenant together, on top of each key's own
//! (the request path enforces them; the store only keeps them).

use serde::Serialize;

use crate::model::{Budget, Role};
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
    /// Pricing tier (decides the platform fee on credit purchases); `"default"` unless set.
    pub tier: String,
    pub budget: Option<Budget>,
    /// Calls are paid from the organization's prepaid credits (and refused when they run out).
    /// Turned on by the first credit entry; an admin may turn it off.
    pub credits_enabled: bool,
    /// Guardrail overrides (a JSON object of the config's `guardrails:` shape, only the fields
    /// that differ from the level above); `None` overrides nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guardrails: Option<serde_json::Value>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganization {
    pub name: String,
    /// `None` means `"default"`.
    pub tier: Option<String>,
    pub budget: Option<Budget>,
    pub credits_enabled: bool,
    /// Guardrail overrides: a JSON object (checked by the admin API), or `None`.
    pub guardrails: Option<serde_json::Value>,
}

impl NewOrganization {
    /// The default tier, no budget, no credits.
    pub fn named(name: impl Into<String>) -> NewOrganization {
        NewOrganization {
            name: name.into(),
            tier: None,
            budget: None,
            credits_enabled: false,
            guardrails: None,
        }
    }
}

/// `None` keeps a field; `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrganizationUpdate {
    pub name: Option<String>,
    pub tier: Option<String>,
    pub budget: Option<Option<Budget>>,
    pub credits_enabled: Option<bool>,
    /// `Some(None)` clears the guardrail overrides.
    pub guardrails: Option<Option<serde_json::Value>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Team {
    pub id: String,
    pub org_id: String,
    /// Unique within the organization.
    pub name: String,
    pub budget: Option<Budget>,
    pub rpm_limit: Option<u32>,
    pub tpm_limit: Option<u64>,
    pub max_parallel: Option<u32>,
    /// Guardrail overrides (a JSON object of the config's `guardrails:` shape, only the fields
    /// that differ from the level above); `None` overrides nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guardrails: Option<serde_json::Value>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTeam {
    pub org_id: String,
    pub name: String,
    pub budget: Option<Budget>,
    pub rpm_limit: Option<u32>,
    pub tpm_limit: Option<u64>,
    pub max_parallel: Option<u32>,
    /// Guardrail overrides: a JSON object (checked by the admin API), or `None`.
    pub guardrails: Option<serde_json::Value>,
}

impl NewTeam {
    /// A team with no budget and no limits.
    pub fn named(org_id: impl Into<String>, name: impl Into<String>) -> NewTeam {
        NewTeam {
            org_id: org_id.into(),
            name: name.into(),
            budget: None,
            rpm_limit: None,
            tpm_limit: None,
            max_parallel: None,
            guardrails: None,
        }
    }
}

/// `None` keeps a field; `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamUpdate {
    pub name: Option<String>,
    pub budget: Option<Option<Budget>>,
    pub rpm_limit: Option<Option<u32>>,
    pub tpm_limit: Option<Option<u64>>,
    pub max_parallel: Option<Option<u32>>,
    /// `Some(None)` clears the guardrail overrides.
    pub guardrails: Option<Option<serde_json::Value>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamFilter {
    pub org_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: String,
    pub org_id: String,
    /// A team of the same organization.
    pub team_id: Option<String>,
    /// Unique within the organization.
    pub email: String,
    pub name: Option<String>,
    pub role: Role,
    pub budget: Option<Budget>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub org_id: String,
    pub team_id: Option<String>,
    pub email: String,
    pub name: Option<String>,
    pub role: Role,
    pub budget: Option<Budget>,
}

/// `None` keeps a field; `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserUpdate {
    pub team_id: Option<Option<String>>,
    pub email: Option<String>,
    pub name: Option<Option<String>>,
    pub role: Option<Role>,
    pub budget: Option<Option<Budget>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    pub org_id: Option<String>,
    pub team_id: Option<String>,
}
