//! Tollgate's system of record.
//!
//! The embedded default is a SQLite file in WAL mode (one instance, zero setup); the PostgreSQL
//! backend for scale-out shares the same operations. Migrations run at start; `tollgate migrate`
//! runs them alone.

mod sqlite;

use std::path::Path;

pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported storage url `{0}` (expected sqlite://PATH)")]
    UnsupportedUrl(String),
    #[error("could not create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

/// Meta keys (one place, so a typo cannot split a setting in two).
pub mod meta_keys {
    /// SHA-256 (hex) of the master key; the key itself is never stored.
    pub const MASTER_KEY_SHA256: &str = "master_key_sha256";
}

/// Opens the store named by a storage URL and applies pending migrations.
pub async fn open(url: &str) -> Result<SqliteStore, StoreError> {
    let Some(path) = url.strip_prefix("sqlite://") else {
        return Err(StoreError::UnsupportedUrl(url.to_string()));
    };
    if let Some(parent) = Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|source| StoreError::DataDir {
            path: parent.display().to_string(),
            source,
        })?;
    }
    let store = SqliteStore::open(path).await?;
    store.migrate().await?;
    Ok(store)
}
