//! The `meta` table the binary uses for the master key's hash, and opening by URL.

use tollgate_store::{Backend, StoreError, meta_keys};

use crate::harness::TestDb;

async fn meta_round_trips_and_survives_reopen(db: TestDb) {
    let store = &db.store;
    assert_eq!(
        store.get_meta(meta_keys::MASTER_KEY_SHA256).await.unwrap(),
        None
    );
    store
        .set_meta(meta_keys::MASTER_KEY_SHA256, "v1")
        .await
        .unwrap();
    store
        .set_meta(meta_keys::MASTER_KEY_SHA256, "v2")
        .await
        .unwrap();
    store.set_meta("other", "x").await.unwrap();
    store.ping().await.unwrap();

    // Opening again runs the (already applied) migrations and sees the same data.
    let reopened = tollgate_store::open(&db.url).await.unwrap();
    assert_eq!(reopened.backend(), store.backend());
    assert_eq!(
        reopened
            .get_meta(meta_keys::MASTER_KEY_SHA256)
            .await
            .unwrap()
            .as_deref(),
        Some("v2")
    );
    reopened.ping().await.unwrap();
    reopened.close().await;
}

async fn backend_matches_the_url(db: TestDb) {
    let expected = if db.url.starts_with("sqlite://") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    };
    assert_eq!(db.store.backend(), expected);
}

#[tokio::test]
async fn unknown_schemes_are_refused_without_echoing_credentials() {
    let error = match tollgate_store::open("mysql://root:hunter2@localhost/db").await {
        Err(error) => error,
        Ok(_) => panic!("mysql is not a supported backend"),
    };
    assert!(matches!(error, StoreError::UnsupportedUrl(_)), "{error:?}");
    assert!(!error.to_string().contains("hunter2"), "{error}");
}

/// The binary's and the server's call patterns (a `SqliteStore` held in state, borrowed, cloned,
/// pinged and closed), written as they are, without importing the `Store` trait.
#[tokio::test]
async fn existing_call_sites_keep_working() {
    struct State {
        store: tollgate_store::SqliteStore,
    }
    async fn resolve(store: &tollgate_store::SqliteStore) -> Result<Option<String>, StoreError> {
        store.set_meta(meta_keys::MASTER_KEY_SHA256, "abc").await?;
        store.get_meta(meta_keys::MASTER_KEY_SHA256).await
    }
    let place = crate::harness::Place::create(Backend::Sqlite).await;
    let opened: Result<tollgate_store::SqliteStore, StoreError> =
        tollgate_store::open(&place.url).await;
    let store = opened.unwrap();
    assert_eq!(resolve(&store).await.unwrap().as_deref(), Some("abc"));
    let state = State {
        store: store.clone(),
    };
    state.store.ping().await.unwrap();
    store.close().await;
    place.remove().await;
}

on_both_backends!(
    meta_round_trips_and_survives_reopen,
    backend_matches_the_url
);
