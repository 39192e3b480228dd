//! What the admin API answers: its own response types, built from the store's, so the wire format
//! is written down (and documented in the OpenAPI schema) in one place. Times are RFC 3339 UTC,
//! money a decimal string with nine places, and a key never carries its secret or hash except
//! in [`CreatedKeyView`], answered once by create and rotate.

use serde::Serialize;
use tollgate_store::{
    ApiKey, AuditEvent, Budget, CreatedKey, CreditEntry, CreditTotals, KeyStatus, Organization,
    Team, Timestamp, User,
};
use utoipa::ToSchema;

use crate::admin::time;

/// Documentation-only mirrors of the store's enums, so the schema lists their values.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum RoleValue {
    Admin,
    OrgAdmin,
    TeamAdmin,
    Member,
    Viewer,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum BudgetPeriodValue {
    /// A lifetime budget (the default).
    None,
    Daily,
    Weekly,
    Monthly,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum BudgetModeValue {
    /// Reserve each call's worst case and refuse a call that might not fit: never exceeded.
    Hard,
    /// Admit while settled spend is below the budget: the crossing call completes, later ones
    /// are refused.
    Soft,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum KeyStatusValue {
    Active,
    Revoked,
    Expired,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgView {
    pub id: String,
    pub name: String,
    /// Pricing tier (decides the platform fee on credit purchases).
    pub tier: String,
    /// The budget shared by every key of the organization, a decimal string; `null` for none.
    #[schema(example = "500.000000000")]
    pub budget_usd: Option<String>,
    #[schema(value_type = Option<BudgetPeriodValue>)]
    pub budget_period: Option<&'static str>,
    /// The budget's own mode; `null` follows the gateway's default (config `budgets.mode`).
    #[schema(value_type = Option<BudgetModeValue>)]
    pub budget_mode: Option<&'static str>,
    /// The budget's own alert threshold, a percent of its amount; `null` follows the gateway's
    /// default (config `budgets.alert_at_percent`).
    #[schema(example = 80)]
    pub budget_alert_percent: Option<u8>,
    /// Calls are paid from the organization's prepaid credits (see `/credits`).
    pub credits_enabled: bool,
    /// Guardrail overrides (the config's `guardrails:` shape, only what differs from the level
    /// above); `null` for none.
    #[schema(value_type = Option<crate::admin::guardrails::GuardrailsValue>)]
    pub guardrails: Option<serde_json::Value>,
    #[schema(example = "2026-01-31T12:00:00.000Z")]
    pub created_at: String,
}

impl From<&Organization> for OrgView {
    fn from(org: &Organization) -> OrgView {
        OrgView {
            id: org.id.clone(),
            name: org.name.clone(),
            tier: org.tier.clone(),
            budget_usd: budget_usd(org.budget),
            budget_period: budget_period(org.budget),
            budget_mode: budget_mode(org.budget),
            budget_alert_percent: org.budget.and_then(|budget| budget.alert_at_percent),
            credits_enabled: org.credits_enabled,
            guardrails: org.guardrails.clone(),
            created_at: time::format(org.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamView {
    pub id: String,
    pub org_id: String,
    pub name: String,
    /// The budget shared by every key of the team, a decimal string; `null` for none.
    #[schema(example = "50.000000000")]
    pub budget_usd: Option<String>,
    #[schema(value_type = Option<BudgetPeriodValue>)]
    pub budget_period: Option<&'static str>,
    /// The budget's own mode; `null` follows the gateway's default (config `budgets.mode`).
    #[schema(value_type = Option<BudgetModeValue>)]
    pub budget_mode: Option<&'static str>,
    /// The budget's own alert threshold, a percent of its amount; `null` follows the gateway's
    /// default (config `budgets.alert_at_percent`).
    #[schema(example = 80)]
    pub budget_alert_percent: Option<u8>,
    /// Requests per minute, all the team's keys together.
    pub rpm_limit: Option<u32>,
    /// Tokens per minute, all the team's keys together.
    pub tpm_limit: Option<u64>,
    /// Requests in flight at once, all the team's keys together.
    pub max_parallel: Option<u32>,
    /// Guardrail overrides (the config's `guardrails:` shape, only what differs from the level
    /// above); `null` for none.
    #[schema(value_type = Option<crate::admin::guardrails::GuardrailsValue>)]
    pub guardrails: Option<serde_json::Value>,
    pub created_at: String,
}

impl From<&Team> for TeamView {
    fn from(team: &Team) -> TeamView {
        TeamView {
            id: team.id.clone(),
            org_id: team.org_id.clone(),
            name: team.name.clone(),
            budget_usd: budget_usd(team.budget),
            budget_period: budget_period(team.budget),
            budget_mode: budget_mode(team.budget),
            budget_alert_percent: team.budget.and_then(|budget| budget.alert_at_percent),
            rpm_limit: team.rpm_limit,
            tpm_limit: team.tpm_limit,
            max_parallel: team.max_parallel,
            guardrails: team.guardrails.clone(),
            created_at: time::format(team.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub org_id: String,
    pub team_id: Option<String>,
    pub email: String,
    pub name: Option<String>,
    #[schema(value_type = RoleValue)]
    pub role: &'static str,
    /// The budget shared by every key of the user, a decimal string; `null` for none.
    #[schema(example = "10.000000000")]
    pub budget_usd: Option<String>,
    #[schema(value_type = Option<BudgetPeriodValue>)]
    pub budget_period: Option<&'static str>,
    /// The budget's own mode; `null` follows the gateway's default (config `budgets.mode`).
    #[schema(value_type = Option<BudgetModeValue>)]
    pub budget_mode: Option<&'static str>,
    /// The budget's own alert threshold, a percent of its amount; `null` follows the gateway's
    /// default (config `budgets.alert_at_percent`).
    #[schema(example = 80)]
    pub budget_alert_percent: Option<u8>,
    pub created_at: String,
}

impl From<&User> for UserView {
    fn from(user: &User) -> UserView {
        UserView {
            id: user.id.clone(),
            org_id: user.org_id.clone(),
            team_id: user.team_id.clone(),
            email: user.email.clone(),
            name: user.name.clone(),
            role: user.role.as_str(),
            budget_usd: budget_usd(user.budget),
            budget_period: budget_period(user.budget),
            budget_mode: budget_mode(user.budget),
            budget_alert_percent: user.budget.and_then(|budget| budget.alert_at_percent),
            created_at: time::format(user.created_at),
        }
    }
}

/// A virtual key without its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyView {
    pub id: String,
    pub name: String,
    /// The first characters of the secret (`tg-ab12cd3`), to tell keys apart.
    pub prefix: String,
    pub org_id: Option<String>,
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    #[schema(value_type = RoleValue)]
    pub role: &'static str,
    /// Public model names the key may call; `null` allows every model.
    pub models: Option<Vec<String>>,
    pub rpm_limit: Option<u32>,
    pub tpm_limit: Option<u64>,
    pub max_parallel: Option<u32>,
    /// The budget as a decimal string; `null` for none.
    #[schema(example = "12.500000000")]
    pub budget_usd: Option<String>,
    #[schema(value_type = Option<BudgetPeriodValue>)]
    pub budget_period: Option<&'static str>,
    /// The budget's own mode; `null` follows the gateway's default (config `budgets.mode`).
    #[schema(value_type = Option<BudgetModeValue>)]
    pub budget_mode: Option<&'static str>,
    /// The budget's own alert threshold, a percent of its amount; `null` follows the gateway's
    /// default (config `budgets.alert_at_percent`).
    #[schema(example = 80)]
    pub budget_alert_percent: Option<u8>,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    /// Whether the key may be used now.
    #[schema(value_type = KeyStatusValue)]
    pub status: &'static str,
    /// A JSON object; its `tags` (strings) are copied to spend-log rows.
    #[schema(value_type = Object)]
    pub metadata: serde_json::Value,
    /// Guardrail overrides (the config's `guardrails:` shape, only what differs from the level
    /// above); `null` for none.
    #[schema(value_type = Option<crate::admin::guardrails::GuardrailsValue>)]
    pub guardrails: Option<serde_json::Value>,
    pub created_at: String,
    pub updated_at: String,
    pub last_used_at: Option<String>,
    /// Settled spend, a decimal string.
    #[schema(example = "0.001230000")]
    pub spend_usd: String,
}

impl From<&ApiKey> for KeyView {
    fn from(key: &ApiKey) -> KeyView {
        let status = match key.status_at(Timestamp::now()) {
            KeyStatus::Revoked => "revoked",
            KeyStatus::Expired => "expired",
            KeyStatus::Active | KeyStatus::Rotated => "active",
        };
        KeyView {
            id: key.id.clone(),
            name: key.name.clone(),
            prefix: key.prefix.clone(),
            org_id: key.org_id.clone(),
            team_id: key.team_id.clone(),
            user_id: key.user_id.clone(),
            role: key.role.as_str(),
            models: key.models.clone(),
            rpm_limit: key.rpm_limit,
            tpm_limit: key.tpm_limit,
            max_parallel: key.max_parallel,
            budget_usd: budget_usd(key.budget),
            budget_period: budget_period(key.budget),
            budget_mode: budget_mode(key.budget),
            budget_alert_percent: key.budget.and_then(|budget| budget.alert_at_percent),
            expires_at: key.expires_at.map(time::format),
            revoked_at: key.revoked_at.map(time::format),
            status,
            metadata: key.metadata.clone(),
            guardrails: key.guardrails.clone(),
            created_at: time::format(key.created_at),
            updated_at: time::format(key.updated_at),
            last_used_at: key.last_used_at.map(time::format),
            spend_usd: key.spend.to_string(),
        }
    }
}

/// A key with its secret: answered once, by create and rotate. Store the secret now; only its
/// SHA-256 is kept.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKeyView {
    /// The secret (`tg-…`).
    #[schema(example = "tg-3kZq9V0aL1xYw2uT8sR7pQ6oN5mM4lK3jJ2iH1gG")]
    pub key: String,
    #[serde(flatten)]
    pub view: KeyView,
}

impl From<&CreatedKey> for CreatedKeyView {
    fn from(created: &CreatedKey) -> CreatedKeyView {
        CreatedKeyView {
            key: created.secret.clone(),
            view: KeyView::from(&created.key),
        }
    }
}

/// One page of a list: pass `next` as `after` for the following page (`null` on the last).
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgList {
    pub data: Vec<OrgView>,
    pub next: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamList {
    pub data: Vec<TeamView>,
    pub next: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub data: Vec<UserView>,
    pub next: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyList {
    pub data: Vec<KeyView>,
    pub next: Option<String>,
}

/// One admin change, as `GET /admin/v1/audit` answers it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventView {
    pub id: String,
    #[schema(example = "2026-01-31T12:00:00.000Z")]
    pub occurred_at: String,
    /// Who made the change: its key id, or `master` for the master key.
    #[schema(example = "master")]
    pub actor: String,
    /// The caller's role.
    #[schema(value_type = RoleValue)]
    pub actor_role: &'static str,
    /// `org.create|update|delete`, `team.…`, `user.…`, `key.create|update|rotate|revoke|expire`,
    /// `credits.purchase|refund|adjustment`, `config.reload`.
    #[schema(example = "key.rotate")]
    pub action: String,
    /// `organization`, `team`, `user`, `key` or `config`.
    pub target_type: String,
    /// `null` for the config.
    pub target_id: Option<String>,
    /// The target's organization, team and user when the change was made.
    pub org_id: Option<String>,
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    /// The change's request id (the `x-request-id` its answer carried).
    pub request_id: Option<String>,
    /// The changed fields with their new values (`null`: cleared); every field of a new
    /// object; `{}` for a deletion. Never a secret.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
}

impl From<&AuditEvent> for AuditEventView {
    fn from(event: &AuditEvent) -> AuditEventView {
        AuditEventView {
            id: event.id.clone(),
            occurred_at: time::format(event.occurred_at),
            actor: event.actor.clone(),
            actor_role: event.actor_role.as_str(),
            action: event.action.clone(),
            target_type: event.target_type.clone(),
            target_id: event.target_id.clone(),
            org_id: event.org_id.clone(),
            team_id: event.team_id.clone(),
            user_id: event.user_id.clone(),
            request_id: event.request_id.clone(),
            changes: serde_json::Value::Object(event.changes.clone()),
        }
    }
}

/// Newest first; pass `next` as `after` for the following (older) page.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditList {
    pub data: Vec<AuditEventView>,
    pub next: Option<String>,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum CreditKindValue {
    /// Money received: the credits plus the platform fee (positive).
    Purchase,
    /// The platform fee taken out of a purchase (negative).
    Fee,
    /// A call's settled cost (negative).
    Spend,
    /// Credits given back (positive).
    Refund,
    /// An operator's correction, either sign.
    Adjustment,
}

/// One movement of an organization's credits.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreditEntryView {
    pub id: String,
    #[schema(value_type = CreditKindValue)]
    pub kind: &'static str,
    /// Signed: the entry's effect on the balance, a decimal string.
    #[schema(example = "-4.000000000")]
    pub amount_usd: String,
    /// A payment id, a request id (spend), or an operator's note.
    pub reference: Option<String>,
    pub created_at: String,
}

impl From<&CreditEntry> for CreditEntryView {
    fn from(entry: &CreditEntry) -> CreditEntryView {
        CreditEntryView {
            id: entry.id.clone(),
            kind: entry.kind.as_str(),
            amount_usd: entry.amount.to_string(),
            reference: entry.reference.clone(),
            created_at: time::format(entry.created_at),
        }
    }
}

/// An organization's credit totals, over its whole ledger.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreditBalanceView {
    pub org_id: String,
    /// The ledger's sum: `credited_usd` − `spent_usd`.
    #[schema(example = "100.000000000")]
    pub balance_usd: String,
    /// Every entry but spend: purchases net of fees, refunds, adjustments.
    #[schema(example = "100.000000000")]
    pub credited_usd: String,
    /// Spend entries, as a positive amount.
    #[schema(example = "0.000000000")]
    pub spent_usd: String,
}

impl CreditBalanceView {
    pub fn new(org_id: &str, totals: CreditTotals) -> CreditBalanceView {
        CreditBalanceView {
            org_id: org_id.to_string(),
            balance_usd: totals.balance().to_string(),
            credited_usd: totals.credited.to_string(),
            spent_usd: totals.spent.to_string(),
        }
    }
}

/// What `POST …/credits` wrote, and the totals after it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreditsWrittenView {
    #[serde(flatten)]
    pub balance: CreditBalanceView,
    pub entries: Vec<CreditEntryView>,
    /// The platform fee charged on top of a purchase (purchases only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "4.000000000")]
    pub fee_usd: Option<String>,
}

/// A page of the ledger, newest first, beside the totals of the whole ledger.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreditsPageView {
    #[serde(flatten)]
    pub balance: CreditBalanceView,
    pub entries: Vec<CreditEntryView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

pub(crate) fn budget_usd(budget: Option<Budget>) -> Option<String> {
    budget.map(|budget| budget.amount.to_string())
}

fn budget_period(budget: Option<Budget>) -> Option<&'static str> {
    budget.map(|budget| budget.period.as_str())
}

pub(crate) fn budget_mode(budget: Option<Budget>) -> Option<&'static str> {
    budget
        .and_then(|budget| budget.mode)
        .map(|mode| mode.as_str())
}
