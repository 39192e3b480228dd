#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `/admin/v1/organizations/{id}/credits` over HTTP: purchases with the tier's fee on top (the
//! balance grows by exactly the credits bought), refunds, adjustments, the ledger's pages, who
//! may record and read, and bad input.

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

async fn created(gateway: &Gateway, path: &str, body: Value) -> Value {
    let reply = call(gateway, "POST", path, MASTER_KEY, Some(body.clone())).await;
    assert_eq!(reply.status, 201, "POST {path} {body}: {}", reply.text());
    reply.json()
}

async fn org(gateway: &Gateway, body: Value) -> String {
    created(gateway, "/admin/v1/organizations", body).await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A key of `role` in `org`; answers its secret.
async fn key(gateway: &Gateway, org: &str, role: &str, extra: Value) -> String {
    let mut body = json!({"name": role, "org_id": org, "role": role});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    created(gateway, "/admin/v1/keys", body).await["key"]
        .as_str()
        .unwrap()
        .to_string()
}

fn credits_path(org: &str) -> String {
    format!("/admin/v1/organizations/{org}/credits")
}

async fn record(gateway: &Gateway, org: &str, body: Value) -> Reply {
    call(gateway, "POST", &credits_path(org), MASTER_KEY, Some(body)).await
}

fn amounts(reply: &Value) -> Vec<(String, String)> {
    reply["entries"]
        .as_array()
        .unwrap_or_else(|| panic!("no entries: {reply}"))
        .iter()
        .map(|entry| {
            (
                entry["kind"].as_str().unwrap().to_string(),
                entry["amount_usd"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(kind, amount)| (kind.to_string(), amount.to_string()))
        .collect()
}

#[tokio::test]
async fn a_purchase_charges_the_default_fee_on_top() {
    let gateway = common::start().await;
    let acme = org(&gateway, json!({"name": "Acme"})).await;
    let before = call(
        &gateway,
        "GET",
        &format!("/admin/v1/organizations/{acme}"),
        MASTER_KEY,
        None,
    )
    .await
    .json();
    assert_eq!(before["credits_enabled"], false);

    let reply = record(
        &gateway,
        &acme,
        json!({"amount_usd": "100.00", "reference": "pay_1"}),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["org_id"], acme.as_str());
    assert_eq!(
        amounts(&body),
        pairs(&[("purchase", "104.000000000"), ("fee", "-4.000000000")])
    );
    assert_eq!(body["fee_usd"], "4.000000000");
    assert_eq!(body["balance_usd"], "100.000000000");
    assert_eq!(body["credited_usd"], "100.000000000");
    assert_eq!(body["spent_usd"], "0.000000000");
    for entry in body["entries"].as_array().unwrap() {
        assert_eq!(entry["reference"], "pay_1");
        assert!(entry["id"].as_str().unwrap().starts_with("credit_"));
        assert!(entry["created_at"].as_str().unwrap().ends_with('Z'));
    }
    // Recording credits turns them on for the organization.
    let after = call(
        &gateway,
        "GET",
        &format!("/admin/v1/organizations/{acme}"),
        MASTER_KEY,
        None,
    )
    .await
    .json();
    assert_eq!(after["credits_enabled"], true);

    // Odd amounts round the fee half up to the nano-dollar, and still add up exactly.
    let reply = record(&gateway, &acme, json!({"amount_usd": "0.000000013"})).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let body = reply.json();
    assert_eq!(
        amounts(&body),
        pairs(&[("purchase", "0.000000014"), ("fee", "-0.000000001")])
    );
    assert_eq!(body["balance_usd"], "100.000000013");
    assert!(body["entries"][0]["reference"].is_null());
}

#[tokio::test]
async fn the_top_tier_pays_no_fee() {
    let gateway = common::start().await;
    let gold = org(&gateway, json!({"name": "Gold", "tier": "top"})).await;
    let reply = record(
        &gateway,
        &gold,
        json!({"amount_usd": "250", "kind": "purchase"}),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let body = reply.json();
    // No empty fee entry: the payment is the credits.
    assert_eq!(amounts(&body), pairs(&[("purchase", "250.000000000")]));
    assert_eq!(body["fee_usd"], "0.000000000");
    assert_eq!(body["balance_usd"], "250.000000000");
}

#[tokio::test]
async fn refunds_and_adjustments() {
    let gateway = common::start().await;
    let acme = org(&gateway, json!({"name": "Acme"})).await;
    assert_eq!(
        record(&gateway, &acme, json!({"amount_usd": "10"}))
            .await
            .status,
        201
    );

    let reply = record(
        &gateway,
        &acme,
        json!({"amount_usd": "1.25", "kind": "refund", "reference": "req-42 billed twice"}),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let body = reply.json();
    assert_eq!(amounts(&body), pairs(&[("refund", "1.250000000")]));
    assert!(body.get("fee_usd").is_none(), "{body}");
    assert_eq!(body["balance_usd"], "11.250000000");

    let reply = record(
        &gateway,
        &acme,
        json!({"amount_usd": "-0.25", "kind": "adjustment", "reference": "goodwill reversed"}),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let body = reply.json();
    assert_eq!(amounts(&body), pairs(&[("adjustment", "-0.250000000")]));
    assert_eq!(body["balance_usd"], "11.000000000");
    assert_eq!(body["credited_usd"], "11.000000000");

    let reply = record(
        &gateway,
        &acme,
        json!({"amount_usd": "3", "kind": "adjustment"}),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(reply.json()["balance_usd"], "14.000000000");
}

#[tokio::test]
async fn the_ledger_pages_newest_first_with_totals() {
    let gateway = common::start().await;
    let acme = org(&gateway, json!({"name": "Acme"})).await;
    let other = org(&gateway, json!({"name": "Other"})).await;
    assert_eq!(
        record(&gateway, &other, json!({"amount_usd": "999"}))
            .await
            .status,
        201
    );

    let empty = call(&gateway, "GET", &credits_path(&acme), MASTER_KEY, None).await;
    assert_eq!(empty.status, 200, "{}", empty.text());
    let empty = empty.json();
    assert_eq!(empty["entries"], json!([]));
    assert_eq!(empty["balance_usd"], "0.000000000");
    assert!(empty["next_cursor"].is_null());

    // 1 purchase (2 entries) and 3 adjustments: 5 entries.
    assert_eq!(
        record(&gateway, &acme, json!({"amount_usd": "100"}))
            .await
            .status,
        201
    );
    for i in 1..=3 {
        let body = json!({"amount_usd": format!("{i}"), "kind": "adjustment", "reference": format!("n{i}")});
        assert_eq!(record(&gateway, &acme, body).await.status, 201);
    }
    let mut seen: Vec<Value> = Vec::new();
    let mut path = format!("{}?limit=2", credits_path(&acme));
    loop {
        let reply = call(&gateway, "GET", &path, MASTER_KEY, None).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        let page = reply.json();
        assert_eq!(page["org_id"], acme.as_str());
        assert_eq!(page["balance_usd"], "106.000000000");
        assert_eq!(page["credited_usd"], "106.000000000");
        assert_eq!(page["spent_usd"], "0.000000000");
        let entries = page["entries"].as_array().unwrap();
        assert!(entries.len() <= 2);
        seen.extend(entries.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("{}?limit=2&cursor={cursor}", credits_path(&acme)),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    let references: Vec<&str> = seen
        .iter()
        .take(3)
        .map(|entry| entry["reference"].as_str().unwrap())
        .collect();
    assert_eq!(references, ["n3", "n2", "n1"]);
    let kinds: Vec<&str> = seen[3..]
        .iter()
        .map(|entry| entry["kind"].as_str().unwrap())
        .collect();
    let mut kinds_sorted = kinds.clone();
    kinds_sorted.sort();
    assert_eq!(kinds_sorted, ["fee", "purchase"]);

    for bad in [
        "limit=0",
        "limit=1001",
        "limit=x",
        "cursor=garbage",
        "after=x",
    ] {
        let reply = call(
            &gateway,
            "GET",
            &format!("{}?{bad}", credits_path(&acme)),
            MASTER_KEY,
            None,
        )
        .await;
        assert_eq!(reply.status, 400, "{bad}: {}", reply.text());
    }
}

#[tokio::test]
async fn only_admins_record_and_the_org_reads() {
    let gateway = common::start().await;
    let acme = org(&gateway, json!({"name": "Acme"})).await;
    let other = org(&gateway, json!({"name": "Other"})).await;
    let team = created(
        &gateway,
        "/admin/v1/teams",
        json!({"org_id": acme, "name": "t"}),
    )
    .await;
    let team = team["id"].as_str().unwrap().to_string();
    assert_eq!(
        record(&gateway, &acme, json!({"amount_usd": "5"}))
            .await
            .status,
        201
    );

    let admin_of_other = key(&gateway, &other, "admin", json!({})).await;
    let org_admin = key(&gateway, &acme, "org_admin", json!({})).await;
    let viewer = key(&gateway, &acme, "viewer", json!({})).await;
    let team_admin = key(&gateway, &acme, "team_admin", json!({"team_id": team})).await;
    let member = key(&gateway, &acme, "member", json!({})).await;
    let outsider = key(&gateway, &other, "org_admin", json!({})).await;
    let outside_member = key(&gateway, &other, "member", json!({})).await;

    let purchase = json!({"amount_usd": "1"});
    // An admin key records for any organization, its own or not.
    let reply = call(
        &gateway,
        "POST",
        &credits_path(&acme),
        &admin_of_other,
        Some(purchase.clone()),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text());

    for (who, secret) in [
        ("org_admin", &org_admin),
        ("viewer", &viewer),
        ("team_admin", &team_admin),
        ("member", &member),
    ] {
        let reply = call(
            &gateway,
            "POST",
            &credits_path(&acme),
            secret,
            Some(purchase.clone()),
        )
        .await;
        assert_eq!(reply.status, 403, "{who} records: {}", reply.text());
        assert_eq!(reply.json()["error"]["code"], "forbidden");
        let reply = call(&gateway, "GET", &credits_path(&acme), secret, None).await;
        assert_eq!(reply.status, 200, "{who} reads: {}", reply.text());
        assert_eq!(reply.json()["balance_usd"], "6.000000000");
        // Bad input does not get past the role check.
        let reply = call(
            &gateway,
            "POST",
            &credits_path(&acme),
            secret,
            Some(json!({"amount_usd": "-1"})),
        )
        .await;
        assert_eq!(reply.status, 403, "{who}");
    }
    for (who, secret) in [("outsider", &outsider), ("outside member", &outside_member)] {
        for method in ["GET", "POST"] {
            let body = (method == "POST").then(|| purchase.clone());
            let reply = call(&gateway, method, &credits_path(&acme), secret, body).await;
            assert_eq!(reply.status, 404, "{who} {method}: {}", reply.text());
            assert_eq!(reply.json()["error"]["code"], "not_found");
            // Exactly as for an organization that does not exist.
            let body = (method == "POST").then(|| purchase.clone());
            let reply = call(&gateway, method, &credits_path("org_nope"), secret, body).await;
            assert_eq!(reply.status, 404, "{who} {method} unknown");
        }
    }
    let reply = call(&gateway, "GET", &credits_path(&acme), "tg-not-a-key", None).await;
    assert_eq!(reply.status, 401);
    // Nothing above but the admin's purchase was written.
    let page = call(&gateway, "GET", &credits_path(&acme), MASTER_KEY, None)
        .await
        .json();
    assert_eq!(page["entries"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn bad_input_is_refused_and_writes_nothing() {
    let gateway = common::start().await;
    let acme = org(&gateway, json!({"name": "Acme"})).await;
    let cases = [
        (json!({"amount_usd": "-5"}), "amount_usd"),
        (json!({"amount_usd": "0"}), "amount_usd"),
        (json!({"amount_usd": "0.000"}), "amount_usd"),
        (json!({"amount_usd": "ten"}), "amount_usd"),
        (json!({"amount_usd": "1e3"}), "amount_usd"),
        (json!({"amount_usd": "0.0000000001"}), "amount_usd"),
        (json!({"amount_usd": "99999999999"}), "amount_usd"),
        (json!({"amount_usd": 100}), "amount_usd"),
        (json!({}), "amount_usd"),
        (json!({"amount_usd": "-1", "kind": "refund"}), "amount_usd"),
        (json!({"amount_usd": "0", "kind": "refund"}), "amount_usd"),
        (
            json!({"amount_usd": "0", "kind": "adjustment"}),
            "amount_usd",
        ),
        (
            json!({"amount_usd": "--1", "kind": "adjustment"}),
            "amount_usd",
        ),
        (json!({"amount_usd": "1", "kind": "fee"}), "kind"),
        (json!({"amount_usd": "1", "kind": "spend"}), "kind"),
        (json!({"amount_usd": "1", "kind": "gift"}), "kind"),
        (json!({"amount_usd": "1", "reference": " "}), "reference"),
        (json!({"amount_usd": "1", "colour": "red"}), "colour"),
    ];
    for (body, field) in cases {
        let reply = record(&gateway, &acme, body.clone()).await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.text());
        assert_eq!(reply.json()["error"]["param"], field, "{body}");
    }
    let reply = call(&gateway, "POST", &credits_path(&acme), MASTER_KEY, None).await;
    assert_eq!(reply.status, 400);
    let reply = record(&gateway, "org_nope", json!({"amount_usd": "1"})).await;
    assert_eq!(reply.status, 404, "{}", reply.text());
    let reply = call(&gateway, "GET", &credits_path("org_nope"), MASTER_KEY, None).await;
    assert_eq!(reply.status, 404, "{}", reply.text());

    let page = call(&gateway, "GET", &credits_path(&acme), MASTER_KEY, None)
        .await
        .json();
    assert_eq!(page["entries"], json!([]));
    let org = call(
        &gateway,
        "GET",
        &format!("/admin/v1/organizations/{acme}"),
        MASTER_KEY,
        None,
    )
    .await
    .json();
    assert_eq!(org["credits_enabled"], false);
}

#[tokio::test]
async fn the_openapi_document_lists_credits() {
    let gateway = common::start().await;
    let document = gateway
        .send("GET", "/admin/v1/openapi.json", &[], Bytes::new())
        .await
        .json();
    let path = &document["paths"]["/admin/v1/organizations/{id}/credits"];
    assert!(
        path["post"].is_object() && path["get"].is_object(),
        "{path}"
    );
    let schemas = document["components"]["schemas"].as_object().unwrap();
    for schema in [
        "RecordCreditsRequest",
        "CreditsWrittenView",
        "CreditsPageView",
        "CreditEntryView",
    ] {
        assert!(schemas.contains_key(schema), "{schema} missing");
    }
    for (schema, field) in [
        ("CreateOrgRequest", "credits_enabled"),
        ("CreateOrgRequest", "budget_usd"),
        ("UpdateTeamRequest", "tpm_limit"),
        ("CreateUserRequest", "budget_period"),
        ("OrgView", "budget_usd"),
        ("TeamView", "max_parallel"),
        ("UserView", "budget_usd"),
    ] {
        assert!(
            schemas[schema]["properties"][field].is_object(),
            "{schema}.{field} missing"
        );
    }
}
