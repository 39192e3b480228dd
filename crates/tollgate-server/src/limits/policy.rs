//! The limits and budgets that apply to one key: its own and those of its user, team and
//! organization (design.md §1 step 3), read from the store once and cached.
//!
//! The cache is keyed by key id and stamped with the auth generation: every admin mutation
//! bumps it (`Auth::invalidate`), so a changed budget or a credit purchase applies from the
//! next request; the TTL bounds staleness for changes made by another instance.

use std::sync::Arc;
use std::time::Duration;

use tollgate_limits::{BudgetMode, Period};
use tollgate_store::{ApiKey, Budget, DynStore, StoreError};
use tollgate_types::NanoUsd;

const POLICY_CACHE_TTL: Duration = Duration::from_secs(30);

/// A budget as the counters need it. `mode` and `alert_at_percent` are the budget's own;
/// `None` follows the gateway's defaults ([`crate::limits::LimitSettings`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetLimit {
    pub amount: NanoUsd,
    pub period: Period,
    pub mode: Option<BudgetMode>,
    pub alert_at_percent: Option<u8>,
}

impl From<Budget> for BudgetLimit {
    fn from(budget: Budget) -> Self {
        BudgetLimit {
            amount: budget.amount,
            period: Period::parse(budget.period.as_str()).unwrap_or(Period::None),
            mode: budget.mode.map(|mode| match mode {
                tollgate_store::BudgetMode::Hard => BudgetMode::Hard,
                tollgate_store::BudgetMode::Soft => BudgetMode::Soft,
            }),
            alert_at_percent: budget.alert_at_percent,
        }
    }
}

/// Requests/min, tokens/min and parallel calls of one principal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimits {
    pub rpm: Option<u32>,
    pub tpm: Option<u64>,
    pub max_parallel: Option<u32>,
}

impl RateLimits {
    pub fn is_empty(&self) -> bool {
        self.rpm.is_none() && self.tpm.is_none() && self.max_parallel.is_none()
    }
}

/// Everything above the key itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantPolicy {
    pub user_budget: Option<BudgetLimit>,
    pub team_budget: Option<BudgetLimit>,
    pub team_limits: RateLimits,
    pub org_budget: Option<BudgetLimit>,
    /// The organization pays from prepaid credits: everything ever credited to it (purchases net
    /// of fees, refunds, adjustments) and what calls have drawn from it so far per the ledger.
    pub credits: Option<CreditLine>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreditLine {
    pub credited: NanoUsd,
    pub spent: NanoUsd,
}

impl TenantPolicy {
    async fn load(store: &DynStore, key: &ApiKey) -> Result<TenantPolicy, StoreError> {
        let mut policy = TenantPolicy::default();
        if let Some(user_id) = &key.user_id
            && let Some(user) = store.get_user(user_id).await?
        {
            policy.user_budget = user.budget.map(BudgetLimit::from);
        }
        if let Some(team_id) = &key.team_id
            && let Some(team) = store.get_team(team_id).await?
        {
            policy.team_budget = team.budget.map(BudgetLimit::from);
            policy.team_limits = RateLimits {
                rpm: team.rpm_limit,
                tpm: team.tpm_limit,
                max_parallel: team.max_parallel,
            };
        }
        if let Some(org_id) = &key.org_id
            && let Some(org) = store.get_org(org_id).await?
        {
            policy.org_budget = org.budget.map(BudgetLimit::from);
            if org.credits_enabled {
                let totals = store.credit_totals(org_id).await?;
                policy.credits = Some(CreditLine {
                    credited: totals.credited,
                    spent: totals.spent,
                });
            }
        }
        Ok(policy)
    }
}

/// Key id → its tenant policy, and end user → its own budget, each with the auth generation it
/// was read under.
#[derive(Clone)]
pub struct PolicyCache {
    store: Option<DynStore>,
    cache: moka::sync::Cache<String, (u64, Arc<TenantPolicy>)>,
    /// `org id NUL end user` → its own budget; `None` (also cached) when it has none.
    end_users: moka::sync::Cache<String, (u64, Option<BudgetLimit>)>,
}

impl PolicyCache {
    pub fn new(store: Option<DynStore>) -> Self {
        PolicyCache {
            store,
            cache: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(POLICY_CACHE_TTL)
                .build(),
            end_users: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(POLICY_CACHE_TTL)
                .build(),
        }
    }

    /// `end_user`'s own budget (of organization `org`), if the admin API set one.
    pub async fn end_user_budget(
        &self,
        org: Option<&str>,
        end_user: &str,
        generation: u64,
    ) -> Result<Option<BudgetLimit>, StoreError> {
        let Some(store) = &self.store else {
            return Ok(None);
        };
        let cache_key = format!("{}\0{end_user}", org.unwrap_or(""));
        if let Some((cached_generation, limit)) = self.end_users.get(&cache_key)
            && cached_generation == generation
        {
            return Ok(limit);
        }
        let limit = store
            .get_end_user_budget(org, end_user)
            .await?
            .map(|stored| BudgetLimit::from(stored.budget));
        self.end_users.insert(cache_key, (generation, limit));
        Ok(limit)
    }

    /// The policy above `key`; a key outside any tenant has an empty one without a lookup.
    pub async fn get(
        &self,
        key: &ApiKey,
        generation: u64,
    ) -> Result<Arc<TenantPolicy>, StoreError> {
        let Some(store) = &self.store else {
            return Ok(Arc::default());
        };
        if key.org_id.is_none() && key.team_id.is_none() && key.user_id.is_none() {
            return Ok(Arc::default());
        }
        if let Some((cached_generation, policy)) = self.cache.get(&key.id)
            && cached_generation == generation
        {
            return Ok(policy);
        }
        let policy = Arc::new(TenantPolicy::load(store, key).await?);
        self.cache
            .insert(key.id.clone(), (generation, Arc::clone(&policy)));
        Ok(policy)
    }
}
