//! From a storage URL to an open, migrated store.

use std::path::Path;
use std::sync::Arc;

use crate::StoreError;
use crate::driver::{PgDriver, SqliteDriver};
use crate::sql::SqlStore;
use crate::store::DynStore;

/// Opens the store named by a storage URL and applies pending migrations:
/// `sqlite://PATH` (the file and its folder are created if missing) or
/// `postgres://USER@HOST/DB` / `postgresql://…` (`?options[search_path]=SCHEMA` selects a schema).
pub async fn open(url: &str) -> Result<DynStore, StoreError> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        create_parent_dir(path)?;
        return Ok(Arc::new(SqlStore::new(SqliteDriver::open(path).await?)));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(SqlStore::new(PgDriver::open(url).await?)));
    }
    let scheme = url.split_once("://").map_or("", |(scheme, _)| scheme);
    Err(StoreError::UnsupportedUrl(format!("{scheme}://")))
}

fn create_parent_dir(path: &str) -> Result<(), StoreError> {
    let file = path.split_once('?').map_or(path, |(file, _)| file);
    if let Some(parent) = Path::new(file).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|source| StoreError::DataDir {
            path: parent.display().to_string(),
            source,
        })?;
    }
    Ok(())
}
