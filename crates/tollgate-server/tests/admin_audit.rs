#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The admin audit log, through the HTTP API: every successful mutation records exactly one event
//! (actor, action, target, changes, request id), refused or failed ones none; secrets never
//! appear; `GET /admin/v1/audit` is narrowed to the caller's tenant per role, filters and pages;
//! bad query parameters answer 400 in the admin error shape.

mod common;

use std::collections::BTreeSet;

use bytes::Bytes;
use common::{Gateway, MASTER_KEY, Reply};
use serde_json::{Value, json};

async fn call(
    gateway: &Gateway,
    method: &str,
    path: &str,
    key: &str,
    body: Option<&Value>,
) -> Reply {
    let authorization = format!("Bearer {key}");
    let body = body
        .map(|body| Bytes::from(serde_json::to_vec(body).unwrap()))
        .unwrap_or_default();
    gateway
        .send(method, path, &[("authorization", &authorization)], body)
        .await
}

/// A call as the master key that must answer `status`; answers the body (`null` when empty).
async fn ok(
    gateway: &Gateway,
    method: &str,
    path: &str,
    body: Option<Value>,
    status: u16,
) -> Value {
    let reply = call(gateway, method, path, MASTER_KEY, body.as_ref()).await;
    assert_eq!(reply.status, status, "{method} {path}: {}", reply.text());
    if reply.body.is_empty() {
        Value::Null
    } else {
        reply.json()
    }
}

/// Every event the master key sees, newest first.
async fn events(gateway: &Gateway) -> Vec<Value> {
    audit_as(gateway, MASTER_KEY, "limit=1000").await
}

async fn audit_as(gateway: &Gateway, key: &str, query: &str) -> Vec<Value> {
    let reply = call(
        gateway,
        "GET",
        &format!("/admin/v1/audit?{query}"),
        key,
        None,
    )
    .await;
    assert_eq!(
        reply.status,
        200,
        "GET /admin/v1/audit?{query}: {}",
        reply.text()
    );
    reply.json()["data"].as_array().unwrap().clone()
}

/// Runs a mutation and answers the one event it recorded (failing if it recorded none or more).
async fn one_event(
    gateway: &Gateway,
    mutation: impl std::future::Future<Output = Value>,
) -> (Value, Value) {
    let before = events(gateway).await.len();
    let answer = mutation.await;
    let after = events(gateway).await;
    assert_eq!(
        after.len(),
        before + 1,
        "exactly one event: {:?}",
        &after[..after.len() - before]
    );
    (answer, after[0].clone())
}

fn assert_event(event: &Value, action: &str, target_type: &str, target_id: Option<&str>) {
    assert_eq!(event["action"], action, "{event}");
    assert_eq!(event["target_type"], target_type, "{event}");
    assert_eq!(event["target_id"].as_str(), target_id, "{event}");
    assert!(
        event["id"].as_str().unwrap().starts_with("audit_"),
        "{event}"
    );
    assert!(
        event["occurred_at"].as_str().unwrap().ends_with('Z'),
        "{event}"
    );
    assert!(event["changes"].is_object(), "{event}");
}

#[tokio::test]
async fn each_mutation_records_exactly_one_event() {
    let gateway = common::start().await;
    let gw = &gateway;

    let (org, event) = one_event(
        gw,
        ok(
            gw,
            "POST",
            "/admin/v1/organizations",
            Some(json!({"name": "acme", "budget_usd": "100"})),
            201,
        ),
    )
    .await;
    let org_id = org["id"].as_str().unwrap();
    assert_event(&event, "org.create", "organization", Some(org_id));
    assert_eq!(event["actor"], "master");
    assert_eq!(event["actor_role"], "admin");
    assert_eq!(event["org_id"], org_id);
    assert_eq!(event["changes"]["name"], "acme");
    assert_eq!(event["changes"]["budget_usd"], "100.000000000");
    assert!(event["changes"].get("id").is_none() && event["changes"].get("created_at").is_none());

    let (_, event) = one_event(
        gw,
        ok(
            gw,
            "PATCH",
            &format!("/admin/v1/organizations/{org_id}"),
            Some(json!({"budget_usd": null, "tier": "gold"})),
            200,
        ),
    )
    .await;
    assert_event(&event, "org.update", "organization", Some(org_id));
    assert_eq!(
        event["changes"],
        json!({"tier": "gold", "budget_usd": null, "budget_period": null}),
    );

    let (team, event) = one_event(
        gw,
        ok(
            gw,
            "POST",
            "/admin/v1/teams",
            Some(json!({"org_id": org_id, "name": "t1", "rpm_limit": 10})),
            201,
        ),
    )
    .await;
    let team_id = team["id"].as_str().unwrap();
    assert_event(&event, "team.create", "team", Some(team_id));
    assert_eq!(
        (event["org_id"].as_str(), event["team_id"].as_str()),
        (Some(org_id), Some(team_id))
    );
    assert_eq!(event["changes"]["rpm_limit"], 10);

    // Guardrail and limit fields are part of an update.
    let guardrails = json!({"pii": {"mode": "block"}});
    let (_, event) = one_event(
        gw,
        ok(
            gw,
            "PATCH",
            &format!("/admin/v1/teams/{team_id}"),
            Some(json!({"rpm_limit": 20, "guardrails": guardrails})),
            200,
        ),
    )
    .await;
    assert_event(&event, "team.update", "team", Some(team_id));
    assert_eq!(event["changes"]["rpm_limit"], 20);
    assert_eq!(event["changes"]["guardrails"]["pii"]["mode"], "block");

    let (user, event) = one_event(
        gw,
        ok(
            gw,
            "POST",
            "/admin/v1/users",
            Some(json!({"team_id": team_id, "email": "ann@acme.example"})),
            201,
        ),
    )
    .await;
    let user_id = user["id"].as_str().unwrap();
    assert_event(&event, "user.create", "user", Some(user_id));
    assert_eq!(event["user_id"], user_id);
    assert_eq!(event["changes"]["email"], "ann@acme.example");

    let (_, event) = one_event(
        gw,
        ok(
            gw,
            "PATCH",
            &format!("/admin/v1/users/{user_id}"),
            Some(json!({"name": "Ann", "budget_usd": "5"})),
            200,
        ),
    )
    .await;
    assert_event(&event, "user.update", "user", Some(user_id));
    assert_eq!(event["changes"]["name"], "Ann");
    assert_eq!(event["changes"]["budget_usd"], "5.000000000");
    assert!(event["changes"].get("email").is_none(), "{event}");

    let (key, event) = one_event(gw, ok(gw, "POST", "/admin/v1/keys", Some(json!({"name": "k", "team_id": team_id, "user_id": user_id, "budget_usd": "12.50", "models": ["mock"]})), 201)).await;
    let key_id = key["id"].as_str().unwrap();
    assert_event(&event, "key.create", "key", Some(key_id));
    assert_eq!(
        (
            event["org_id"].as_str(),
            event["team_id"].as_str(),
            event["user_id"].as_str()
        ),
        (Some(org_id), Some(team_id), Some(user_id))
    );
    assert_eq!(event["changes"]["budget_usd"], "12.500000000");
    assert_eq!(event["changes"]["models"], json!(["mock"]));
    assert!(event["changes"].get("key").is_none(), "{event}");

    let (_, event) = one_event(
        gw,
        ok(
            gw,
            "PATCH",
            &format!("/admin/v1/keys/{key_id}"),
            Some(json!({"rpm_limit": 7, "budget_usd": null})),
            200,
        ),
    )
    .await;
    assert_event(&event, "key.update", "key", Some(key_id));
    assert_eq!(
        event["changes"],
        json!({"rpm_limit": 7, "budget_usd": null, "budget_period": null})
    );

    let (rotated, event) = one_event(
        gw,
        ok(
            gw,
            "POST",
            &format!("/admin/v1/keys/{key_id}/rotate"),
            Some(json!({"grace_seconds": 60})),
            200,
        ),
    )
    .await;
    assert_event(&event, "key.rotate", "key", Some(key_id));
    assert_eq!(
        event["changes"],
        json!({"prefix": rotated["prefix"], "grace_seconds": 60})
    );

    let (_, event) = one_event(
        gw,
        ok(
            gw,
            "POST",
            &format!("/admin/v1/keys/{key_id}/expire"),
            None,
            200,
        ),
    )
    .await;
    assert_event(&event, "key.expire", "key", Some(key_id));
    assert!(event["changes"]["expires_at"].is_string(), "{event}");

    let (_, event) = one_event(
        gw,
        ok(
            gw,
            "POST",
            &format!("/admin/v1/keys/{key_id}/revoke"),
            None,
            200,
        ),
    )
    .await;
    assert_event(&event, "key.revoke", "key", Some(key_id));
    assert!(event["changes"]["revoked_at"].is_string(), "{event}");

    // DELETE of a key is a revocation, recorded as one.
    let other = ok(
        gw,
        "POST",
        "/admin/v1/keys",
        Some(json!({"name": "k2", "org_id": org_id})),
        201,
    )
    .await;
    let other_id = other["id"].as_str().unwrap();
    let (_, event) = one_event(
        gw,
        ok(
            gw,
            "DELETE",
            &format!("/admin/v1/keys/{other_id}"),
            None,
            200,
        ),
    )
    .await;
    assert_event(&event, "key.revoke", "key", Some(other_id));

    let (_, event) = one_event(
        gw,
        ok(
            gw,
            "POST",
            &format!("/admin/v1/organizations/{org_id}/credits"),
            Some(json!({"amount_usd": "100.00", "reference": "pay_1"})),
            201,
        ),
    )
    .await;
    assert_event(&event, "credits.purchase", "organization", Some(org_id));
    assert_eq!(event["changes"]["amount_usd"], "100.000000000");
    assert_eq!(event["changes"]["reference"], "pay_1");
    assert_eq!(event["changes"]["credits_enabled"], true);
    let (_, event) = one_event(
        gw,
        ok(
            gw,
            "POST",
            &format!("/admin/v1/organizations/{org_id}/credits"),
            Some(json!({"amount_usd": "-1", "kind": "adjustment"})),
            201,
        ),
    )
    .await;
    assert_event(&event, "credits.adjustment", "organization", Some(org_id));
    assert_eq!(event["changes"]["amount_usd"], "-1.000000000");

    // Deletions name what went; a user with keys cannot go (409), and that records nothing.
    let before = events(gw).await.len();
    ok(
        gw,
        "DELETE",
        &format!("/admin/v1/users/{user_id}"),
        None,
        409,
    )
    .await;
    ok(
        gw,
        "PATCH",
        &format!("/admin/v1/teams/{team_id}"),
        Some(json!({"rpm_limit": 0})),
        400,
    )
    .await;
    ok(gw, "POST", "/admin/v1/config/reload", None, 400).await;
    assert_eq!(
        events(gw).await.len(),
        before,
        "failed mutations record nothing"
    );
    let spare = ok(
        gw,
        "POST",
        "/admin/v1/users",
        Some(json!({"team_id": team_id, "email": "bob@acme.example"})),
        201,
    )
    .await;
    let spare_id = spare["id"].as_str().unwrap();
    let (_, event) = one_event(
        gw,
        ok(
            gw,
            "DELETE",
            &format!("/admin/v1/users/{spare_id}"),
            None,
            204,
        ),
    )
    .await;
    assert_event(&event, "user.delete", "user", Some(spare_id));
    assert_eq!(event["changes"], json!({}));
    let spare = ok(
        gw,
        "POST",
        "/admin/v1/teams",
        Some(json!({"org_id": org_id, "name": "t2"})),
        201,
    )
    .await;
    let spare_id = spare["id"].as_str().unwrap();
    let (_, event) = one_event(
        gw,
        ok(
            gw,
            "DELETE",
            &format!("/admin/v1/teams/{spare_id}"),
            None,
            204,
        ),
    )
    .await;
    assert_event(&event, "team.delete", "team", Some(spare_id));
    let spare = ok(
        gw,
        "POST",
        "/admin/v1/organizations",
        Some(json!({"name": "gone"})),
        201,
    )
    .await;
    let spare_id = spare["id"].as_str().unwrap();
    let (_, event) = one_event(
        gw,
        ok(
            gw,
            "DELETE",
            &format!("/admin/v1/organizations/{spare_id}"),
            None,
            204,
        ),
    )
    .await;
    assert_event(&event, "org.delete", "organization", Some(spare_id));
}

#[tokio::test]
async fn actor_and_request_id_are_the_callers() {
    let gateway = common::start().await;
    let gw = &gateway;
    let org = ok(
        gw,
        "POST",
        "/admin/v1/organizations",
        Some(json!({"name": "acme"})),
        201,
    )
    .await;
    let org_id = org["id"].as_str().unwrap();
    let admin = ok(
        gw,
        "POST",
        "/admin/v1/keys",
        Some(json!({"name": "oa", "org_id": org_id, "role": "org_admin"})),
        201,
    )
    .await;
    let secret = admin["key"].as_str().unwrap();

    let body = Bytes::from(serde_json::to_vec(&json!({"org_id": org_id, "name": "t"})).unwrap());
    let reply = gw
        .send(
            "POST",
            "/admin/v1/teams",
            &[
                ("authorization", &format!("Bearer {secret}")),
                ("x-request-id", "change-42"),
            ],
            body,
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(reply.header("x-request-id"), Some("change-42"));
    let event = events(gw).await[0].clone();
    assert_eq!(event["action"], "team.create");
    assert_eq!(event["actor"], admin["id"]);
    assert_eq!(event["actor_role"], "org_admin");
    assert_eq!(event["request_id"], "change-42");

    // Without one, the gateway makes an id, answers it, and records it.
    let reply = call(
        gw,
        "PATCH",
        &format!("/admin/v1/organizations/{org_id}"),
        MASTER_KEY,
        Some(&json!({"name": "acme2"})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let id = reply.header("x-request-id").unwrap().to_string();
    assert_eq!(events(gw).await[0]["request_id"], id.as_str());
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn secrets_and_hashes_never_appear() {
    let gateway = common::start().await;
    let gw = &gateway;
    let org = ok(
        gw,
        "POST",
        "/admin/v1/organizations",
        Some(json!({"name": "acme"})),
        201,
    )
    .await;
    let org_id = org["id"].as_str().unwrap();
    let created = ok(
        gw,
        "POST",
        "/admin/v1/keys",
        Some(json!({"name": "k", "org_id": org_id, "metadata": {"tags": ["a"]}})),
        201,
    )
    .await;
    let key_id = created["id"].as_str().unwrap();
    let rotated = ok(
        gw,
        "POST",
        &format!("/admin/v1/keys/{key_id}/rotate"),
        None,
        200,
    )
    .await;
    ok(
        gw,
        "PATCH",
        &format!("/admin/v1/keys/{key_id}"),
        Some(json!({"name": "renamed"})),
        200,
    )
    .await;
    ok(
        gw,
        "POST",
        &format!("/admin/v1/keys/{key_id}/revoke"),
        None,
        200,
    )
    .await;
    let mut secrets = Vec::new();
    for secret in [&created["key"], &rotated["key"]] {
        let secret = secret.as_str().unwrap().to_string();
        let hash = tollgate_store::hash_key(&secret);
        secrets.extend([hex(&hash), hex(&hash).to_uppercase(), secret]);
    }
    let reply = call(gw, "GET", "/admin/v1/audit?limit=1000", MASTER_KEY, None).await;
    assert_eq!(reply.status, 200);
    let text = reply.text();
    assert!(
        text.contains("key.rotate") && text.contains(key_id),
        "{text}"
    );
    for secret in &secrets {
        assert!(
            !text.contains(secret.as_str()),
            "the audit log holds `{secret}`: {text}"
        );
    }
    // Nor under any filter that selects the key's events.
    let reply = call(
        gw,
        "GET",
        &format!("/admin/v1/audit?target_id={key_id}"),
        MASTER_KEY,
        None,
    )
    .await;
    assert_eq!(reply.json()["data"].as_array().unwrap().len(), 4);
    for secret in &secrets {
        assert!(!reply.text().contains(secret.as_str()));
    }
}

/// Organizations A and B, each with a team, and in A a key of every role (the member's and the
/// team admin's in the team; the member's owned by a user).
struct World {
    a_org: String,
    a_team: String,
    b_org: String,
    /// `(role, id, secret)`.
    keys: Vec<(&'static str, String, String)>,
    member_user: String,
}

impl World {
    fn key(&self, role: &str) -> (&str, &str) {
        let (_, id, secret) = self.keys.iter().find(|(r, ..)| *r == role).unwrap();
        (id, secret)
    }
}

async fn world(gw: &Gateway) -> World {
    let id = |value: Value| value["id"].as_str().unwrap().to_string();
    let a_org = id(ok(
        gw,
        "POST",
        "/admin/v1/organizations",
        Some(json!({"name": "a"})),
        201,
    )
    .await);
    let b_org = id(ok(
        gw,
        "POST",
        "/admin/v1/organizations",
        Some(json!({"name": "b"})),
        201,
    )
    .await);
    let a_team = id(ok(
        gw,
        "POST",
        "/admin/v1/teams",
        Some(json!({"org_id": a_org, "name": "a1"})),
        201,
    )
    .await);
    let b_team = id(ok(
        gw,
        "POST",
        "/admin/v1/teams",
        Some(json!({"org_id": b_org, "name": "b1"})),
        201,
    )
    .await);
    let member_user = id(ok(
        gw,
        "POST",
        "/admin/v1/users",
        Some(json!({"team_id": a_team, "email": "m@a.example"})),
        201,
    )
    .await);
    let mut keys = Vec::new();
    for role in ["admin", "org_admin", "viewer", "team_admin", "member"] {
        let mut body = json!({"name": role, "org_id": a_org, "role": role});
        if matches!(role, "team_admin" | "member") {
            body["team_id"] = json!(a_team);
        }
        if role == "member" {
            body["user_id"] = json!(member_user);
        }
        let key = ok(gw, "POST", "/admin/v1/keys", Some(body), 201).await;
        keys.push((
            role,
            id(key.clone()),
            key["key"].as_str().unwrap().to_string(),
        ));
    }
    // More of both tenants: a user and a key elsewhere in A (outside the team), and B's own.
    ok(
        gw,
        "POST",
        "/admin/v1/users",
        Some(json!({"org_id": a_org, "email": "x@a.example"})),
        201,
    )
    .await;
    ok(
        gw,
        "POST",
        "/admin/v1/keys",
        Some(json!({"name": "a-other", "org_id": a_org})),
        201,
    )
    .await;
    ok(
        gw,
        "POST",
        "/admin/v1/users",
        Some(json!({"team_id": b_team, "email": "m@b.example"})),
        201,
    )
    .await;
    ok(
        gw,
        "POST",
        "/admin/v1/keys",
        Some(json!({"name": "b-key", "team_id": b_team})),
        201,
    )
    .await;
    ok(
        gw,
        "POST",
        &format!("/admin/v1/organizations/{b_org}/credits"),
        Some(json!({"amount_usd": "5"})),
        201,
    )
    .await;
    World {
        a_org,
        a_team,
        b_org,
        keys,
        member_user,
    }
}

#[tokio::test]
async fn each_role_sees_its_tenant_only() {
    let gateway = common::start().await;
    let gw = &gateway;
    let world = world(gw).await;
    let all = events(gw).await;
    assert!(
        all.iter()
            .any(|event| event["org_id"] == world.b_org.as_str())
    );

    // What each role should see, as a predicate over the events the master sees.
    let (member_key, _) = world.key("member");
    let expected = |role: &str, event: &Value| -> bool {
        match role {
            "admin" => true,
            "org_admin" | "viewer" => event["org_id"] == world.a_org.as_str(),
            "team_admin" => event["team_id"] == world.a_team.as_str(),
            "member" => {
                event["target_type"] == "key"
                    && (event["user_id"] == world.member_user.as_str()
                        || event["target_id"] == member_key)
            }
            _ => unreachable!(),
        }
    };
    for role in ["admin", "org_admin", "viewer", "team_admin", "member"] {
        let (_, secret) = world.key(role);
        let seen = audit_as(gw, secret, "limit=1000").await;
        let ids = |events: &[Value]| -> BTreeSet<String> {
            events
                .iter()
                .map(|event| event["id"].as_str().unwrap().to_string())
                .collect()
        };
        let wanted: Vec<Value> = all
            .iter()
            .filter(|event| expected(role, event))
            .cloned()
            .collect();
        assert!(!wanted.is_empty(), "{role} should see something");
        assert_eq!(ids(&seen), ids(&wanted), "what {role} sees");
        if role != "admin" {
            assert!(
                seen.iter()
                    .all(|event| event["org_id"] != world.b_org.as_str()),
                "{role} sees B: {seen:?}"
            );
            // Asking for B answers nothing, not an error.
            for query in [
                format!("org_id={}", world.b_org),
                format!("org_id={}&team_id={}", world.a_org, "team_x"),
            ] {
                assert!(
                    audit_as(gw, secret, &query).await.is_empty(),
                    "{role}: {query}"
                );
            }
        }
    }
    // A member asking for another key's events gets none.
    let (_, member_secret) = world.key("member");
    let (admin_key, _) = world.key("admin");
    assert!(
        audit_as(gw, member_secret, &format!("target_id={admin_key}"))
            .await
            .is_empty()
    );
    assert!(
        audit_as(gw, member_secret, "target_type=organization")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn filters_and_pages() {
    let gateway = common::start().await;
    let gw = &gateway;
    let world = world(gw).await;
    let (admin_key, admin_secret) = world.key("admin");
    // One change by the admin key, the rest by the master key.
    let reply = call(
        gw,
        "PATCH",
        &format!("/admin/v1/teams/{}", world.a_team),
        admin_secret,
        Some(&json!({"rpm_limit": 3})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let all = events(gw).await;
    let count =
        |predicate: &dyn Fn(&Value) -> bool| all.iter().filter(|event| predicate(event)).count();

    let by_admin = audit_as(gw, MASTER_KEY, &format!("actor={admin_key}")).await;
    assert_eq!(by_admin.len(), 1);
    assert_eq!(by_admin[0]["action"], "team.update");
    assert_eq!(
        audit_as(gw, MASTER_KEY, "actor=master&limit=1000")
            .await
            .len(),
        all.len() - 1
    );
    assert_eq!(
        audit_as(gw, MASTER_KEY, "action=key.create&limit=1000")
            .await
            .len(),
        count(&|event| event["action"] == "key.create")
    );
    let keys = audit_as(gw, MASTER_KEY, "action=key.*&limit=1000").await;
    assert_eq!(
        keys.len(),
        count(&|event| event["action"].as_str().unwrap().starts_with("key."))
    );
    assert!(keys.len() >= 7);
    assert_eq!(
        audit_as(gw, MASTER_KEY, "target_type=team").await.len(),
        count(&|event| event["target_type"] == "team")
    );
    let team_events = audit_as(gw, MASTER_KEY, &format!("target_id={}", world.a_team)).await;
    assert_eq!(team_events.len(), 2, "{team_events:?}");
    assert_eq!(
        audit_as(
            gw,
            MASTER_KEY,
            &format!("team_id={}&limit=1000", world.a_team)
        )
        .await
        .len(),
        count(&|event| event["team_id"] == world.a_team.as_str())
    );
    assert_eq!(
        audit_as(
            gw,
            MASTER_KEY,
            &format!("org_id={}&action=credits.purchase", world.b_org)
        )
        .await
        .len(),
        1
    );
    // Time: everything is from the last minute; nothing from before 2001 or after 2100.
    assert_eq!(
        audit_as(gw, MASTER_KEY, "from=2001-01-01T00:00:00Z&limit=1000")
            .await
            .len(),
        all.len()
    );
    assert!(
        audit_as(gw, MASTER_KEY, "to=2001-01-01T00:00:00Z")
            .await
            .is_empty()
    );
    assert!(audit_as(gw, MASTER_KEY, "from=4102444800").await.is_empty());
    // Newest first.
    let times: Vec<&str> = all
        .iter()
        .map(|event| event["occurred_at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|pair| pair[0] >= pair[1]), "{times:?}");

    // Pages of 3 walk every event once, in the same order.
    let mut walked = Vec::new();
    let mut query = "limit=3".to_string();
    loop {
        let reply = call(
            gw,
            "GET",
            &format!("/admin/v1/audit?{query}"),
            MASTER_KEY,
            None,
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        let page = reply.json();
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= 3);
        walked.extend(data.iter().cloned());
        match page["next"].as_str() {
            Some(next) => query = format!("limit=3&after={next}"),
            None => break,
        }
    }
    assert_eq!(walked, all);
}

#[tokio::test]
async fn bad_query_parameters_answer_400() {
    let gateway = common::start().await;
    for (query, param) in [
        ("limit=0", Some("limit")),
        ("limit=5000", Some("limit")),
        ("limit=abc", Some("limit")),
        ("colour=red", None),
        ("action=Key.Create", Some("action")),
        ("action=*", Some("action")),
        ("action=key*", Some("action")),
        ("target_type=widget", Some("target_type")),
        ("from=yesterday", Some("from")),
        ("to=not-a-time", Some("to")),
        (
            "from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z",
            Some("from"),
        ),
        ("after=nonsense", Some("after")),
    ] {
        let reply = call(
            &gateway,
            "GET",
            &format!("/admin/v1/audit?{query}"),
            MASTER_KEY,
            None,
        )
        .await;
        assert_eq!(reply.status, 400, "{query}: {}", reply.text());
        let error = &reply.json()["error"];
        assert_eq!(error["type"], "invalid_request_error", "{query}: {error}");
        assert_eq!(error["code"], "invalid_field", "{query}: {error}");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
        if let Some(param) = param {
            assert_eq!(error["param"], param, "{query}: {error}");
        }
    }
    // No key: 401, as every admin endpoint.
    let reply = call(&gateway, "GET", "/admin/v1/audit", "tg-nope", None).await;
    assert_eq!(reply.status, 401);
}
