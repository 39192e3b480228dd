//! The two migration sets must describe the same schema: same tables, same columns with the same
//! kind of value, nullability and defaults, and the same named indexes.

use std::collections::BTreeMap;

use sqlx::{Connection, Row};
use tollgate_store::Backend;

use crate::harness::Place;

/// table -> column -> (kind, not null, has a default)
type Columns = BTreeMap<String, BTreeMap<String, (String, bool, bool)>>;

#[tokio::test]
async fn sqlite_and_postgres_schemas_are_equivalent() {
    let sqlite = Place::create(Backend::Sqlite).await;
    let postgres = Place::create(Backend::Postgres).await;
    for place in [&sqlite, &postgres] {
        tollgate_store::open(&place.url)
            .await
            .unwrap()
            .close()
            .await;
    }
    let (sqlite_columns, sqlite_indexes) = sqlite_schema(&sqlite.url).await;
    let (postgres_columns, postgres_indexes) = postgres_schema(&postgres.url).await;
    sqlite.remove().await;
    postgres.remove().await;

    let tables: Vec<_> = sqlite_columns.keys().map(String::as_str).collect();
    assert_eq!(
        tables,
        [
            "api_keys",
            "audit_log",
            "credit_ledger",
            "end_user_budgets",
            "meta",
            "organizations",
            "spend_log",
            "teams",
            "users"
        ]
    );
    for (table, columns) in &sqlite_columns {
        assert_eq!(
            Some(columns),
            postgres_columns.get(table),
            "table {table} differs"
        );
    }
    assert_eq!(sqlite_columns, postgres_columns);
    assert!(sqlite_indexes.len() >= 12, "{sqlite_indexes:?}");
    assert_eq!(sqlite_indexes, postgres_indexes);
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode() {
    let place = Place::create(Backend::Sqlite).await;
    let store = tollgate_store::open(&place.url).await.unwrap();
    let mut connection = sqlx::SqliteConnection::connect(&place.url).await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut connection)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    connection.close().await.ok();
    store.close().await;
    place.remove().await;
}

fn kind(declared: &str) -> String {
    match declared.to_ascii_lowercase().as_str() {
        "integer" | "bigint" => "integer".into(),
        "text" => "text".into(),
        other => other.into(),
    }
}

async fn sqlite_schema(url: &str) -> (Columns, Vec<String>) {
    let mut connection = sqlx::SqliteConnection::connect(url).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite%' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut connection)
    .await
    .unwrap();
    let mut columns = Columns::new();
    for table in tables {
        let rows = sqlx::query(&format!("PRAGMA table_info({table})"))
            .fetch_all(&mut connection)
            .await
            .unwrap();
        let entry = columns.entry(table).or_default();
        for row in rows {
            let name: String = row.get("name");
            let declared: String = row.get("type");
            let not_null: i64 = row.get("notnull");
            let default: Option<String> = row.get("dflt_value");
            entry.insert(name, (kind(&declared), not_null == 1, default.is_some()));
        }
    }
    let mut indexes: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'idx%'",
    )
    .fetch_all(&mut connection)
    .await
    .unwrap();
    indexes.sort();
    connection.close().await.ok();
    (columns, indexes)
}

async fn postgres_schema(url: &str) -> (Columns, Vec<String>) {
    let mut connection = sqlx::PgConnection::connect(url).await.unwrap();
    let rows = sqlx::query(
        "SELECT table_name::text AS table_name, column_name::text AS column_name, \
         data_type::text AS data_type, is_nullable::text AS is_nullable, \
         column_default::text AS column_default \
         FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut connection)
    .await
    .unwrap();
    let mut columns = Columns::new();
    for row in rows {
        let table: String = row.get("table_name");
        let name: String = row.get("column_name");
        let declared: String = row.get("data_type");
        let nullable: String = row.get("is_nullable");
        let default: Option<String> = row.get("column_default");
        columns
            .entry(table)
            .or_default()
            .insert(name, (kind(&declared), nullable == "NO", default.is_some()));
    }
    let mut indexes: Vec<String> = sqlx::query_scalar(
        "SELECT indexname::text FROM pg_indexes \
         WHERE schemaname = current_schema() AND indexname LIKE 'idx%'",
    )
    .fetch_all(&mut connection)
    .await
    .unwrap();
    indexes.sort();
    connection.close().await.ok();
    (columns, indexes)
}
