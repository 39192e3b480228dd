//! Gateway-wide settings (`meta`), e.g. the master key's hash.

use crate::StoreError;
use crate::driver::{Driver, Sql, SqlRow};

pub(crate) async fn get<D: Driver>(db: &D, key: &str) -> Result<Option<String>, StoreError> {
    let sql = Sql::new("SELECT value FROM meta WHERE key = $1").bind(key);
    db.fetch_optional(sql)
        .await?
        .map(|row| row.text("value"))
        .transpose()
}

pub(crate) async fn set<D: Driver>(db: &D, key: &str, value: &str) -> Result<(), StoreError> {
    let sql = Sql::new(format!(
        "INSERT INTO meta (key, value) VALUES ($1, $2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = {}",
        db.now_text_sql()
    ))
    .bind(key)
    .bind(value);
    db.execute(sql).await?;
    Ok(())
}
