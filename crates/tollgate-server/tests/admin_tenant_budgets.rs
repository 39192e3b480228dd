#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Budgets and limits of organizations, teams and users over the admin API: set on create, shown,
//! changed, cleared with `null`, refused when malformed, and only by those allowed to.

mod common;

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

async fn created(gateway: &Gateway, path: &str, key: &str, body: Value) -> Value {
    let reply = call(gateway, "POST", path, key, Some(body.clone())).await;
    assert_eq!(reply.status, 201, "POST {path} {body}: {}", reply.text());
    reply.json()
}

async fn patched(gateway: &Gateway, path: &str, key: &str, body: Value) -> Value {
    let reply = call(gateway, "PATCH", path, key, Some(body.clone())).await;
    assert_eq!(reply.status, 200, "PATCH {path} {body}: {}", reply.text());
    reply.json()
}

fn id(object: &Value) -> String {
    object["id"].as_str().unwrap().to_string()
}

fn budget_of(object: &Value) -> (Value, Value) {
    (
        object["budget_usd"].clone(),
        object["budget_period"].clone(),
    )
}

#[tokio::test]
async fn organization_budget_and_credit_switch() {
    let gateway = common::start().await;
    let org = created(
        &gateway,
        "/admin/v1/organizations",
        MASTER_KEY,
        json!({"name": "Acme", "budget_usd": "500", "budget_period": "monthly", "credits_enabled": true}),
    )
    .await;
    assert_eq!(budget_of(&org), (json!("500.000000000"), json!("monthly")));
    assert_eq!(org["credits_enabled"], true);
    let path = format!("/admin/v1/organizations/{}", id(&org));
    let read = call(&gateway, "GET", &path, MASTER_KEY, None).await.json();
    assert_eq!(read, org);

    // A new amount keeps the period; a period alone keeps the amount.
    let changed = patched(&gateway, &path, MASTER_KEY, json!({"budget_usd": "750.5"})).await;
    assert_eq!(
        budget_of(&changed),
        (json!("750.500000000"), json!("monthly"))
    );
    let changed = patched(
        &gateway,
        &path,
        MASTER_KEY,
        json!({"budget_period": "daily"}),
    )
    .await;
    assert_eq!(
        budget_of(&changed),
        (json!("750.500000000"), json!("daily"))
    );
    let changed = patched(
        &gateway,
        &path,
        MASTER_KEY,
        json!({"credits_enabled": false, "name": "Acme 2"}),
    )
    .await;
    assert_eq!(changed["credits_enabled"], false);
    assert_eq!(changed["name"], "Acme 2");
    assert_eq!(
        budget_of(&changed),
        (json!("750.500000000"), json!("daily"))
    );
    let cleared = patched(&gateway, &path, MASTER_KEY, json!({"budget_usd": null})).await;
    assert_eq!(budget_of(&cleared), (Value::Null, Value::Null));

    // Without a budget, a period alone has nothing to change.
    let reply = call(
        &gateway,
        "PATCH",
        &path,
        MASTER_KEY,
        Some(json!({"budget_period": "weekly"})),
    )
    .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(reply.json()["error"]["param"], "budget_period");

    let plain = created(
        &gateway,
        "/admin/v1/organizations",
        MASTER_KEY,
        json!({"name": "Plain"}),
    )
    .await;
    assert_eq!(budget_of(&plain), (Value::Null, Value::Null));
    assert_eq!(plain["credits_enabled"], false);
    // No period: a lifetime budget.
    let lifetime = created(
        &gateway,
        "/admin/v1/organizations",
        MASTER_KEY,
        json!({"name": "Life", "budget_usd": "0"}),
    )
    .await;
    assert_eq!(budget_of(&lifetime), (json!("0.000000000"), json!("none")));
}

#[tokio::test]
async fn team_budget_and_limits() {
    let gateway = common::start().await;
    let org = id(&created(
        &gateway,
        "/admin/v1/organizations",
        MASTER_KEY,
        json!({"name": "Acme"}),
    )
    .await);
    let team = created(
        &gateway,
        "/admin/v1/teams",
        MASTER_KEY,
        json!({"org_id": org, "name": "search", "budget_usd": "50.25", "budget_period": "weekly",
               "rpm_limit": 60, "tpm_limit": 100000, "max_parallel": 4}),
    )
    .await;
    assert_eq!(budget_of(&team), (json!("50.250000000"), json!("weekly")));
    assert_eq!(
        (
            &team["rpm_limit"],
            &team["tpm_limit"],
            &team["max_parallel"]
        ),
        (&json!(60), &json!(100000), &json!(4))
    );
    let path = format!("/admin/v1/teams/{}", id(&team));
    assert_eq!(
        call(&gateway, "GET", &path, MASTER_KEY, None).await.json(),
        team
    );

    let changed = patched(
        &gateway,
        &path,
        MASTER_KEY,
        json!({"rpm_limit": null, "max_parallel": 9, "budget_usd": null}),
    )
    .await;
    assert_eq!(budget_of(&changed), (Value::Null, Value::Null));
    assert_eq!(
        (
            &changed["rpm_limit"],
            &changed["tpm_limit"],
            &changed["max_parallel"]
        ),
        (&Value::Null, &json!(100000), &json!(9))
    );
    assert_eq!(changed["name"], "search");

    // An org admin manages its org's teams' budgets too.
    let org_admin = created(
        &gateway,
        "/admin/v1/keys",
        MASTER_KEY,
        json!({"name": "oa", "org_id": org, "role": "org_admin"}),
    )
    .await["key"]
        .as_str()
        .unwrap()
        .to_string();
    let changed = patched(&gateway, &path, &org_admin, json!({"budget_usd": "5"})).await;
    assert_eq!(budget_of(&changed), (json!("5.000000000"), json!("none")));
    let made = created(
        &gateway,
        "/admin/v1/teams",
        &org_admin,
        json!({"name": "ads", "tpm_limit": 1}),
    )
    .await;
    assert_eq!(made["tpm_limit"], 1);
    // A team admin does not lift its own team's limits.
    let team_admin = created(
        &gateway,
        "/admin/v1/keys",
        MASTER_KEY,
        json!({"name": "ta", "team_id": id(&team), "role": "team_admin"}),
    )
    .await["key"]
        .as_str()
        .unwrap()
        .to_string();
    let reply = call(
        &gateway,
        "PATCH",
        &path,
        &team_admin,
        Some(json!({"budget_usd": null})),
    )
    .await;
    assert_eq!(reply.status, 403, "{}", reply.text());
}

#[tokio::test]
async fn user_budget() {
    let gateway = common::start().await;
    let org = id(&created(
        &gateway,
        "/admin/v1/organizations",
        MASTER_KEY,
        json!({"name": "Acme"}),
    )
    .await);
    let user = created(
        &gateway,
        "/admin/v1/users",
        MASTER_KEY,
        json!({"org_id": org, "email": "ada@acme.test", "budget_usd": "10", "budget_period": "daily"}),
    )
    .await;
    assert_eq!(budget_of(&user), (json!("10.000000000"), json!("daily")));
    let path = format!("/admin/v1/users/{}", id(&user));
    assert_eq!(
        call(&gateway, "GET", &path, MASTER_KEY, None).await.json(),
        user
    );
    let changed = patched(
        &gateway,
        &path,
        MASTER_KEY,
        json!({"budget_usd": "20.000000001"}),
    )
    .await;
    assert_eq!(budget_of(&changed), (json!("20.000000001"), json!("daily")));
    let cleared = patched(&gateway, &path, MASTER_KEY, json!({"budget_usd": null})).await;
    assert_eq!(budget_of(&cleared), (Value::Null, Value::Null));
    assert_eq!(cleared["email"], "ada@acme.test");

    // Nobody below admin changes the budget of the user its own key belongs to.
    let team = id(&created(
        &gateway,
        "/admin/v1/teams",
        MASTER_KEY,
        json!({"org_id": org, "name": "t"}),
    )
    .await);
    let boss = created(
        &gateway,
        "/admin/v1/users",
        MASTER_KEY,
        json!({"org_id": org, "team_id": team, "email": "boss@acme.test", "role": "team_admin", "budget_usd": "1"}),
    )
    .await;
    let boss_key = created(
        &gateway,
        "/admin/v1/keys",
        MASTER_KEY,
        json!({"name": "boss", "user_id": id(&boss), "team_id": team, "role": "team_admin"}),
    )
    .await["key"]
        .as_str()
        .unwrap()
        .to_string();
    let boss_path = format!("/admin/v1/users/{}", id(&boss));
    let reply = call(
        &gateway,
        "PATCH",
        &boss_path,
        &boss_key,
        Some(json!({"budget_usd": "1000"})),
    )
    .await;
    assert_eq!(reply.status, 403, "{}", reply.text());
    // It still sets the budgets of its team's other users.
    let member = created(
        &gateway,
        "/admin/v1/users",
        &boss_key,
        json!({"email": "m@acme.test", "budget_usd": "2"}),
    )
    .await;
    assert_eq!(budget_of(&member), (json!("2.000000000"), json!("none")));
    let changed = patched(
        &gateway,
        &format!("/admin/v1/users/{}", id(&member)),
        &boss_key,
        json!({"budget_usd": "3"}),
    )
    .await;
    assert_eq!(changed["budget_usd"], "3.000000000");
}

#[tokio::test]
async fn malformed_budgets_and_limits_are_refused() {
    let gateway = common::start().await;
    let org = id(&created(
        &gateway,
        "/admin/v1/organizations",
        MASTER_KEY,
        json!({"name": "Acme"}),
    )
    .await);
    let team = id(&created(
        &gateway,
        "/admin/v1/teams",
        MASTER_KEY,
        json!({"org_id": org, "name": "t"}),
    )
    .await);
    let user = id(&created(
        &gateway,
        "/admin/v1/users",
        MASTER_KEY,
        json!({"org_id": org, "email": "u@acme.test"}),
    )
    .await);

    let budget_cases = [
        (json!({"budget_usd": "-1"}), "budget_usd", "negative"),
        (json!({"budget_usd": "12,50"}), "budget_usd", "decimal"),
        (json!({"budget_usd": 12.5}), "budget_usd", "invalid type"),
        (
            json!({"budget_usd": "1", "budget_period": "yearly"}),
            "budget_period",
            "unknown period",
        ),
        (
            json!({"budget_usd": null, "budget_period": "daily"}),
            "budget_period",
            "cleared",
        ),
    ];
    for path in [
        format!("/admin/v1/organizations/{org}"),
        format!("/admin/v1/teams/{team}"),
        format!("/admin/v1/users/{user}"),
    ] {
        for (body, field, words) in &budget_cases {
            let reply = call(&gateway, "PATCH", &path, MASTER_KEY, Some(body.clone())).await;
            assert_eq!(reply.status, 400, "PATCH {path} {body}: {}", reply.text());
            let error = reply.json()["error"].clone();
            assert_eq!(error["param"], *field, "{path} {body}");
            assert!(
                error["message"].as_str().unwrap().contains(words),
                "{path} {body}: {error}"
            );
        }
        let reply = call(
            &gateway,
            "PATCH",
            &path,
            MASTER_KEY,
            Some(json!({"budget": "1"})),
        )
        .await;
        assert_eq!(reply.status, 400, "unknown field on {path}");
        // Nothing was changed by the refusals.
        let now = call(&gateway, "GET", &path, MASTER_KEY, None).await.json();
        assert_eq!(budget_of(&now), (Value::Null, Value::Null), "{path}");
    }
    for (path, body) in [
        (
            "/admin/v1/organizations",
            json!({"name": "X", "budget_usd": "-0.01"}),
        ),
        (
            "/admin/v1/organizations",
            json!({"name": "X", "budget_period": "daily"}),
        ),
        (
            "/admin/v1/organizations",
            json!({"name": "X", "credits_enabled": "yes"}),
        ),
        (
            "/admin/v1/teams",
            json!({"org_id": org, "name": "X", "budget_usd": "abc"}),
        ),
        (
            "/admin/v1/users",
            json!({"org_id": org, "email": "x@acme.test", "budget_usd": "-3"}),
        ),
    ] {
        let reply = call(&gateway, "POST", path, MASTER_KEY, Some(body.clone())).await;
        assert_eq!(reply.status, 400, "POST {path} {body}: {}", reply.text());
    }
    for (field, value) in [
        ("rpm_limit", json!(0)),
        ("rpm_limit", json!(-1)),
        ("tpm_limit", json!(0)),
        ("max_parallel", json!(0)),
        ("max_parallel", json!(1.5)),
        ("tpm_limit", json!("10")),
    ] {
        let body = json!({ field: value });
        let reply = call(
            &gateway,
            "PATCH",
            &format!("/admin/v1/teams/{team}"),
            MASTER_KEY,
            Some(body.clone()),
        )
        .await;
        assert_eq!(reply.status, 400, "PATCH team {body}: {}", reply.text());
        assert_eq!(reply.json()["error"]["param"], field, "{body}");
        let mut create = json!({"org_id": org, "name": "new"});
        create[field] = value;
        let reply = call(
            &gateway,
            "POST",
            "/admin/v1/teams",
            MASTER_KEY,
            Some(create.clone()),
        )
        .await;
        assert_eq!(reply.status, 400, "POST team {create}: {}", reply.text());
    }
    // Limits are not fields of organizations or users.
    for path in [
        format!("/admin/v1/organizations/{org}"),
        format!("/admin/v1/users/{user}"),
    ] {
        let reply = call(
            &gateway,
            "PATCH",
            &path,
            MASTER_KEY,
            Some(json!({"rpm_limit": 5})),
        )
        .await;
        assert_eq!(reply.status, 400, "{path}");
    }
}

#[tokio::test]
async fn only_admins_change_an_organization_budget() {
    let gateway = common::start().await;
    let org = id(&created(
        &gateway,
        "/admin/v1/organizations",
        MASTER_KEY,
        json!({"name": "Acme"}),
    )
    .await);
    let other = id(&created(
        &gateway,
        "/admin/v1/organizations",
        MASTER_KEY,
        json!({"name": "Other"}),
    )
    .await);
    let org_admin = created(
        &gateway,
        "/admin/v1/keys",
        MASTER_KEY,
        json!({"name": "oa", "org_id": org, "role": "org_admin"}),
    )
    .await["key"]
        .as_str()
        .unwrap()
        .to_string();
    for body in [
        json!({"budget_usd": "1000000"}),
        json!({"credits_enabled": true}),
    ] {
        let reply = call(
            &gateway,
            "PATCH",
            &format!("/admin/v1/organizations/{org}"),
            &org_admin,
            Some(body.clone()),
        )
        .await;
        assert_eq!(reply.status, 403, "{body}: {}", reply.text());
        let reply = call(
            &gateway,
            "PATCH",
            &format!("/admin/v1/organizations/{other}"),
            &org_admin,
            Some(body),
        )
        .await;
        assert_eq!(reply.status, 404);
    }
    // It reads its organization's budget.
    let read = call(
        &gateway,
        "GET",
        &format!("/admin/v1/organizations/{org}"),
        &org_admin,
        None,
    )
    .await;
    assert_eq!(read.status, 200);
    assert!(read.json()["budget_usd"].is_null());
}

fn mode_of(object: &Value) -> (Value, Value) {
    (
        object["budget_mode"].clone(),
        object["budget_alert_percent"].clone(),
    )
}

/// `budget_mode` and `budget_alert_percent` on keys, users, teams and organizations: set on
/// create, shown, kept by a new amount, changed, cleared with `null` (the gateway's defaults),
/// cleared with the budget, and refused when malformed.
#[tokio::test]
async fn budget_mode_and_alert_on_every_owner() {
    let gateway = common::start().await;
    let org = id(&created(
        &gateway,
        "/admin/v1/organizations",
        MASTER_KEY,
        json!({"name": "Acme"}),
    )
    .await);
    let owners = [
        ("/admin/v1/organizations", json!({"name": "Moded"})),
        ("/admin/v1/teams", json!({"org_id": org, "name": "t"})),
        (
            "/admin/v1/users",
            json!({"org_id": org, "email": "u@acme.test"}),
        ),
        ("/admin/v1/keys", json!({"org_id": org, "name": "k"})),
    ];
    for (collection, base) in owners {
        let with = |extra: Value| {
            let mut body = base.clone();
            body.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            body
        };
        let object = created(
            &gateway,
            collection,
            MASTER_KEY,
            with(json!({"budget_usd": "5", "budget_mode": "soft", "budget_alert_percent": 80})),
        )
        .await;
        assert_eq!(mode_of(&object), (json!("soft"), json!(80)), "{collection}");
        let path = format!("{collection}/{}", id(&object));
        let read = call(&gateway, "GET", &path, MASTER_KEY, None).await.json();
        assert_eq!(mode_of(&read), (json!("soft"), json!(80)), "{collection}");

        let changed = patched(&gateway, &path, MASTER_KEY, json!({"budget_usd": "6"})).await;
        assert_eq!(
            mode_of(&changed),
            (json!("soft"), json!(80)),
            "{collection}"
        );
        assert_eq!(changed["budget_usd"], "6.000000000");
        let changed = patched(
            &gateway,
            &path,
            MASTER_KEY,
            json!({"budget_mode": "hard", "budget_alert_percent": 100}),
        )
        .await;
        assert_eq!(
            mode_of(&changed),
            (json!("hard"), json!(100)),
            "{collection}"
        );
        assert_eq!(changed["budget_usd"], "6.000000000");
        let changed = patched(&gateway, &path, MASTER_KEY, json!({"budget_mode": null})).await;
        assert_eq!(mode_of(&changed), (Value::Null, json!(100)), "{collection}");
        let changed = patched(
            &gateway,
            &path,
            MASTER_KEY,
            json!({"budget_alert_percent": null}),
        )
        .await;
        assert_eq!(
            mode_of(&changed),
            (Value::Null, Value::Null),
            "{collection}"
        );
        assert_eq!(budget_of(&changed), (json!("6.000000000"), json!("none")));

        for (body, field) in [
            (json!({"budget_mode": "strict"}), "budget_mode"),
            (json!({"budget_mode": 1}), "budget_mode"),
            (json!({"budget_alert_percent": 0}), "budget_alert_percent"),
            (json!({"budget_alert_percent": 101}), "budget_alert_percent"),
            (json!({"budget_alert_percent": -5}), "budget_alert_percent"),
            (
                json!({"budget_alert_percent": "50"}),
                "budget_alert_percent",
            ),
            (
                json!({"budget_usd": null, "budget_mode": "soft"}),
                "budget_mode",
            ),
        ] {
            let reply = call(&gateway, "PATCH", &path, MASTER_KEY, Some(body.clone())).await;
            assert_eq!(reply.status, 400, "PATCH {path} {body}: {}", reply.text());
            assert_eq!(reply.json()["error"]["param"], field, "{body}");
        }
        let unchanged = call(&gateway, "GET", &path, MASTER_KEY, None).await.json();
        assert_eq!(unchanged, changed, "{collection}");

        // Set again, then cleared with the budget itself.
        patched(&gateway, &path, MASTER_KEY, json!({"budget_mode": "soft"})).await;
        let cleared = patched(&gateway, &path, MASTER_KEY, json!({"budget_usd": null})).await;
        assert_eq!(
            mode_of(&cleared),
            (Value::Null, Value::Null),
            "{collection}"
        );
        // No budget: a mode has nothing to apply to; clearing it changes nothing.
        let reply = call(
            &gateway,
            "PATCH",
            &path,
            MASTER_KEY,
            Some(json!({"budget_alert_percent": 50})),
        )
        .await;
        assert_eq!(reply.status, 400, "{}", reply.text());
        assert_eq!(reply.json()["error"]["param"], "budget_alert_percent");
        patched(&gateway, &path, MASTER_KEY, json!({"budget_mode": null})).await;

        for (body, field) in [
            (json!({"budget_mode": "soft"}), "budget_mode"),
            (
                json!({"budget_usd": "1", "budget_mode": "SOFTER"}),
                "budget_mode",
            ),
            (
                json!({"budget_usd": "1", "budget_alert_percent": 0}),
                "budget_alert_percent",
            ),
            (
                json!({"budget_usd": "1", "budget_alert_percent": 1000}),
                "budget_alert_percent",
            ),
        ] {
            let body = with(body);
            let reply = call(&gateway, "POST", collection, MASTER_KEY, Some(body.clone())).await;
            assert_eq!(
                reply.status,
                400,
                "POST {collection} {body}: {}",
                reply.text()
            );
            assert_eq!(reply.json()["error"]["param"], field, "{body}");
        }
    }
}
