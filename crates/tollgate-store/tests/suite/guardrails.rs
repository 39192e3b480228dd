//! Guardrail overrides on organizations, teams and keys: stored as given, read back equal, set
//! and cleared by updates, kept by updates that do not name them; only a JSON object is stored.

use serde_json::json;
use tollgate_store::{
    ApiKeyUpdate, NewApiKey, NewOrganization, NewTeam, OrganizationUpdate, StoreError, TeamUpdate,
};

use crate::harness::TestDb;

async fn overrides_round_trip(db: TestDb) {
    let store = &db.store;
    let org_override = json!({"pii": {"entities": {"email": "block"}}, "policy": {"deny": ["x"]}});
    let org = store
        .create_org(NewOrganization {
            guardrails: Some(org_override.clone()),
            ..NewOrganization::named("Acme")
        })
        .await
        .unwrap();
    assert_eq!(org.guardrails.as_ref(), Some(&org_override));
    let read = store.get_org(&org.id).await.unwrap().unwrap();
    assert_eq!(read, org);

    let team_override = json!({"injection": {"mode": "block", "threshold": 0.25}});
    let team = store
        .create_team(NewTeam {
            guardrails: Some(team_override.clone()),
            ..NewTeam::named(&org.id, "search")
        })
        .await
        .unwrap();
    assert_eq!(store.get_team(&team.id).await.unwrap().unwrap(), team);
    assert_eq!(team.guardrails.as_ref(), Some(&team_override));

    let key_override =
        json!({"pii": {"custom": [{"name": "ticket", "regex": "T-[0-9]+", "mode": "redact"}]}});
    let created = store
        .create_key(NewApiKey {
            org_id: Some(org.id.clone()),
            team_id: Some(team.id.clone()),
            guardrails: Some(key_override.clone()),
            ..NewApiKey::named("k")
        })
        .await
        .unwrap();
    let key = store.get_key(&created.key.id).await.unwrap().unwrap();
    assert_eq!(key.guardrails.as_ref(), Some(&key_override));
    // The lookup by secret (the request path's) carries it too.
    let lookup = store
        .find_key_by_hash(
            &tollgate_store::hash_key(&created.secret),
            tollgate_store::Timestamp::now(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lookup.key.guardrails.as_ref(), Some(&key_override));

    // An update that does not name it keeps it; `Some(Some(..))` replaces; `Some(None)` clears.
    let renamed = store
        .update_key(
            &key.id,
            ApiKeyUpdate {
                name: Some("renamed".into()),
                ..ApiKeyUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.guardrails.as_ref(), Some(&key_override));
    let replaced = json!({"policy": {"mode": "log"}});
    let key = store
        .update_key(
            &key.id,
            ApiKeyUpdate {
                guardrails: Some(Some(replaced.clone())),
                ..ApiKeyUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(key.guardrails.as_ref(), Some(&replaced));
    let key = store
        .update_key(
            &key.id,
            ApiKeyUpdate {
                guardrails: Some(None),
                ..ApiKeyUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(key.guardrails, None);
    assert_eq!(
        store.get_key(&key.id).await.unwrap().unwrap().guardrails,
        None
    );

    let team = store
        .update_team(
            &team.id,
            TeamUpdate {
                guardrails: Some(None),
                ..TeamUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(team.guardrails, None);
    let org = store
        .update_org(
            &org.id,
            OrganizationUpdate {
                guardrails: Some(Some(json!({}))),
                ..OrganizationUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(org.guardrails, Some(json!({})));
    assert_eq!(store.get_org(&org.id).await.unwrap().unwrap(), org);

    // Anything but an object is refused.
    let refused = store
        .update_team(
            &team.id,
            TeamUpdate {
                guardrails: Some(Some(json!(["pii"]))),
                ..TeamUpdate::default()
            },
        )
        .await;
    assert!(
        matches!(refused, Err(StoreError::Invalid(_))),
        "{refused:?}"
    );
}

on_both_backends!(overrides_round_trip);
