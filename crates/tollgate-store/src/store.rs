//! The one storage interface the gateway uses, whichever database is behind it.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::StoreError;
use crate::driver::Backend;
use tollgate_types::NanoUsd;

use crate::model::{
    ApiKey, ApiKeyUpdate, AuditEvent, AuditFilter, Bucket, Budget, CreatedKey, CreditEntry,
    CreditTotals, Dimension, EndUserBudget, KeyFilter, KeyLookup, NewApiKey, NewAuditEvent,
    NewCreditEntry, NewOrganization, NewTeam, NewUser, Organization, OrganizationUpdate, Page,
    PageRequest, SpendBatchOutcome, SpendRecord, SpendScope, Team, TeamFilter, TeamUpdate,
    UsageFilter, UsageRow, User, UserFilter, UserUpdate,
};
use crate::time::Timestamp;

/// A shared handle to the open store, as `open` returns it.
pub type DynStore = Arc<dyn Store>;

/// The name the binary and the server used before the PostgreSQL backend existed. It is now
/// whichever backend the URL chose; kept so those call sites compile unchanged until they are
/// renamed to `DynStore`. Remove it then.
pub type SqliteStore = DynStore;

/// The system of record. Object-safe, so the gateway holds one `Arc<dyn Store>` whatever the
/// backend, and tests can substitute their own.
///
/// `get_*` answer `None` for an unknown id; `update_*`, `delete_*`, `rotate_key`, `revoke_key` and
/// `expire_key` answer `StoreError::NotFound`. Lists are keyset-paginated in id order (ids are
/// UUIDv7, so that is creation order).
#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> Backend;
    /// Readiness: the database answers a trivial query.
    async fn ping(&self) -> Result<(), StoreError>;
    /// Closes the pool; waits for connections in use to be returned.
    async fn close(&self);

    // Gateway-wide settings (see `meta_keys`).
    async fn get_meta(&self, key: &str) -> Result<Option<String>, StoreError>;
    async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError>;

    async fn create_org(&self, new: NewOrganization) -> Result<Organization, StoreError>;
    async fn get_org(&self, id: &str) -> Result<Option<Organization>, StoreError>;
    async fn list_orgs(&self, page: &PageRequest) -> Result<Page<Organization>, StoreError>;
    async fn update_org(
        &self,
        id: &str,
        update: OrganizationUpdate,
    ) -> Result<Organization, StoreError>;
    /// Refused with `Conflict` while teams, users or keys still belong to it.
    async fn delete_org(&self, id: &str) -> Result<(), StoreError>;

    async fn create_team(&self, new: NewTeam) -> Result<Team, StoreError>;
    async fn get_team(&self, id: &str) -> Result<Option<Team>, StoreError>;
    async fn list_teams(
        &self,
        filter: &TeamFilter,
        page: &PageRequest,
    ) -> Result<Page<Team>, StoreError>;
    async fn update_team(&self, id: &str, update: TeamUpdate) -> Result<Team, StoreError>;
    /// Refused with `Conflict` while users or keys still belong to it.
    async fn delete_team(&self, id: &str) -> Result<(), StoreError>;

    async fn create_user(&self, new: NewUser) -> Result<User, StoreError>;
    async fn get_user(&self, id: &str) -> Result<Option<User>, StoreError>;
    async fn list_users(
        &self,
        filter: &UserFilter,
        page: &PageRequest,
    ) -> Result<Page<User>, StoreError>;
    async fn update_user(&self, id: &str, update: UserUpdate) -> Result<User, StoreError>;
    /// Refused with `Conflict` while keys still belong to the user.
    async fn delete_user(&self, id: &str) -> Result<(), StoreError>;

    /// Sets or replaces an end user's own budget (`org_id`: the organization of the keys it
    /// calls through; `None` for keys outside any).
    async fn put_end_user_budget(
        &self,
        org_id: Option<&str>,
        end_user: &str,
        budget: Budget,
    ) -> Result<EndUserBudget, StoreError>;
    async fn get_end_user_budget(
        &self,
        org_id: Option<&str>,
        end_user: &str,
    ) -> Result<Option<EndUserBudget>, StoreError>;
    /// One organization's (or, `None`, the keys outside any's) end-user budgets by end user.
    async fn list_end_user_budgets(
        &self,
        org_id: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<EndUserBudget>, StoreError>;
    /// `NotFound` when it has none.
    async fn delete_end_user_budget(
        &self,
        org_id: Option<&str>,
        end_user: &str,
    ) -> Result<(), StoreError>;

    /// Creates a key with a fresh secret, returned this once. A key naming a team or user but
    /// no organization gets theirs.
    async fn create_key(&self, new: NewApiKey) -> Result<CreatedKey, StoreError>;
    async fn get_key(&self, id: &str) -> Result<Option<ApiKey>, StoreError>;
    async fn list_keys(
        &self,
        filter: &KeyFilter,
        page: &PageRequest,
    ) -> Result<Page<ApiKey>, StoreError>;
    async fn update_key(&self, id: &str, update: ApiKeyUpdate) -> Result<ApiKey, StoreError>;
    /// Gives the key a new secret (same id, limits, spend). The old secret keeps working until
    /// now + `grace` (not at all with `None`); only the latest replaced secret is kept.
    /// A revoked key cannot be rotated (`Invalid`).
    async fn rotate_key(&self, id: &str, grace: Option<Duration>)
    -> Result<CreatedKey, StoreError>;
    /// Sets `revoked_at` (once; revoking again keeps the first time).
    async fn revoke_key(&self, id: &str) -> Result<ApiKey, StoreError>;
    /// Makes the key expire now (unless it already expired earlier).
    async fn expire_key(&self, id: &str) -> Result<ApiKey, StoreError>;
    /// Finds the key whose current secret, or previous secret (during or after its grace),
    /// hashes to `hash`, and says whether it may be used at `now`. `None`: no such key.
    async fn find_key_by_hash(
        &self,
        hash: &[u8; 32],
        now: Timestamp,
    ) -> Result<Option<KeyLookup>, StoreError>;
    /// Records that these keys were used at `at` (never moves `last_used_at` backwards).
    /// Answers how many keys changed.
    async fn touch_last_used(&self, ids: &[String], at: Timestamp) -> Result<u64, StoreError>;

    /// Appends spend rows and adds their costs to their keys' settled spend, in one transaction.
    /// Rows whose `request_id` is already logged are skipped and not counted again, so a retried
    /// batch is harmless. A new row with `charge_credits`, an organization and a positive cost
    /// also gets a `spend` ledger entry (id `spend-<request_id>`) in the same transaction. Use
    /// `SpendWriter` rather than calling this on the request path.
    async fn insert_spend(&self, rows: &[SpendRecord]) -> Result<SpendBatchOutcome, StoreError>;
    /// Requests, tokens and cost in `bucket`s, grouped by `group_by`, computed in SQL. Rows are
    /// ordered by bucket, then by the grouped values (missing values last).
    async fn usage(
        &self,
        filter: &UsageFilter,
        group_by: &[Dimension],
        bucket: Bucket,
    ) -> Result<Vec<UsageRow>, StoreError>;
    /// Spend-log rows, newest first.
    async fn spend_log(
        &self,
        filter: &UsageFilter,
        page: &PageRequest,
    ) -> Result<Page<SpendRecord>, StoreError>;

    /// The sum of the costs of a scope's spend-log rows created at or after `since` (unpriced
    /// rows count zero), to seed budget counters after a restart.
    async fn spent_since(&self, scope: SpendScope, since: Timestamp)
    -> Result<NanoUsd, StoreError>;

    /// Appends ledger entries to an organization's credits, all or none, and turns its
    /// `credits_enabled` on. `NotFound` for an unknown organization.
    async fn append_credits(
        &self,
        org_id: &str,
        entries: &[NewCreditEntry],
    ) -> Result<Vec<CreditEntry>, StoreError>;
    /// An organization's ledger, newest first (an unknown organization has none).
    async fn list_credits(
        &self,
        org_id: &str,
        page: &PageRequest,
    ) -> Result<Page<CreditEntry>, StoreError>;
    /// The ledger summed exactly in SQL: credited (every non-spend entry) and spent.
    async fn credit_totals(&self, org_id: &str) -> Result<CreditTotals, StoreError>;

    /// Records one admin mutation (the admin API decides what goes in it, never a secret).
    async fn append_audit(&self, event: NewAuditEvent) -> Result<AuditEvent, StoreError>;
    /// Audit events matching `filter`, newest first (`next` is `MILLIS:ID`; a cursor this
    /// store did not write is `Invalid`).
    async fn list_audit(
        &self,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEvent>, StoreError>;
}
