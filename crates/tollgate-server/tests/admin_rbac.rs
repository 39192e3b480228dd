#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Tenants and roles over HTTP: a caller never sees another tenant's objects (404, as if they
//! did not exist), and inside its tenant a role too low answers 403.

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
    body: Option<Value>,
) -> Reply {
    let authorization = format!("Bearer {key}");
    let body = body
        .map(|body| Bytes::from(serde_json::to_vec(&body).unwrap()))
        .unwrap_or_default();
    gateway
        .send(method, path, &[("authorization", &authorization)], body)
        .await
}

/// POSTs as `key`, expects 201, answers the created object.
async fn created(gateway: &Gateway, path: &str, key: &str, body: Value) -> Value {
    let reply = call(gateway, "POST", path, key, Some(body.clone())).await;
    assert_eq!(reply.status, 201, "POST {path} {body}: {}", reply.text());
    reply.json()
}

fn id(object: &Value) -> String {
    object["id"].as_str().unwrap().to_string()
}

fn ids(list: &Value) -> BTreeSet<String> {
    list["data"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(id)
        .collect()
}

fn set(items: &[&String]) -> BTreeSet<String> {
    items.iter().map(|item| item.to_string()).collect()
}

/// Two organizations: A (teams A1, A2) and B (team B1), a user in A1 and one in B1, and keys of
/// every role in A plus a plain key in A2 and one in B.
struct World {
    org_a: String,
    org_b: String,
    team_a1: String,
    team_a2: String,
    team_b1: String,
    user_a1: String,
    user_b1: String,
    org_admin: (String, String),
    viewer: (String, String),
    team_admin: (String, String),
    member: (String, String),
    key_a2: (String, String),
    key_b: (String, String),
}

async fn world(gateway: &Gateway) -> World {
    let org_a = id(&created(
        gateway,
        "/admin/v1/organizations",
        MASTER_KEY,
        json!({"name": "A"}),
    )
    .await);
    let org_b = id(&created(
        gateway,
        "/admin/v1/organizations",
        MASTER_KEY,
        json!({"name": "B"}),
    )
    .await);
    let team = |org: &String, name: &str| json!({"org_id": org, "name": name});
    let team_a1 = id(&created(gateway, "/admin/v1/teams", MASTER_KEY, team(&org_a, "a1")).await);
    let team_a2 = id(&created(gateway, "/admin/v1/teams", MASTER_KEY, team(&org_a, "a2")).await);
    let team_b1 = id(&created(gateway, "/admin/v1/teams", MASTER_KEY, team(&org_b, "b1")).await);
    let user_a1 = id(&created(
        gateway,
        "/admin/v1/users",
        MASTER_KEY,
        json!({"team_id": team_a1, "email": "ann@a.example", "name": "Ann"}),
    )
    .await);
    let user_b1 = id(&created(
        gateway,
        "/admin/v1/users",
        MASTER_KEY,
        json!({"org_id": org_b, "team_id": team_b1, "email": "bob@b.example"}),
    )
    .await);
    let key = |body: Value| async move {
        let key = created(gateway, "/admin/v1/keys", MASTER_KEY, body).await;
        (id(&key), key["key"].as_str().unwrap().to_string())
    };
    World {
        org_admin: key(json!({"name": "oa", "org_id": org_a, "role": "org_admin"})).await,
        viewer: key(json!({"name": "v", "org_id": org_a, "role": "viewer"})).await,
        team_admin: key(json!({"name": "ta", "team_id": team_a1, "role": "team_admin"})).await,
        member: key(json!({"name": "m", "user_id": user_a1, "team_id": team_a1})).await,
        key_a2: key(json!({"name": "a2", "team_id": team_a2})).await,
        key_b: key(json!({"name": "b", "team_id": team_b1})).await,
        org_a,
        org_b,
        team_a1,
        team_a2,
        team_b1,
        user_a1,
        user_b1,
    }
}

async fn chat(gateway: &Gateway, key: &str) -> u16 {
    call(
        gateway,
        "POST",
        "/v1/chat/completions",
        key,
        Some(json!({"model": "gpt-upstream", "messages": [{"role": "user", "content": "hi"}]})),
    )
    .await
    .status
}

#[tokio::test]
async fn org_admin_of_a_never_sees_b() {
    let gateway = common::start().await;
    let w = world(&gateway).await;
    let as_oa = w.org_admin.1.as_str();

    for path in [
        format!("/admin/v1/keys/{}", w.key_b.0),
        format!("/admin/v1/teams/{}", w.team_b1),
        format!("/admin/v1/users/{}", w.user_b1),
        format!("/admin/v1/organizations/{}", w.org_b),
    ] {
        let reply = call(&gateway, "GET", &path, as_oa, None).await;
        assert_eq!(reply.status, 404, "GET {path}: {}", reply.text());
        assert_eq!(reply.json()["error"]["code"], "not_found");
        let reply = call(
            &gateway,
            "PATCH",
            &path,
            as_oa,
            Some(json!({"name": "mine now"})),
        )
        .await;
        assert_eq!(reply.status, 404, "PATCH {path}: {}", reply.text());
        let reply = call(&gateway, "DELETE", &path, as_oa, None).await;
        assert_eq!(reply.status, 404, "DELETE {path}: {}", reply.text());
    }
    for action in ["revoke", "rotate", "expire"] {
        let path = format!("/admin/v1/keys/{}/{action}", w.key_b.0);
        assert_eq!(
            call(&gateway, "POST", &path, as_oa, None).await.status,
            404,
            "{path}"
        );
    }
    // B's key still works: nothing above touched it.
    assert_eq!(chat(&gateway, &w.key_b.1).await, 200);

    // Lists hold only A.
    let keys = call(&gateway, "GET", "/admin/v1/keys", as_oa, None)
        .await
        .json();
    assert_eq!(
        ids(&keys),
        set(&[
            &w.org_admin.0,
            &w.viewer.0,
            &w.team_admin.0,
            &w.member.0,
            &w.key_a2.0
        ])
    );
    let keys = call(
        &gateway,
        "GET",
        &format!("/admin/v1/keys?org_id={}", w.org_b),
        as_oa,
        None,
    )
    .await
    .json();
    assert!(ids(&keys).is_empty());
    let teams = call(&gateway, "GET", "/admin/v1/teams", as_oa, None)
        .await
        .json();
    assert_eq!(ids(&teams), set(&[&w.team_a1, &w.team_a2]));
    let users = call(&gateway, "GET", "/admin/v1/users", as_oa, None)
        .await
        .json();
    assert_eq!(ids(&users), set(&[&w.user_a1]));
    let orgs = call(&gateway, "GET", "/admin/v1/organizations", as_oa, None)
        .await
        .json();
    assert_eq!(ids(&orgs), set(&[&w.org_a]));
    // The master key sees both.
    let orgs = gateway.get("/admin/v1/organizations").await.json();
    assert_eq!(ids(&orgs), set(&[&w.org_a, &w.org_b]));

    // Nothing can be created in B either.
    for body in [
        json!({"name": "x", "team_id": w.team_b1}),
        json!({"name": "x", "org_id": w.org_b}),
        json!({"name": "x", "user_id": w.user_b1}),
    ] {
        let reply = call(
            &gateway,
            "POST",
            "/admin/v1/keys",
            as_oa,
            Some(body.clone()),
        )
        .await;
        assert_eq!(reply.status, 404, "{body}: {}", reply.text());
    }
    let reply = call(
        &gateway,
        "POST",
        "/admin/v1/teams",
        as_oa,
        Some(json!({"org_id": w.org_b, "name": "x"})),
    )
    .await;
    assert_eq!(reply.status, 404);

    // Inside A it administers: a new key lands in A by default, A2's key can be revoked.
    let key = created(&gateway, "/admin/v1/keys", as_oa, json!({"name": "new"})).await;
    assert_eq!(key["org_id"], w.org_a.as_str());
    let team = created(&gateway, "/admin/v1/teams", as_oa, json!({"name": "a3"})).await;
    assert_eq!(team["org_id"], w.org_a.as_str());
    let path = format!("/admin/v1/keys/{}/revoke", w.key_a2.0);
    assert_eq!(call(&gateway, "POST", &path, as_oa, None).await.status, 200);
    assert_eq!(chat(&gateway, &w.key_a2.1).await, 401);

    // Above its role: 403.
    let reply = call(
        &gateway,
        "POST",
        "/admin/v1/organizations",
        as_oa,
        Some(json!({"name": "C"})),
    )
    .await;
    assert_eq!(reply.status, 403, "{}", reply.text());
    assert_eq!(reply.json()["error"]["type"], "permission_error");
    let reply = call(
        &gateway,
        "POST",
        "/admin/v1/keys",
        as_oa,
        Some(json!({"name": "x", "role": "admin"})),
    )
    .await;
    assert_eq!(reply.status, 403, "{}", reply.text());
    let path = format!("/admin/v1/organizations/{}", w.org_a);
    let reply = call(
        &gateway,
        "PATCH",
        &path,
        as_oa,
        Some(json!({"tier": "free"})),
    )
    .await;
    assert_eq!(reply.status, 403, "{}", reply.text());
    assert_eq!(call(&gateway, "GET", &path, as_oa, None).await.status, 200);
}

#[tokio::test]
async fn usage_is_narrowed_to_the_callers_tenant() {
    let gateway = common::start().await;
    let w = world(&gateway).await;
    assert_eq!(chat(&gateway, &w.member.1).await, 200);
    assert_eq!(chat(&gateway, &w.key_a2.1).await, 200);
    assert_eq!(chat(&gateway, &w.key_b.1).await, 200);
    assert_eq!(chat(&gateway, &w.key_b.1).await, 200);
    assert_eq!(gateway.spend_rows(4).await.len(), 4);

    let usage = |key: String, query: String| {
        let gateway = &gateway;
        async move {
            let reply = call(
                gateway,
                "GET",
                &format!("/admin/v1/usage?{query}"),
                &key,
                None,
            )
            .await;
            assert_eq!(reply.status, 200, "{}", reply.text());
            reply.json()["data"].as_array().unwrap().clone()
        }
    };
    let requests = |rows: &[Value]| {
        rows.iter()
            .map(|row| row["requests"].as_u64().unwrap())
            .sum::<u64>()
    };

    let all = usage(MASTER_KEY.to_string(), "group_by=org".into()).await;
    assert_eq!(all.len(), 2);
    assert_eq!(requests(&all), 4);

    let rows = usage(w.org_admin.1.clone(), "group_by=org".into()).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["org_id"], w.org_a.as_str());
    assert_eq!(requests(&rows), 2);
    let asked_for_b = format!("group_by=org&org_id={}", w.org_b);
    let rows = usage(w.org_admin.1.clone(), asked_for_b).await;
    assert!(rows.is_empty(), "{rows:?}");

    let rows = usage(w.viewer.1.clone(), "group_by=team".into()).await;
    assert_eq!(requests(&rows), 2);
    let rows = usage(w.team_admin.1.clone(), "group_by=team".into()).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["team_id"], w.team_a1.as_str());
    let rows = usage(w.member.1.clone(), "group_by=key".into()).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["key_id"], w.member.0.as_str());

    let logs = call(
        &gateway,
        "GET",
        "/admin/v1/spend/logs",
        &w.org_admin.1,
        None,
    )
    .await
    .json();
    let orgs: BTreeSet<&str> = logs["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["org_id"].as_str().unwrap())
        .collect();
    assert_eq!(orgs, BTreeSet::from([w.org_a.as_str()]));
    let logs = call(&gateway, "GET", "/admin/v1/spend/logs", &w.key_b.1, None)
        .await
        .json();
    assert_eq!(
        logs["data"].as_array().unwrap().len(),
        2,
        "a member key sees its own rows"
    );
}

#[tokio::test]
async fn roles_below_the_action_get_403_inside_their_tenant() {
    let gateway = common::start().await;
    let w = world(&gateway).await;

    // member: its own key only; creates nothing.
    let as_member = w.member.1.as_str();
    let reply = call(
        &gateway,
        "POST",
        "/admin/v1/keys",
        as_member,
        Some(json!({"name": "mine"})),
    )
    .await;
    assert_eq!(reply.status, 403, "{}", reply.text());
    let own = format!("/admin/v1/keys/{}", w.member.0);
    assert_eq!(
        call(&gateway, "GET", &own, as_member, None).await.status,
        200
    );
    assert_eq!(
        call(
            &gateway,
            "PATCH",
            &own,
            as_member,
            Some(json!({"name": "x"}))
        )
        .await
        .status,
        403
    );
    let other = format!("/admin/v1/keys/{}", w.key_a2.0);
    assert_eq!(
        call(&gateway, "GET", &other, as_member, None).await.status,
        404
    );
    let keys = call(&gateway, "GET", "/admin/v1/keys", as_member, None)
        .await
        .json();
    assert_eq!(ids(&keys), set(&[&w.member.0]));
    assert_eq!(
        call(&gateway, "GET", "/admin/v1/teams", as_member, None)
            .await
            .status,
        403
    );
    let own_org = format!("/admin/v1/organizations/{}", w.org_a);
    assert_eq!(
        call(&gateway, "GET", &own_org, as_member, None)
            .await
            .status,
        403
    );

    // viewer: reads the org, changes nothing.
    let as_viewer = w.viewer.1.as_str();
    assert_eq!(
        call(&gateway, "GET", &other, as_viewer, None).await.status,
        200
    );
    let reply = call(
        &gateway,
        "PATCH",
        &other,
        as_viewer,
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(reply.status, 403, "{}", reply.text());
    assert_eq!(reply.json()["error"]["code"], "forbidden");
    assert_eq!(
        call(
            &gateway,
            "POST",
            &format!("{other}/revoke"),
            as_viewer,
            None
        )
        .await
        .status,
        403
    );
    let b = format!("/admin/v1/keys/{}", w.key_b.0);
    assert_eq!(
        call(&gateway, "PATCH", &b, as_viewer, Some(json!({"name": "x"})))
            .await
            .status,
        404
    );
    let reply = call(
        &gateway,
        "POST",
        "/admin/v1/keys",
        as_viewer,
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(reply.status, 403);
    assert_eq!(
        ids(&call(&gateway, "GET", "/admin/v1/users", as_viewer, None)
            .await
            .json()),
        set(&[&w.user_a1])
    );
    assert_eq!(
        chat(&gateway, &w.key_a2.1).await,
        200,
        "the viewer's attempts changed nothing"
    );

    // team_admin: its team's keys and users.
    let as_ta = w.team_admin.1.as_str();
    let key = created(
        &gateway,
        "/admin/v1/keys",
        as_ta,
        json!({"name": "t", "models": ["gpt-upstream"]}),
    )
    .await;
    assert_eq!(key["team_id"], w.team_a1.as_str());
    assert_eq!(key["org_id"], w.org_a.as_str());
    assert_eq!(chat(&gateway, key["key"].as_str().unwrap()).await, 200);
    let for_user = created(
        &gateway,
        "/admin/v1/keys",
        as_ta,
        json!({"name": "u", "user_id": w.user_a1}),
    )
    .await;
    assert_eq!(for_user["team_id"], w.team_a1.as_str());
    let reply = call(
        &gateway,
        "POST",
        "/admin/v1/keys",
        as_ta,
        Some(json!({"name": "x", "team_id": w.team_a2})),
    )
    .await;
    assert_eq!(reply.status, 404, "{}", reply.text());
    for role in ["viewer", "org_admin", "admin"] {
        let reply = call(
            &gateway,
            "POST",
            "/admin/v1/keys",
            as_ta,
            Some(json!({"name": "x", "role": role})),
        )
        .await;
        assert_eq!(reply.status, 403, "{role}: {}", reply.text());
    }
    assert_eq!(call(&gateway, "GET", &other, as_ta, None).await.status, 404);
    let member_key = format!("/admin/v1/keys/{}", w.member.0);
    assert_eq!(
        call(
            &gateway,
            "POST",
            &format!("{member_key}/revoke"),
            as_ta,
            None
        )
        .await
        .status,
        200
    );
    assert_eq!(chat(&gateway, as_member).await, 401);
    let own_team = format!("/admin/v1/teams/{}", w.team_a1);
    assert_eq!(
        call(&gateway, "GET", &own_team, as_ta, None).await.status,
        200
    );
    assert_eq!(
        call(
            &gateway,
            "PATCH",
            &own_team,
            as_ta,
            Some(json!({"name": "x"}))
        )
        .await
        .status,
        403
    );
    let user = created(
        &gateway,
        "/admin/v1/users",
        as_ta,
        json!({"email": "cy@a.example"}),
    )
    .await;
    assert_eq!(user["team_id"], w.team_a1.as_str());
    let user_path = format!("/admin/v1/users/{}", id(&user));
    let reply = call(
        &gateway,
        "PATCH",
        &user_path,
        as_ta,
        Some(json!({"role": "org_admin"})),
    )
    .await;
    assert_eq!(reply.status, 403, "{}", reply.text());
    let reply = call(
        &gateway,
        "PATCH",
        &user_path,
        as_ta,
        Some(json!({"team_id": null})),
    )
    .await;
    assert_eq!(reply.status, 403, "{}", reply.text());
    let reply = call(
        &gateway,
        "PATCH",
        &user_path,
        as_ta,
        Some(json!({"name": "Cy"})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());

    // Nobody below admin lifts its own limits; its own key may still be rotated.
    let own = format!("/admin/v1/keys/{}", w.team_admin.0);
    let reply = call(
        &gateway,
        "PATCH",
        &own,
        as_ta,
        Some(json!({"budget_usd": "1000"})),
    )
    .await;
    assert_eq!(reply.status, 403, "{}", reply.text());
    let reply = call(
        &gateway,
        "POST",
        &format!("{own}/rotate"),
        as_ta,
        Some(json!({"grace_seconds": 60})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());

    // A revoked admin key is no longer anyone.
    let path = format!("/admin/v1/keys/{}/revoke", w.org_admin.0);
    assert_eq!(gateway.post(&path, Bytes::new()).await.status, 200);
    assert_eq!(
        call(&gateway, "GET", "/admin/v1/keys", &w.org_admin.1, None)
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn tenant_objects_crud_and_conflicts() {
    let gateway = common::start().await;
    let org = created(
        &gateway,
        "/admin/v1/organizations",
        MASTER_KEY,
        json!({"name": "Acme", "tier": "pro"}),
    )
    .await;
    assert_eq!(org["tier"], "pro");
    let org_id = id(&org);
    let reply = call(
        &gateway,
        "POST",
        "/admin/v1/organizations",
        MASTER_KEY,
        Some(json!({"name": "x", "plan": "pro"})),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"]["param"], "plan");

    let team = created(
        &gateway,
        "/admin/v1/teams",
        MASTER_KEY,
        json!({"org_id": org_id, "name": "core"}),
    )
    .await;
    let reply = call(
        &gateway,
        "POST",
        "/admin/v1/teams",
        MASTER_KEY,
        Some(json!({"org_id": org_id, "name": "core"})),
    )
    .await;
    assert_eq!(reply.status, 409, "{}", reply.text());
    assert_eq!(reply.json()["error"]["type"], "conflict_error");
    let reply = call(
        &gateway,
        "POST",
        "/admin/v1/teams",
        MASTER_KEY,
        Some(json!({"name": "orphan"})),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"]["param"], "org_id");
    let reply = call(
        &gateway,
        "POST",
        "/admin/v1/teams",
        MASTER_KEY,
        Some(json!({"org_id": "org_nope", "name": "x"})),
    )
    .await;
    assert_eq!(reply.status, 404);

    let user = created(
        &gateway,
        "/admin/v1/users",
        MASTER_KEY,
        json!({"team_id": team["id"], "email": "a@acme.example", "role": "team_admin"}),
    )
    .await;
    assert_eq!(user["org_id"], org_id.as_str());
    assert_eq!(user["role"], "team_admin");
    let reply = call(
        &gateway,
        "POST",
        "/admin/v1/users",
        MASTER_KEY,
        Some(json!({"org_id": org_id, "email": "a@acme.example"})),
    )
    .await;
    assert_eq!(reply.status, 409);

    let team_path = format!("/admin/v1/teams/{}", id(&team));
    let reply = call(&gateway, "DELETE", &team_path, MASTER_KEY, None).await;
    assert_eq!(
        reply.status,
        409,
        "a team with users is not deleted: {}",
        reply.text()
    );
    let user_path = format!("/admin/v1/users/{}", id(&user));
    let reply = call(
        &gateway,
        "PATCH",
        &user_path,
        MASTER_KEY,
        Some(json!({"team_id": null, "name": "Al"})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["team_id"], Value::Null);
    assert_eq!(reply.json()["name"], "Al");
    assert_eq!(
        call(&gateway, "DELETE", &team_path, MASTER_KEY, None)
            .await
            .status,
        204
    );
    assert_eq!(
        call(&gateway, "GET", &team_path, MASTER_KEY, None)
            .await
            .status,
        404
    );
    assert_eq!(
        call(&gateway, "DELETE", &user_path, MASTER_KEY, None)
            .await
            .status,
        204
    );

    let org_path = format!("/admin/v1/organizations/{org_id}");
    let reply = call(
        &gateway,
        "PATCH",
        &org_path,
        MASTER_KEY,
        Some(json!({"name": "Acme Inc"})),
    )
    .await;
    assert_eq!(reply.json()["name"], "Acme Inc");
    assert_eq!(
        call(&gateway, "DELETE", &org_path, MASTER_KEY, None)
            .await
            .status,
        204
    );
    assert_eq!(
        call(&gateway, "GET", &org_path, MASTER_KEY, None)
            .await
            .status,
        404
    );
}
