//! The admin audit log: who changed what, when, through the admin API.
//!
//! The store keeps events as it is given them; what goes in `changes` (never a secret) is the
//! admin API's business.

use serde::Serialize;

use crate::model::Role;
use crate::time::Timestamp;

/// The `actor` of an event made with the master key (other events name the caller's key id).
pub const MASTER_ACTOR: &str = "master";

/// One recorded admin mutation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    /// `audit_…` (a UUIDv7: sorts by time).
    pub id: String,
    pub occurred_at: Timestamp,
    /// The caller's key id, or [`MASTER_ACTOR`].
    pub actor: String,
    pub actor_role: Role,
    /// `key.create`, `org.update`, `credits.purchase`, `config.reload`, …
    pub action: String,
    /// `organization`, `team`, `user`, `key` or `config`.
    pub target_type: String,
    /// `None` for gateway-wide targets (the config).
    pub target_id: Option<String>,
    /// The target's organization, team and user when the event happened (tenant filtering).
    pub org_id: Option<String>,
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    pub request_id: Option<String>,
    /// The changed fields with their new values.
    pub changes: serde_json::Map<String, serde_json::Value>,
}

/// What `append_audit` needs: an event without its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    pub occurred_at: Timestamp,
    pub actor: String,
    pub actor_role: Role,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    pub org_id: Option<String>,
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    pub request_id: Option<String>,
    pub changes: serde_json::Map<String, serde_json::Value>,
}

/// Which events `list_audit` answers; every field set must match (`None` matches anything).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub org_id: Option<String>,
    pub team_id: Option<String>,
    /// The target's user (a user itself, or a key's owner).
    pub user_id: Option<String>,
    pub actor: Option<String>,
    /// Exactly this action.
    pub action: Option<String>,
    /// Actions starting with this (`key.` for every key event).
    pub action_prefix: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// Inclusive.
    pub from: Option<Timestamp>,
    /// Exclusive.
    pub to: Option<Timestamp>,
}
