//! Virtual keys: creation, listing without secrets, updates, and the lifecycle of a secret.

use std::time::Duration;

use serde_json::json;
use tollgate_store::{
    ApiKeyUpdate, Budget, BudgetPeriod, KeyFilter, KeyStatus, NewApiKey, PageRequest, Role,
    StoreError, Timestamp, hash_key,
};
use tollgate_types::NanoUsd;

use crate::fixtures;
use crate::harness::TestDb;

async fn create_get_and_list_never_show_secrets(db: TestDb) {
    let store = &db.store;
    let acme = fixtures::org(store, "Acme").await;
    let search = fixtures::team(store, &acme, "search").await;
    let ada = fixtures::user(store, &acme, Some(&search), "ada@acme.test").await;
    let expires = Timestamp::now().saturating_add(Duration::from_secs(3600));
    let created = store
        .create_key(NewApiKey {
            org_id: Some(acme.id.clone()),
            team_id: Some(search.id.clone()),
            user_id: Some(ada.id.clone()),
            role: Role::Member,
            models: Some(vec!["fast".into(), "smart".into()]),
            rpm_limit: Some(60),
            tpm_limit: Some(100_000),
            max_parallel: Some(4),
            budget: Some(Budget::new(NanoUsd(12_500_000_000), BudgetPeriod::Monthly)),
            expires_at: Some(expires),
            metadata: json!({"tags": ["prod", "search"], "owner": "ada"}),
            ..NewApiKey::named("search prod")
        })
        .await
        .unwrap();
    let key = &created.key;
    assert!(key.id.starts_with("key_"));
    assert!(created.secret.starts_with("tg-") && created.secret.len() == 43);
    assert_eq!(key.prefix, &created.secret[..10]);
    assert_eq!(key.spend, NanoUsd::ZERO);
    assert_eq!(key.tags(), ["prod", "search"]);
    assert!(key.allows_model("fast") && !key.allows_model("other"));
    assert!(!format!("{created:?}").contains(&created.secret));

    let fetched = store.get_key(&key.id).await.unwrap().unwrap();
    assert_eq!(&fetched, key);
    let json = serde_json::to_value(&fetched).unwrap();
    assert_eq!(json["spend_usd"], "0.000000000");
    assert_eq!(json["budget"]["amount_usd"], "12.500000000");
    assert_eq!(json["budget"]["period"], "monthly");

    let other = fixtures::key_in(store, &acme, "other").await;
    let listed = store
        .list_keys(&KeyFilter::default(), &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 2);
    let text = serde_json::to_string(&listed).unwrap();
    for secret in [&created.secret, &other.secret] {
        assert!(!text.contains(secret.as_str()));
        assert!(!text.contains(&hex::encode(hash_key(secret))));
    }

    let by_team = store
        .list_keys(
            &KeyFilter {
                team_id: Some(search.id.clone()),
                ..KeyFilter::default()
            },
            &PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(by_team.items, vec![key.clone()]);
    let by_user = store
        .list_keys(
            &KeyFilter {
                user_id: Some(ada.id.clone()),
                ..KeyFilter::default()
            },
            &PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(by_user.items.len(), 1);
    let by_org = store
        .list_keys(
            &KeyFilter {
                org_id: Some(acme.id.clone()),
                ..KeyFilter::default()
            },
            &PageRequest::first(1),
        )
        .await
        .unwrap();
    assert_eq!(by_org.items.len(), 1);
    assert!(by_org.next.is_some());

    store.revoke_key(&other.key.id).await.unwrap();
    let active = store
        .list_keys(&KeyFilter::default(), &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(active.items.len(), 1);
    let everything = store
        .list_keys(
            &KeyFilter {
                include_revoked: true,
                ..KeyFilter::default()
            },
            &PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(everything.items.len(), 2);
}

async fn key_owner_rules(db: TestDb) {
    let store = &db.store;
    let acme = fixtures::org(store, "Acme").await;
    let other = fixtures::org(store, "Other").await;
    let search = fixtures::team(store, &acme, "search").await;
    let bob = fixtures::user(store, &other, None, "bob@other.test").await;

    // The organization is taken from the team or user when not given.
    let team_key = store
        .create_key(NewApiKey {
            team_id: Some(search.id.clone()),
            ..NewApiKey::named("team key")
        })
        .await
        .unwrap();
    assert_eq!(team_key.key.org_id.as_deref(), Some(acme.id.as_str()));
    let user_key = store
        .create_key(NewApiKey {
            user_id: Some(bob.id.clone()),
            ..NewApiKey::named("user key")
        })
        .await
        .unwrap();
    assert_eq!(user_key.key.org_id.as_deref(), Some(other.id.as_str()));

    // A gateway-wide key has no owner at all.
    let admin = store
        .create_key(NewApiKey {
            role: Role::Admin,
            ..NewApiKey::named("ops")
        })
        .await
        .unwrap();
    assert_eq!(admin.key.org_id, None);

    let cases = [
        NewApiKey {
            team_id: Some("team_missing".into()),
            ..NewApiKey::named("x")
        },
        NewApiKey {
            org_id: Some(acme.id.clone()),
            user_id: Some(bob.id.clone()),
            ..NewApiKey::named("x")
        },
        NewApiKey {
            org_id: Some("org_missing".into()),
            ..NewApiKey::named("x")
        },
        NewApiKey {
            metadata: json!(["not", "an", "object"]),
            ..NewApiKey::named("x")
        },
        NewApiKey {
            metadata: json!({"tags": "not-a-list"}),
            ..NewApiKey::named("x")
        },
        NewApiKey::named(""),
    ];
    for case in cases {
        let result = store.create_key(case.clone()).await;
        assert!(
            matches!(result, Err(StoreError::Invalid(_))),
            "{case:?}: {result:?}"
        );
    }

    // Keys hold their owners: neither can be deleted while the key exists.
    let refused = store.delete_user(&bob.id).await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
}

async fn update_changes_only_what_is_given(db: TestDb) {
    let store = &db.store;
    let acme = fixtures::org(store, "Acme").await;
    let created = fixtures::key_in(store, &acme, "k").await;
    let id = &created.key.id;
    let budget = Budget::new(NanoUsd(5_000_000_000), BudgetPeriod::Daily);
    let expires = Timestamp(4_102_444_800_000);
    let updated = store
        .update_key(
            id,
            ApiKeyUpdate {
                name: Some("renamed".into()),
                models: Some(Some(vec!["fast".into()])),
                rpm_limit: Some(Some(10)),
                tpm_limit: Some(Some(1_000)),
                max_parallel: Some(Some(2)),
                budget: Some(Some(budget)),
                expires_at: Some(Some(expires)),
                metadata: Some(json!({"tags": ["a"]})),
                guardrails: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.name, "renamed");
    assert_eq!(updated.models, Some(vec!["fast".to_string()]));
    assert_eq!(
        (updated.rpm_limit, updated.tpm_limit, updated.max_parallel),
        (Some(10), Some(1_000), Some(2))
    );
    assert_eq!(updated.budget, Some(budget));
    assert_eq!(updated.expires_at, Some(expires));
    assert_eq!(updated.tags(), ["a"]);
    assert_eq!(updated.prefix, created.key.prefix);
    assert_eq!(store.get_key(id).await.unwrap(), Some(updated.clone()));

    let cleared = store
        .update_key(
            id,
            ApiKeyUpdate {
                models: Some(None),
                rpm_limit: Some(None),
                budget: Some(None),
                expires_at: Some(None),
                ..ApiKeyUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(cleared.models, None);
    assert_eq!(cleared.rpm_limit, None);
    assert_eq!(cleared.tpm_limit, Some(1_000));
    assert_eq!(cleared.budget, None);
    assert_eq!(cleared.expires_at, None);
    assert_eq!(cleared.name, "renamed");

    let bad = store
        .update_key(
            id,
            ApiKeyUpdate {
                metadata: Some(json!(3)),
                ..ApiKeyUpdate::default()
            },
        )
        .await;
    assert!(matches!(bad, Err(StoreError::Invalid(_))), "{bad:?}");
    let missing = store
        .update_key("key_missing", ApiKeyUpdate::default())
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "{missing:?}"
    );
}

async fn lifecycle_rotate_with_grace_then_revoke(db: TestDb) {
    let store = &db.store;
    let acme = fixtures::org(store, "Acme").await;
    let created = fixtures::key_in(store, &acme, "k").await;
    let id = created.key.id.clone();
    let now = Timestamp::now();

    let found = store
        .find_key_by_hash(&hash_key(&created.secret), now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.key.id, id);
    assert_eq!(found.status, KeyStatus::Active);
    assert!(!found.matched_previous);
    assert_eq!(
        store
            .find_key_by_hash(&hash_key("tg-unknown"), now)
            .await
            .unwrap(),
        None
    );

    let rotated = store
        .rotate_key(&id, Some(Duration::from_secs(60)))
        .await
        .unwrap();
    assert_eq!(rotated.key.id, id);
    assert_ne!(rotated.secret, created.secret);
    assert_eq!(rotated.key.prefix, &rotated.secret[..10]);
    let during = Timestamp::now();
    let old = store
        .find_key_by_hash(&hash_key(&created.secret), during)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (old.status, old.matched_previous),
        (KeyStatus::Active, true)
    );
    let new = store
        .find_key_by_hash(&hash_key(&rotated.secret), during)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (new.status, new.matched_previous),
        (KeyStatus::Active, false)
    );

    let after_grace = during.saturating_add(Duration::from_secs(61));
    let old = store
        .find_key_by_hash(&hash_key(&created.secret), after_grace)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.status, KeyStatus::Rotated);
    assert!(!old.status.is_usable());
    let new = store
        .find_key_by_hash(&hash_key(&rotated.secret), after_grace)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(new.status, KeyStatus::Active);

    let revoked = store.revoke_key(&id).await.unwrap();
    let revoked_at = revoked.revoked_at.unwrap();
    for secret in [&rotated.secret, &created.secret] {
        let lookup = store
            .find_key_by_hash(&hash_key(secret), Timestamp::now())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(lookup.status, KeyStatus::Revoked);
    }
    // Revoking again keeps the first time; a revoked key cannot be rotated back to life.
    let again = store.revoke_key(&id).await.unwrap();
    assert_eq!(again.revoked_at, Some(revoked_at));
    let rotate_revoked = store.rotate_key(&id, None).await;
    assert!(
        matches!(rotate_revoked, Err(StoreError::Invalid(_))),
        "{rotate_revoked:?}"
    );
    let rotate_missing = store.rotate_key("key_missing", None).await;
    assert!(
        matches!(rotate_missing, Err(StoreError::NotFound { .. })),
        "{rotate_missing:?}"
    );
}

async fn rotation_without_grace_retires_the_old_secret_at_once(db: TestDb) {
    let store = &db.store;
    let acme = fixtures::org(store, "Acme").await;
    let first = fixtures::key_in(store, &acme, "k").await;
    let second = store.rotate_key(&first.key.id, None).await.unwrap();
    let third = store
        .rotate_key(&first.key.id, Some(Duration::from_secs(60)))
        .await
        .unwrap();
    let now = Timestamp::now();
    let status = |secret: String| {
        let store = store.clone();
        async move {
            store
                .find_key_by_hash(&hash_key(&secret), now)
                .await
                .unwrap()
                .map(|lookup| lookup.status)
        }
    };
    // Only the latest replaced secret is kept: the first is now unknown.
    assert_eq!(status(first.secret.clone()).await, None);
    assert_eq!(status(second.secret.clone()).await, Some(KeyStatus::Active));
    assert_eq!(status(third.secret.clone()).await, Some(KeyStatus::Active));
    let fourth = store.rotate_key(&first.key.id, None).await.unwrap();
    let now = Timestamp::now();
    let old = store
        .find_key_by_hash(&hash_key(&third.secret), now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.status, KeyStatus::Rotated);
    let current = store
        .find_key_by_hash(&hash_key(&fourth.secret), now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(current.status, KeyStatus::Active);
}

async fn expiry(db: TestDb) {
    let store = &db.store;
    let acme = fixtures::org(store, "Acme").await;
    let in_an_hour = Timestamp::now().saturating_add(Duration::from_secs(3600));
    let created = store
        .create_key(NewApiKey {
            org_id: Some(acme.id.clone()),
            expires_at: Some(in_an_hour),
            ..NewApiKey::named("temp")
        })
        .await
        .unwrap();
    let hash = hash_key(&created.secret);
    let lookup = |at: Timestamp| {
        let store = store.clone();
        async move {
            store
                .find_key_by_hash(&hash, at)
                .await
                .unwrap()
                .unwrap()
                .status
        }
    };
    assert_eq!(lookup(Timestamp::now()).await, KeyStatus::Active);
    assert_eq!(lookup(in_an_hour).await, KeyStatus::Expired);

    let expired = store.expire_key(&created.key.id).await.unwrap();
    let expired_at = expired.expires_at.unwrap();
    assert!(expired_at <= Timestamp::now());
    assert_eq!(lookup(Timestamp::now()).await, KeyStatus::Expired);
    assert_eq!(expired.status_at(Timestamp::now()), KeyStatus::Expired);
    // Expiring again never moves the time later.
    let again = store.expire_key(&created.key.id).await.unwrap();
    assert_eq!(again.expires_at, Some(expired_at));
    let missing = store.expire_key("key_missing").await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "{missing:?}"
    );
}

async fn touch_last_used_moves_forward_only(db: TestDb) {
    let store = &db.store;
    let acme = fixtures::org(store, "Acme").await;
    let a = fixtures::key_in(store, &acme, "a").await.key;
    let b = fixtures::key_in(store, &acme, "b").await.key;
    let ids = vec![a.id.clone(), b.id.clone(), "key_missing".to_string()];
    assert_eq!(
        store.touch_last_used(&ids, Timestamp(2_000)).await.unwrap(),
        2
    );
    assert_eq!(
        store.touch_last_used(&ids, Timestamp(1_000)).await.unwrap(),
        0
    );
    assert_eq!(
        store
            .touch_last_used(&ids[..1], Timestamp(3_000))
            .await
            .unwrap(),
        1
    );
    let a = store.get_key(&a.id).await.unwrap().unwrap();
    let b = store.get_key(&b.id).await.unwrap().unwrap();
    assert_eq!(a.last_used_at, Some(Timestamp(3_000)));
    assert_eq!(b.last_used_at, Some(Timestamp(2_000)));
    assert_eq!(
        store.touch_last_used(&[], Timestamp(4_000)).await.unwrap(),
        0
    );
}

on_both_backends!(
    create_get_and_list_never_show_secrets,
    key_owner_rules,
    update_changes_only_what_is_given,
    lifecycle_rotate_with_grace_then_revoke,
    rotation_without_grace_retires_the_old_secret_at_once,
    expiry,
    touch_last_used_moves_forward_only
);
