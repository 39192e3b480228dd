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
            .busy_timeout(Duration::from_secs(5))
            // 1 MiB of page cache per connection instead of SQLite's 2 MiB: the spend log's
            // inserts append at the right edge of its indexes and need few pages, while four
            // pooled connections at the default held ~8 MiB of a gateway that aims below 40.
            .pragma("cache_size", "-1024");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(SqliteDriver { pool })
    }
}

type Query<'q> = sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>>;

/// The statement as SQLite should see it (see [`anonymous_placeholders`]).
fn for_sqlite(mut sql: Sql) -> Sql {
    if let Some(text) = anonymous_placeholders(&sql.text) {
        sql.text = text;
    }
    sql
}

fn bound(sql: &Sql) -> Query<'_> {
    sql.args
        .iter()
        .fold(sqlx::query(&sql.text), |query, arg| match arg {
            Arg::Int(value) => query.bind(*value),
            Arg::Text(value) => query.bind(value.as_deref()),
        })
}

/// `$1, $2, …, $n`, each once and in order, become anonymous `?`s. SQLite looks a numbered
/// parameter up by scanning every parameter's name, so binding an n-parameter statement costs
/// O(n²): with the spend log's multi-row inserts that lookup was the gateway's largest CPU cost
/// (16% of a load test's profile). Anonymous parameters need no lookup. Statements that reuse a
/// placeholder or skip one keep their numbers.
fn anonymous_placeholders(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut expected = 1usize;
    let mut in_string = false;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => in_string = !in_string,
            b'$' if !in_string => {
                let digits = bytes[i + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                if digits > 0 {
                    let number: usize = text[i + 1..i + 1 + digits].parse().ok()?;
                    if number != expected {
                        return None;
                    }
                    expected += 1;
                    out.push_str(&text[copied..i]);
                    out.push('?');
                    i += 1 + digits;
                    copied = i;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    if expected == 1 {
        return None;
    }
    out.push_str(&text[copied..]);
    Some(out)
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
        let sql = for_sqlite(sql);
        Ok(bound(&sql).execute(&self.pool).await?.rows_affected())
    }

    async fn fetch_all(&self, sql: Sql) -> Result<Vec<SqliteRow>, StoreError> {
        let sql = for_sqlite(sql);
        Ok(bound(&sql).fetch_all(&self.pool).await?)
    }

    async fn fetch_optional(&self, sql: Sql) -> Result<Option<SqliteRow>, StoreError> {
        let sql = for_sqlite(sql);
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
        let sql = for_sqlite(sql);
        Ok(bound(&sql).execute(&mut *self.tx).await?.rows_affected())
    }

    async fn fetch_all(&mut self, sql: Sql) -> Result<Vec<SqliteRow>, StoreError> {
        let sql = for_sqlite(sql);
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

#[cfg(test)]
mod placeholder_tests {
    use super::anonymous_placeholders;

    #[test]
    fn sequential_placeholders_become_anonymous() {
        assert_eq!(
            anonymous_placeholders("INSERT INTO t VALUES ($1, $2), ($3, '$9')").as_deref(),
            Some("INSERT INTO t VALUES (?, ?), (?, '$9')")
        );
        assert_eq!(anonymous_placeholders("SELECT $1 WHERE a = $1"), None);
        assert_eq!(anonymous_placeholders("SELECT $2, $1"), None);
        assert_eq!(anonymous_placeholders("SELECT 1"), None);
    }
}
