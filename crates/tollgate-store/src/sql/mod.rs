//! The one implementation of `Store`, written once over a `Driver` (SQLite or PostgreSQL).
//!
//! Each file holds the statements of one area; this one only routes the trait's methods to them.

mod audit;
mod build;
mod credits;
mod end_users;
mod keys;
mod meta;
mod orgs;
mod rows;
mod spend;
mod teams;
mod usage;
mod users;

use std::time::Duration;

use async_trait::async_trait;

use crate::StoreError;
use crate::driver::{Backend, Driver, Sql};
use tollgate_types::NanoUsd;

use crate::model::{
    ApiKey, ApiKeyUpdate, AuditEvent, AuditFilter, Bucket, Budget, CreatedKey, CreditEntry,
    CreditTotals, Dimension, EndUserBudget, KeyFilter, KeyLookup, NewApiKey, NewAuditEvent,
    NewCreditEntry, NewOrganization, NewTeam, NewUser, Organization, OrganizationUpdate, Page,
    PageRequest, SpendBatchOutcome, SpendRecord, SpendScope, Team, TeamFilter, TeamUpdate,
    UsageFilter, UsageRow, User, UserFilter, UserUpdate,
};
use crate::store::Store;
use crate::time::Timestamp;

pub(crate) struct SqlStore<D> {
    db: D,
}

impl<D: Driver> SqlStore<D> {
    pub(crate) fn new(db: D) -> SqlStore<D> {
        SqlStore { db }
    }
}

#[async_trait]
impl<D: Driver> Store for SqlStore<D> {
    fn backend(&self) -> Backend {
        self.db.backend()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.db.fetch_all(Sql::new("SELECT 1")).await.map(drop)
    }

    async fn close(&self) {
        self.db.close().await;
    }

    async fn get_meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        meta::get(&self.db, key).await
    }

    async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        meta::set(&self.db, key, value).await
    }

    async fn create_org(&self, new: NewOrganization) -> Result<Organization, StoreError> {
        orgs::create(&self.db, new).await
    }

    async fn get_org(&self, id: &str) -> Result<Option<Organization>, StoreError> {
        orgs::get(&self.db, id).await
    }

    async fn list_orgs(&self, page: &PageRequest) -> Result<Page<Organization>, StoreError> {
        orgs::list(&self.db, page).await
    }

    async fn update_org(
        &self,
        id: &str,
        update: OrganizationUpdate,
    ) -> Result<Organization, StoreError> {
        orgs::update(&self.db, id, update).await
    }

    async fn delete_org(&self, id: &str) -> Result<(), StoreError> {
        orgs::delete(&self.db, id).await
    }

    async fn create_team(&self, new: NewTeam) -> Result<Team, StoreError> {
        teams::create(&self.db, new).await
    }

    async fn get_team(&self, id: &str) -> Result<Option<Team>, StoreError> {
        teams::get(&self.db, id).await
    }

    async fn list_teams(
        &self,
        filter: &TeamFilter,
        page: &PageRequest,
    ) -> Result<Page<Team>, StoreError> {
        teams::list(&self.db, filter, page).await
    }

    async fn update_team(&self, id: &str, update: TeamUpdate) -> Result<Team, StoreError> {
        teams::update(&self.db, id, update).await
    }

    async fn delete_team(&self, id: &str) -> Result<(), StoreError> {
        teams::delete(&self.db, id).await
    }

    async fn create_user(&self, new: NewUser) -> Result<User, StoreError> {
        users::create(&self.db, new).await
    }

    async fn get_user(&self, id: &str) -> Result<Option<User>, StoreError> {
        users::get(&self.db, id).await
    }

    async fn list_users(
        &self,
        filter: &UserFilter,
        page: &PageRequest,
    ) -> Result<Page<User>, StoreError> {
        users::list(&self.db, filter, page).await
    }

    async fn update_user(&self, id: &str, update: UserUpdate) -> Result<User, StoreError> {
        users::update(&self.db, id, update).await
    }

    async fn delete_user(&self, id: &str) -> Result<(), StoreError> {
        users::delete(&self.db, id).await
    }

    async fn put_end_user_budget(
        &self,
        org_id: Option<&str>,
        end_user: &str,
        budget: Budget,
    ) -> Result<EndUserBudget, StoreError> {
        end_users::put(&self.db, org_id, end_user, budget).await
    }

    async fn get_end_user_budget(
        &self,
        org_id: Option<&str>,
        end_user: &str,
    ) -> Result<Option<EndUserBudget>, StoreError> {
        end_users::get(&self.db, org_id, end_user).await
    }

    async fn list_end_user_budgets(
        &self,
        org_id: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<EndUserBudget>, StoreError> {
        end_users::list(&self.db, org_id, page).await
    }

    async fn delete_end_user_budget(
        &self,
        org_id: Option<&str>,
        end_user: &str,
    ) -> Result<(), StoreError> {
        end_users::delete(&self.db, org_id, end_user).await
    }

    async fn create_key(&self, new: NewApiKey) -> Result<CreatedKey, StoreError> {
        keys::create(&self.db, new).await
    }

    async fn get_key(&self, id: &str) -> Result<Option<ApiKey>, StoreError> {
        keys::get(&self.db, id).await
    }

    async fn list_keys(
        &self,
        filter: &KeyFilter,
        page: &PageRequest,
    ) -> Result<Page<ApiKey>, StoreError> {
        keys::list(&self.db, filter, page).await
    }

    async fn update_key(&self, id: &str, update: ApiKeyUpdate) -> Result<ApiKey, StoreError> {
        keys::update(&self.db, id, update).await
    }

    async fn rotate_key(
        &self,
        id: &str,
        grace: Option<Duration>,
    ) -> Result<CreatedKey, StoreError> {
        keys::rotate(&self.db, id, grace).await
    }

    async fn revoke_key(&self, id: &str) -> Result<ApiKey, StoreError> {
        keys::revoke(&self.db, id).await
    }

    async fn expire_key(&self, id: &str) -> Result<ApiKey, StoreError> {
        keys::expire(&self.db, id).await
    }

    async fn find_key_by_hash(
        &self,
        hash: &[u8; 32],
        now: Timestamp,
    ) -> Result<Option<KeyLookup>, StoreError> {
        keys::find_by_hash(&self.db, hash, now).await
    }

    async fn touch_last_used(&self, ids: &[String], at: Timestamp) -> Result<u64, StoreError> {
        keys::touch_last_used(&self.db, ids, at).await
    }

    async fn insert_spend(&self, rows: &[SpendRecord]) -> Result<SpendBatchOutcome, StoreError> {
        spend::insert(&self.db, rows).await
    }

    async fn usage(
        &self,
        filter: &UsageFilter,
        group_by: &[Dimension],
        bucket: Bucket,
    ) -> Result<Vec<UsageRow>, StoreError> {
        usage::query(&self.db, filter, group_by, bucket).await
    }

    async fn spend_log(
        &self,
        filter: &UsageFilter,
        page: &PageRequest,
    ) -> Result<Page<SpendRecord>, StoreError> {
        spend::list(&self.db, filter, page).await
    }

    async fn spent_since(
        &self,
        scope: SpendScope,
        since: Timestamp,
    ) -> Result<NanoUsd, StoreError> {
        spend::spent_since(&self.db, scope, since).await
    }

    async fn append_credits(
        &self,
        org_id: &str,
        entries: &[NewCreditEntry],
    ) -> Result<Vec<CreditEntry>, StoreError> {
        credits::append(&self.db, org_id, entries).await
    }

    async fn list_credits(
        &self,
        org_id: &str,
        page: &PageRequest,
    ) -> Result<Page<CreditEntry>, StoreError> {
        credits::list(&self.db, org_id, page).await
    }

    async fn credit_totals(&self, org_id: &str) -> Result<CreditTotals, StoreError> {
        credits::totals(&self.db, org_id).await
    }

    async fn append_audit(&self, event: NewAuditEvent) -> Result<AuditEvent, StoreError> {
        audit::append(&self.db, event).await
    }

    async fn list_audit(
        &self,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEvent>, StoreError> {
        audit::list(&self.db, filter, page).await
    }
}
