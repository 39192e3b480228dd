#![allow(clippy::unwrap_used, clippy::expect_used)]
//! End users' own budgets through the admin API: one replaces the config's default from the
//! next call, spend already counted stays counted, removing it brings the default back, and an
//! end user of one organization is not the same-named end user of another.

mod budget_harness;

use budget_harness::{Budgeted, MASTER_KEY, Reply, chat, start, usd};
use bytes::Bytes;
use serde_json::{Value, json};
use tollgate_server::limits::LimitSettings;
use tollgate_store::{NewApiKey, Role};

async fn as_end_user(gateway: &Budgeted, secret: &str, end_user: &str) -> Reply {
    let mut body = chat("metered", 10, false);
    body["user"] = json!(end_user);
    gateway.chat(secret, &body).await
}

/// How many of `calls` calls in a row `end_user` gets served before the first refusal.
async fn served_in_a_row(gateway: &Budgeted, secret: &str, end_user: &str, calls: usize) -> usize {
    for served in 0..calls {
        let reply = as_end_user(gateway, secret, end_user).await;
        if reply.status != 200 {
            assert_eq!(reply.status, 429, "{}", reply.json());
            assert_eq!(reply.code(), "budget_exceeded");
            assert_eq!(reply.json()["error"]["param"], "end_user");
            return served;
        }
    }
    calls
}

async fn admin(gateway: &Budgeted, bearer: &str, method: &str, path: &str, body: Value) -> Reply {
    let body = if body.is_null() {
        Bytes::new()
    } else {
        Bytes::from(body.to_string())
    };
    gateway
        .send(
            method,
            path,
            &[("authorization", &format!("Bearer {bearer}"))],
            body,
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_end_users_own_budget_replaces_the_default() {
    // Each call costs $0.01; the default end-user budget holds five.
    let gateway = start(LimitSettings {
        end_user_budget: Some((usd("0.05"), tollgate_limits::Period::Daily)),
        ..LimitSettings::default()
    })
    .await;
    let org = gateway.org("acme").await;
    let (_, secret) = gateway
        .key(NewApiKey {
            org_id: Some(org.id.clone()),
            ..NewApiKey::named("app")
        })
        .await;
    let (_, outside) = gateway.key(NewApiKey::named("no-org")).await;

    let set = admin(
        &gateway,
        MASTER_KEY,
        "PUT",
        "/admin/v1/end-users/alice/budget",
        json!({"org_id": org.id, "budget_usd": "0.02", "budget_period": "daily"}),
    )
    .await;
    assert_eq!(set.status, 200, "{}", set.json());
    assert_eq!(set.json()["budget_usd"], "0.020000000");
    assert_eq!(set.json()["org_id"], json!(org.id));
    assert_eq!(set.json()["end_user"], "alice");

    assert_eq!(served_in_a_row(&gateway, &secret, "alice", 10).await, 2);
    // Others keep the default, and so does the `alice` of keys outside the organization.
    assert_eq!(served_in_a_row(&gateway, &secret, "bob", 10).await, 5);
    assert_eq!(served_in_a_row(&gateway, &outside, "alice", 10).await, 5);

    // Raised to $0.05: the $0.02 already spent today still counts.
    let raised = admin(
        &gateway,
        MASTER_KEY,
        "PUT",
        "/admin/v1/end-users/alice/budget",
        json!({"org_id": org.id, "budget_usd": "0.05", "budget_period": "daily"}),
    )
    .await;
    assert_eq!(raised.status, 200, "{}", raised.json());
    assert_eq!(served_in_a_row(&gateway, &secret, "alice", 10).await, 3);

    let path = format!("/admin/v1/end-users/alice/budget?org_id={}", org.id);
    let read = admin(&gateway, MASTER_KEY, "GET", &path, Value::Null).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.json()["budget_usd"], "0.050000000");
    let listed = gateway
        .admin_get(&format!("/admin/v1/end-users/budgets?org_id={}", org.id))
        .await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json()["data"].as_array().unwrap().len(), 1);

    // Removed: the default applies again (and alice has spent it).
    let removed = admin(&gateway, MASTER_KEY, "DELETE", &path, Value::Null).await;
    assert_eq!(removed.status, 204);
    assert_eq!(
        admin(&gateway, MASTER_KEY, "GET", &path, Value::Null)
            .await
            .status,
        404
    );
    assert_eq!(
        admin(&gateway, MASTER_KEY, "DELETE", &path, Value::Null)
            .await
            .status,
        404
    );
    assert_eq!(served_in_a_row(&gateway, &secret, "alice", 10).await, 0);

    let audit = gateway
        .admin_get("/admin/v1/audit?action=end_user.budget.set")
        .await;
    assert_eq!(audit.status, 200, "{}", audit.json());
    let text = String::from_utf8_lossy(&audit.body).into_owned();
    assert!(text.contains("end_user.budget.set"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organizations_admins_manage_its_end_users_and_nobody_elses() {
    let gateway = start(LimitSettings::default()).await;
    let mut orgs = Vec::new();
    for name in ["acme", "globex"] {
        orgs.push(gateway.org(name).await);
    }
    let key_with = |role: Role| NewApiKey {
        org_id: Some(orgs[0].id.clone()),
        role,
        ..NewApiKey::named(role.as_str())
    };
    let (_, org_admin) = gateway.key(key_with(Role::OrgAdmin)).await;
    let (_, viewer) = gateway.key(key_with(Role::Viewer)).await;
    let budget = json!({"budget_usd": "1.00"});

    // An org admin sets its own organization's end users (the org is its own by default).
    let set = admin(
        &gateway,
        &org_admin,
        "PUT",
        "/admin/v1/end-users/carol/budget",
        budget.clone(),
    )
    .await;
    assert_eq!(set.status, 200, "{}", set.json());
    assert_eq!(set.json()["org_id"], json!(orgs[0].id));
    // A viewer reads them but may not change them.
    let read = admin(
        &gateway,
        &viewer,
        "GET",
        "/admin/v1/end-users/carol/budget",
        Value::Null,
    )
    .await;
    assert_eq!(read.status, 200, "{}", read.json());
    let refused = admin(
        &gateway,
        &viewer,
        "PUT",
        "/admin/v1/end-users/carol/budget",
        budget.clone(),
    )
    .await;
    assert_eq!(refused.status, 403, "{}", refused.json());
    // Another organization's, and the gateway-wide ones, are not an org admin's.
    let other = json!({"org_id": orgs[1].id, "budget_usd": "1.00"});
    let hidden = admin(
        &gateway,
        &org_admin,
        "PUT",
        "/admin/v1/end-users/carol/budget",
        other,
    )
    .await;
    assert_eq!(hidden.status, 404, "{}", hidden.json());
    // Bad input: a JSON number for money, an unknown organization.
    let number = admin(
        &gateway,
        MASTER_KEY,
        "PUT",
        "/admin/v1/end-users/carol/budget",
        json!({"budget_usd": 1}),
    )
    .await;
    assert_eq!(number.status, 400, "{}", number.json());
    let unknown = admin(
        &gateway,
        MASTER_KEY,
        "PUT",
        "/admin/v1/end-users/carol/budget",
        json!({"org_id": "org-nope", "budget_usd": "1.00"}),
    )
    .await;
    assert_eq!(unknown.status, 404, "{}", unknown.json());
}
