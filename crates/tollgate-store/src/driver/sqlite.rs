//! The embedded SQLite backend: one file, WAL mode.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::Row;
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

use crate::StoreError;
use crate::driver::{Arg, Backend, Driver, DriverTx, Sql, SqlRow};

pub(crate) struct SqliteDriver {
    pool: SqlitePool,
}

impl SqliteDriver {
    /// Opens (creating if missing) the database file at `path` and applies pending migrations.
    pub(crate) async fn open(path: &str) -> Result<SqliteDriver, StoreError> {
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
            .create_if_missing(true)
            // WAL lets readers run beside the one writer; NORMAL sync is durable across process
            // crashes in WAL mode, which is what a gateway's spend log needs.
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(SqliteDriver { pool })
    }
}

type Query<'q> = sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>>;

fn bound(sql: &Sql) -> Query<'_> {
    sql.args
        .iter()
        .fold(sqlx::query(&sql.text), |query, arg| match arg {
            Arg::Int(value) => query.bind(*value),
            Arg::Text(value) => query.bind(value.as_deref()),
        })
}

#[async_trait]
impl Driver for SqliteDriver {
    type Row = SqliteRow;
    type Tx = SqliteTx;

    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn now_text_sql(&self) -> &'static str {
        "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
    }

    async fn execute(&self, sql: Sql) -> Result<u64, StoreError> {
        Ok(bound(&sql).execute(&self.pool).await?.rows_affected())
    }

    async fn fetch_all(&self, sql: Sql) -> Result<Vec<SqliteRow>, StoreError> {
        Ok(bound(&sql).fetch_all(&self.pool).await?)
    }

    async fn fetch_optional(&self, sql: Sql) -> Result<Option<SqliteRow>, StoreError> {
        Ok(bound(&sql).fetch_optional(&self.pool).await?)
    }

    async fn begin(&self) -> Result<SqliteTx, StoreError> {
        Ok(SqliteTx {
            tx: self.pool.begin().await?,
        })
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

pub(crate) struct SqliteTx {
    tx: Transaction<'static, Sqlite>,
}

#[async_trait]
impl DriverTx for SqliteTx {
    type Row = SqliteRow;

    async fn execute(&mut self, sql: Sql) -> Result<u64, StoreError> {
        Ok(bound(&sql).execute(&mut *self.tx).await?.rows_affected())
    }

    async fn fetch_all(&mut self, sql: Sql) -> Result<Vec<SqliteRow>, StoreError> {
        Ok(bound(&sql).fetch_all(&mut *self.tx).await?)
    }

    async fn commit(self) -> Result<(), StoreError> {
        Ok(self.tx.commit().await?)
    }
}

impl SqlRow for SqliteRow {
    fn opt_int(&self, column: &'static str) -> Result<Option<i64>, StoreError> {
        Ok(self.try_get(column)?)
    }

    fn opt_text(&self, column: &'static str) -> Result<Option<String>, StoreError> {
        Ok(self.try_get(column)?)
    }
}
