//! The store's domain types: plain structs, `Serialize` for the admin API.

mod audit;
mod credits;
mod end_user;
mod key;
mod page;
mod role;
mod spend;
mod tenant;
mod usage;
pub(crate) mod usd;

pub use audit::{AuditEvent, AuditFilter, MASTER_ACTOR, NewAuditEvent};
pub use credits::{CreditEntry, CreditKind, CreditTotals, NewCreditEntry};
pub use end_user::EndUserBudget;
pub use key::{
    ApiKey, ApiKeyUpdate, Budget, BudgetMode, BudgetPeriod, CreatedKey, KeyFilter, KeyLookup,
    KeyStatus, NewApiKey,
};
pub use page::{Page, PageRequest};
pub use role::Role;
pub use spend::{SpendBatchOutcome, SpendCostSource, SpendRecord, SpendScope};
pub use tenant::{
    NewOrganization, NewTeam, NewUser, Organization, OrganizationUpdate, Team, TeamFilter,
    TeamUpdate, User, UserFilter, UserUpdate,
};
pub use usage::{Bucket, Dimension, UsageFilter, UsageRow};
