//! The thin seam between the one SQL implementation and the two databases.
//!
//! The SQL the store sends is the same text for both backends (`$1` placeholders work in SQLite
//! too), with every integer an `i64` and every other value `TEXT`. So a driver only has to bind
//! those two kinds of argument, run statements, and read `i64`/`String` columns back. That keeps
//! all sqlx generics inside the two driver files and lets `SqlStore<D>` be written once.

mod postgres;
mod query;
mod sqlite;

use async_trait::async_trait;
use serde::Serialize;

use crate::StoreError;

pub(crate) use postgres::PgDriver;
pub(crate) use query::{Arg, Sql};
pub(crate) use sqlite::SqliteDriver;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A row read back from either database.
pub(crate) trait SqlRow: Send + Sync + 'static {
    fn opt_int(&self, column: &'static str) -> Result<Option<i64>, StoreError>;
    fn opt_text(&self, column: &'static str) -> Result<Option<String>, StoreError>;

    fn int(&self, column: &'static str) -> Result<i64, StoreError> {
        self.opt_int(column)?
            .ok_or_else(|| StoreError::corrupt(column, "unexpected NULL"))
    }

    fn text(&self, column: &'static str) -> Result<String, StoreError> {
        self.opt_text(column)?
            .ok_or_else(|| StoreError::corrupt(column, "unexpected NULL"))
    }
}

/// A connection pool of one backend.
#[async_trait]
pub(crate) trait Driver: Send + Sync + 'static {
    type Row: SqlRow;
    type Tx: DriverTx<Row = Self::Row>;

    fn backend(&self) -> Backend;
    /// An SQL expression for the current UTC time as RFC 3339 text (the `meta` table's
    /// `updated_at`, the one place the two dialects differ).
    fn now_text_sql(&self) -> &'static str;

    /// Runs a statement; answers the number of rows it changed.
    async fn execute(&self, sql: Sql) -> Result<u64, StoreError>;
    async fn fetch_all(&self, sql: Sql) -> Result<Vec<Self::Row>, StoreError>;
    async fn fetch_optional(&self, sql: Sql) -> Result<Option<Self::Row>, StoreError>;
    async fn begin(&self) -> Result<Self::Tx, StoreError>;
    async fn close(&self);
}

/// An open transaction; dropped without `commit`, it rolls back.
#[async_trait]
pub(crate) trait DriverTx: Send {
    type Row: SqlRow;

    async fn execute(&mut self, sql: Sql) -> Result<u64, StoreError>;
    async fn fetch_all(&mut self, sql: Sql) -> Result<Vec<Self::Row>, StoreError>;
    async fn commit(self) -> Result<(), StoreError>;
}
