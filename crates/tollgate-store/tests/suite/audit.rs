//! The admin audit log: events read back exactly as appended, newest first, filtered by tenant,
//! actor, action (exact or by prefix), target and time, and paged without gaps or repeats.

use serde_json::{Map, Value, json};
use tollgate_store::{
    AuditEvent, AuditFilter, MASTER_ACTOR, NewAuditEvent, PageRequest, Role, StoreError, Timestamp,
};

use crate::harness::TestDb;

fn changes(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn event(
    at: i64,
    action: &str,
    target_id: &str,
    org: Option<&str>,
    team: Option<&str>,
) -> NewAuditEvent {
    NewAuditEvent {
        occurred_at: Timestamp(at),
        actor: MASTER_ACTOR.into(),
        actor_role: Role::Admin,
        action: action.into(),
        target_type: action.split('.').next().unwrap().into(),
        target_id: Some(target_id.into()),
        org_id: org.map(str::to_string),
        team_id: team.map(str::to_string),
        user_id: None,
        request_id: Some(format!("req-{at}")),
        changes: changes(json!({"name": target_id})),
    }
}

async fn everything(db: &TestDb, filter: &AuditFilter) -> Vec<AuditEvent> {
    db.store
        .list_audit(filter, &PageRequest::first(1000))
        .await
        .unwrap()
        .items
}

async fn appended_events_read_back_newest_first(db: TestDb) {
    let store = &db.store;
    let first = store
        .append_audit(NewAuditEvent {
            occurred_at: Timestamp(1_000),
            actor: "key_0190abc".into(),
            actor_role: Role::OrgAdmin,
            action: "key.update".into(),
            target_type: "key".into(),
            target_id: Some("key_1".into()),
            org_id: Some("org_a".into()),
            team_id: Some("team_a1".into()),
            user_id: Some("user_a".into()),
            request_id: Some("req-1".into()),
            changes: changes(json!({"rpm_limit": 60, "models": ["fast"], "budget_usd": null})),
        })
        .await
        .unwrap();
    assert!(first.id.starts_with("audit_"), "{}", first.id);
    let second = store
        .append_audit(NewAuditEvent {
            target_id: None,
            org_id: None,
            team_id: None,
            request_id: None,
            changes: Map::new(),
            ..event(2_000, "config.reload", "-", None, None)
        })
        .await
        .unwrap();
    let listed = everything(&db, &AuditFilter::default()).await;
    assert_eq!(listed, vec![second.clone(), first.clone()]);
    assert_eq!(listed[1].actor_role, Role::OrgAdmin);
    assert_eq!(listed[1].changes["models"], json!(["fast"]));
    assert_eq!(listed[1].changes["budget_usd"], Value::Null);
    assert_eq!(listed[0].target_id, None);
    assert!(listed[0].changes.is_empty());

    // Empty names are refused.
    let error = store
        .append_audit(NewAuditEvent {
            action: " ".into(),
            ..event(3_000, "key.create", "key_2", None, None)
        })
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Invalid(_)), "{error}");
}

async fn filters_narrow_by_tenant_actor_action_target_and_time(db: TestDb) {
    let store = &db.store;
    let rows = [
        event(1_000, "org.create", "org_a", Some("org_a"), None),
        event(
            2_000,
            "team.create",
            "team_a1",
            Some("org_a"),
            Some("team_a1"),
        ),
        event(3_000, "key.create", "key_a", Some("org_a"), Some("team_a1")),
        event(4_000, "key.rotate", "key_a", Some("org_a"), Some("team_a1")),
        event(5_000, "key.create", "key_b", Some("org_b"), None),
        NewAuditEvent {
            actor: "key_admin".into(),
            user_id: Some("user_b".into()),
            ..event(6_000, "key.revoke", "key_b", Some("org_b"), None)
        },
        // An action whose name shares `key` but not `key.`.
        event(7_000, "keyring.sync", "x", None, None),
    ];
    for row in rows {
        store.append_audit(row).await.unwrap();
    }
    let times = |events: Vec<AuditEvent>| {
        events
            .iter()
            .map(|event| event.occurred_at.millis() / 1_000)
            .collect::<Vec<_>>()
    };
    let cases: Vec<(AuditFilter, Vec<i64>)> = vec![
        (AuditFilter::default(), vec![7, 6, 5, 4, 3, 2, 1]),
        (
            AuditFilter {
                org_id: Some("org_a".into()),
                ..AuditFilter::default()
            },
            vec![4, 3, 2, 1],
        ),
        (
            AuditFilter {
                team_id: Some("team_a1".into()),
                ..AuditFilter::default()
            },
            vec![4, 3, 2],
        ),
        (
            AuditFilter {
                user_id: Some("user_b".into()),
                ..AuditFilter::default()
            },
            vec![6],
        ),
        (
            AuditFilter {
                actor: Some("key_admin".into()),
                ..AuditFilter::default()
            },
            vec![6],
        ),
        (
            AuditFilter {
                action: Some("key.create".into()),
                ..AuditFilter::default()
            },
            vec![5, 3],
        ),
        (
            AuditFilter {
                action_prefix: Some("key.".into()),
                ..AuditFilter::default()
            },
            vec![6, 5, 4, 3],
        ),
        (
            AuditFilter {
                action_prefix: Some("key_".into()),
                ..AuditFilter::default()
            },
            vec![],
        ),
        (
            AuditFilter {
                target_type: Some("key".into()),
                target_id: Some("key_a".into()),
                ..AuditFilter::default()
            },
            vec![4, 3],
        ),
        (
            AuditFilter {
                from: Some(Timestamp(2_000)),
                to: Some(Timestamp(5_000)),
                ..AuditFilter::default()
            },
            vec![4, 3, 2],
        ),
        (
            AuditFilter {
                org_id: Some("org_a".into()),
                team_id: Some("team_b".into()),
                ..AuditFilter::default()
            },
            vec![],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            times(everything(&db, &filter).await),
            expected,
            "{filter:?}"
        );
    }
}

async fn pages_walk_every_event_once(db: TestDb) {
    let store = &db.store;
    // Several events in the same millisecond: the id breaks the tie.
    for i in 0..7 {
        store
            .append_audit(event(
                1_000 + (i / 3),
                "user.update",
                &format!("user_{i}"),
                Some("org_a"),
                None,
            ))
            .await
            .unwrap();
    }
    let filter = AuditFilter {
        org_id: Some("org_a".into()),
        ..AuditFilter::default()
    };
    let all = everything(&db, &filter).await;
    assert_eq!(all.len(), 7);
    let mut walked = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .list_audit(&filter, &PageRequest { limit: 2, after })
            .await
            .unwrap();
        assert!(page.items.len() <= 2);
        walked.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(walked, all);
    let error = store
        .list_audit(
            &filter,
            &PageRequest {
                limit: 2,
                after: Some("not-a-cursor".into()),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Invalid(_)), "{error}");
}

on_both_backends!(
    appended_events_read_back_newest_first,
    filters_narrow_by_tenant_actor_action_target_and_time,
    pages_walk_every_event_once,
);
