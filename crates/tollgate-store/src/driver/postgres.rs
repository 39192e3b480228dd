//! The PostgreSQL backend (scale-out): several gateway instances share one database.

use std::str::FromStr;

use async_trait::async_trait;
use sqlx::Row;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{Postgres, Transaction};

use crate::StoreError;
use crate::driver::{Arg, Backend, Driver, DriverTx, Sql, SqlRow};

pub(crate) struct PgDriver {
    pool: PgPool,
}

impl PgDriver {
    /// Connects to `url` (`postgres://…`; `?options[search_path]=SCHEMA` selects a schema) and
    /// applies pending migrations. Migrations take an advisory lock, so instances starting
    /// together apply them once.
    pub(crate) async fn open(url: &str) -> Result<PgDriver, StoreError> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(PgDriver { pool })
    }
}

type Query<'q> = sqlx::query::Query<'q, Postgres, PgArguments>;

fn bound(sql: &Sql) -> Query<'_> {
    sql.args
        .iter()
        .fold(sqlx::query(&sql.text), |query, arg| match arg {
            Arg::Int(value) => query.bind(*value),
            Arg::Text(value) => query.bind(value.as_deref()),
        })
}

#[async_trait]
impl Driver for PgDriver {
    type Row = PgRow;
    type Tx = PgTx;

    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    fn now_text_sql(&self) -> &'static str {
        r#"to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"#
    }

    async fn execute(&self, sql: Sql) -> Result<u64, StoreError> {
        Ok(bound(&sql).execute(&self.pool).await?.rows_affected())
    }

    async fn fetch_all(&self, sql: Sql) -> Result<Vec<PgRow>, StoreError> {
        Ok(bound(&sql).fetch_all(&self.pool).await?)
    }

    async fn fetch_optional(&self, sql: Sql) -> Result<Option<PgRow>, StoreError> {
        Ok(bound(&sql).fetch_optional(&self.pool).await?)
    }

    async fn begin(&self) -> Result<PgTx, StoreError> {
        Ok(PgTx {
            tx: self.pool.begin().await?,
        })
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

pub(crate) struct PgTx {
    tx: Transaction<'static, Postgres>,
}

#[async_trait]
impl DriverTx for PgTx {
    type Row = PgRow;

    async fn execute(&mut self, sql: Sql) -> Result<u64, StoreError> {
        Ok(bound(&sql).execute(&mut *self.tx).await?.rows_affected())
    }

    async fn fetch_all(&mut self, sql: Sql) -> Result<Vec<PgRow>, StoreError> {
        Ok(bound(&sql).fetch_all(&mut *self.tx).await?)
    }

    async fn commit(self) -> Result<(), StoreError> {
        Ok(self.tx.commit().await?)
    }
}

impl SqlRow for PgRow {
    fn opt_int(&self, column: &'static str) -> Result<Option<i64>, StoreError> {
        Ok(self.try_get(column)?)
    }

    fn opt_text(&self, column: &'static str) -> Result<Option<String>, StoreError> {
        Ok(self.try_get(column)?)
    }
}
