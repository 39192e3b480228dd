//! Tollgate's system of record: tenants, virtual keys, the spend log and usage queries.
//!
//! `open(url)` picks the backend from the URL — `sqlite://PATH` (the embedded default: one file,
//! WAL mode, zero setup) or `postgres://…`/`postgresql://…` (scale-out: several instances share
//! it) — applies that backend's pending migrations (`migrations/sqlite`, `migrations/postgres`,
//! kept equivalent and compared by a test), and answers a [`DynStore`].
//!
//! # One trait, one implementation, two drivers
//!
//! [`Store`] is an object-safe async trait rather than an enum over the backends: the server holds
//! one `Arc<dyn Store>` and never matches on the backend, a third backend or a test double is one
//! `impl`, and the interface is read in one place (`store.rs`). Behind it, the SQL is written
//! once (`sql/`): both databases accept `$1` placeholders, and every value the store binds or
//! reads is an `i64` or a `String` (times are unix milliseconds, money is integer nano-USD, JSON
//! is text). So `SqlStore<D>` is generic over a crate-private `Driver` whose two implementations
//! (`driver/sqlite.rs`, `driver/postgres.rs`) only bind those two kinds of value, run statements
//! and open transactions. All sqlx generics stay inside those two files, and the same statement
//! runs on both databases — which is what makes "the same suite against both" meaningful.
//!
//! # Spend
//!
//! The request path never writes to the database: it hands a [`SpendRecord`] to the
//! [`SpendWriter`], which batches rows and, in one transaction per batch, appends them and adds
//! their costs to the owning keys' settled spend. Inserts are idempotent on `request_id`.
//!
//! # Credits
//!
//! An organization's prepaid credits are a ledger (`credit_ledger`): every movement is a row with
//! a signed amount, and the balance is their sum, computed in SQL ([`Store::credit_totals`]).
//! Purchases, fees, refunds and adjustments are appended by the admin API
//! ([`Store::append_credits`]); a call's charge is appended by the spend writer in the same
//! transaction as its spend row (when the row has `charge_credits`), with an id derived from the
//! request id, so a retried batch charges nothing twice.

mod driver;
mod error;
mod ids;
mod model;
mod open;
mod secret;
mod sql;
mod store;
mod time;
mod writer;

pub use driver::Backend;
pub use error::StoreError;
pub use model::{
    ApiKey, ApiKeyUpdate, AuditEvent, AuditFilter, Bucket, Budget, BudgetMode, BudgetPeriod,
    CreatedKey, CreditEntry, CreditKind, CreditTotals, Dimension, EndUserBudget, KeyFilter,
    KeyLookup, KeyStatus, MASTER_ACTOR, NewApiKey, NewAuditEvent, NewCreditEntry, NewOrganization,
    NewTeam, NewUser, Organization, OrganizationUpdate, Page, PageRequest, Role, SpendBatchOutcome,
    SpendCostSource, SpendRecord, SpendScope, Team, TeamFilter, TeamUpdate, UsageFilter, UsageRow,
    User, UserFilter, UserUpdate,
};
pub use open::open;
pub use secret::{KEY_PREFIX, generate_key_secret, hash_key, visible_prefix};
pub use store::{DynStore, SqliteStore, Store};
pub use time::Timestamp;
pub use writer::{SpendWriter, SpendWriterConfig, UnwrittenRows, WriterClosed, WriterStats};

/// Meta keys (one place, so a typo cannot split a setting in two).
pub mod meta_keys {
    /// SHA-256 (hex) of the master key; the key itself is never stored.
    pub const MASTER_KEY_SHA256: &str = "master_key_sha256";
}
