#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The admin API's contract (design.md §4.2) seen from outside: keys created over HTTP work on
//! the data plane at once, and every lifecycle step (revoke, rotate, expire) takes effect on the
//! very next request.

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

/// Creates a key as the master key; answers `(id, secret)`.
async fn create_key(gateway: &Gateway, body: Value) -> (String, String) {
    let reply = call(gateway, "POST", "/admin/v1/keys", MASTER_KEY, Some(body)).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let created = reply.json();
    (
        created["id"].as_str().unwrap().to_string(),
        created["key"].as_str().unwrap().to_string(),
    )
}

async fn chat(gateway: &Gateway, key: &str, model: &str) -> Reply {
    call(
        gateway,
        "POST",
        "/v1/chat/completions",
        key,
        Some(json!({"model": model, "messages": [{"role": "user", "content": "Hello"}]})),
    )
    .await
}

#[tokio::test]
async fn create_answers_the_secret_once_and_get_shows_spend_without_it() {
    let gateway = common::start().await;
    let reply = call(
        &gateway,
        "POST",
        "/admin/v1/keys",
        MASTER_KEY,
        Some(json!({
            "name": "ci",
            "models": ["gpt-upstream"],
            "rpm_limit": 60,
            "tpm_limit": 100000,
            "max_parallel": 4,
            "budget_usd": "12.50",
            "budget_period": "monthly",
            "expires_at": "2099-01-01T00:00:00Z",
            "metadata": {"tags": ["ci", "nightly"], "owner": "infra"}
        })),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let created = reply.json();
    let id = created["id"].as_str().unwrap();
    let secret = created["key"].as_str().unwrap();
    assert!(secret.starts_with("tg-"), "{secret}");
    assert!(id.starts_with("key_"), "{id}");
    assert_eq!(created["name"], "ci");
    assert_eq!(created["models"], json!(["gpt-upstream"]));
    assert_eq!(created["rpm_limit"], 60);
    assert_eq!(created["tpm_limit"], 100000);
    assert_eq!(created["max_parallel"], 4);
    assert_eq!(created["budget_usd"], "12.500000000");
    assert_eq!(created["budget_period"], "monthly");
    assert_eq!(created["expires_at"], "2099-01-01T00:00:00.000Z");
    assert_eq!(created["metadata"]["tags"], json!(["ci", "nightly"]));
    assert_eq!(created["role"], "member");
    assert_eq!(created["status"], "active");
    assert_eq!(created["spend_usd"], "0.000000000");
    assert_eq!(created["prefix"], &secret[..10]);

    let reply = gateway.get(&format!("/admin/v1/keys/{id}")).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let key = reply.json();
    assert_eq!(key["id"], id);
    assert_eq!(key["spend_usd"], "0.000000000");
    assert_eq!(key["budget_usd"], "12.500000000");
    assert!(key.get("key").is_none(), "GET shows no secret: {key}");
    assert!(!reply.text().contains(secret));
    assert!(!reply.text().contains("hash"), "{key}");

    let reply = gateway.get("/admin/v1/keys").await;
    assert_eq!(reply.status, 200);
    assert!(!reply.text().contains(secret));
    let list = reply.json();
    let listed: Vec<&Value> = list["data"].as_array().unwrap().iter().collect();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], id);
    assert!(listed[0].get("key").is_none());
    assert_eq!(list["next"], Value::Null);
}

#[tokio::test]
async fn a_created_key_works_and_sees_only_its_models() {
    let gateway = common::start().await;
    let (_, secret) =
        create_key(&gateway, json!({"name": "one", "models": ["gpt-upstream"]})).await;
    let reply = chat(&gateway, &secret, "gpt-upstream").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let reply = chat(&gateway, &secret, "claude-upstream").await;
    assert_eq!(reply.status, 404, "{}", reply.text());

    let reply = call(&gateway, "GET", "/v1/models", &secret, None).await;
    assert_eq!(reply.status, 200);
    let ids: Vec<String> = reply.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|model| model["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, vec!["gpt-upstream"]);

    let (_, open) = create_key(&gateway, json!({"name": "all"})).await;
    assert_eq!(chat(&gateway, &open, "claude-upstream").await.status, 200);
}

#[tokio::test]
async fn revoke_takes_effect_on_the_very_next_request() {
    let gateway = common::start().await;
    let (id, secret) = create_key(&gateway, json!({"name": "soon gone"})).await;
    // The first request caches the key; revocation must still be seen at once.
    assert_eq!(chat(&gateway, &secret, "gpt-upstream").await.status, 200);
    let reply = call(
        &gateway,
        "POST",
        &format!("/admin/v1/keys/{id}/revoke"),
        MASTER_KEY,
        None,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["status"], "revoked");
    let reply = chat(&gateway, &secret, "gpt-upstream").await;
    assert_eq!(reply.status, 401, "{}", reply.text());

    // DELETE is revoke too; a revoked key leaves default listings.
    let (id, secret) = create_key(&gateway, json!({"name": "deleted"})).await;
    assert_eq!(chat(&gateway, &secret, "gpt-upstream").await.status, 200);
    let reply = call(
        &gateway,
        "DELETE",
        &format!("/admin/v1/keys/{id}"),
        MASTER_KEY,
        None,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(chat(&gateway, &secret, "gpt-upstream").await.status, 401);
    let listed = gateway.get("/admin/v1/keys").await.json();
    assert_eq!(listed["data"].as_array().unwrap().len(), 0);
    let listed = gateway
        .get("/admin/v1/keys?include_revoked=true")
        .await
        .json();
    assert_eq!(listed["data"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn rotate_with_grace_keeps_both_and_without_grace_drops_the_old_at_once() {
    let gateway = common::start().await;
    let (id, first) = create_key(&gateway, json!({"name": "rotating"})).await;
    assert_eq!(chat(&gateway, &first, "gpt-upstream").await.status, 200);

    let reply = call(
        &gateway,
        "POST",
        &format!("/admin/v1/keys/{id}/rotate"),
        MASTER_KEY,
        Some(json!({"grace_seconds": 300})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let rotated = reply.json();
    assert_eq!(rotated["id"], id.as_str());
    let second = rotated["key"].as_str().unwrap().to_string();
    assert!(second.starts_with("tg-"));
    assert_ne!(second, first);
    assert_eq!(chat(&gateway, &first, "gpt-upstream").await.status, 200);
    assert_eq!(chat(&gateway, &second, "gpt-upstream").await.status, 200);

    // No body at all: no grace.
    let reply = call(
        &gateway,
        "POST",
        &format!("/admin/v1/keys/{id}/rotate"),
        MASTER_KEY,
        None,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let third = reply.json()["key"].as_str().unwrap().to_string();
    assert_eq!(chat(&gateway, &second, "gpt-upstream").await.status, 401);
    assert_eq!(chat(&gateway, &third, "gpt-upstream").await.status, 200);

    // A revoked key cannot be rotated back to life.
    call(
        &gateway,
        "POST",
        &format!("/admin/v1/keys/{id}/revoke"),
        MASTER_KEY,
        None,
    )
    .await;
    let reply = call(
        &gateway,
        "POST",
        &format!("/admin/v1/keys/{id}/rotate"),
        MASTER_KEY,
        None,
    )
    .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
}

#[tokio::test]
async fn expire_and_patch_take_effect_on_the_next_request() {
    let gateway = common::start().await;
    let (id, secret) = create_key(&gateway, json!({"name": "patched"})).await;
    assert_eq!(chat(&gateway, &secret, "claude-upstream").await.status, 200);

    let reply = call(
        &gateway,
        "PATCH",
        &format!("/admin/v1/keys/{id}"),
        MASTER_KEY,
        Some(json!({"models": ["gpt-upstream"], "budget_usd": "3", "name": "renamed"})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let key = reply.json();
    assert_eq!(key["name"], "renamed");
    assert_eq!(key["budget_usd"], "3.000000000");
    assert_eq!(key["budget_period"], "none");
    assert_eq!(chat(&gateway, &secret, "claude-upstream").await.status, 404);
    assert_eq!(chat(&gateway, &secret, "gpt-upstream").await.status, 200);

    let reply = call(
        &gateway,
        "PATCH",
        &format!("/admin/v1/keys/{id}"),
        MASTER_KEY,
        Some(json!({"models": null, "budget_usd": null})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["models"], Value::Null);
    assert_eq!(reply.json()["budget_usd"], Value::Null);
    assert_eq!(chat(&gateway, &secret, "claude-upstream").await.status, 200);

    let reply = call(
        &gateway,
        "POST",
        &format!("/admin/v1/keys/{id}/expire"),
        MASTER_KEY,
        None,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["status"], "expired");
    let reply = chat(&gateway, &secret, "gpt-upstream").await;
    assert_eq!(reply.status, 401, "{}", reply.text());
}

#[tokio::test]
async fn bad_input_is_a_400_naming_the_field() {
    let gateway = common::start().await;
    let cases = [
        (json!({"name": "x", "budget_usd": 12.5}), "budget_usd"),
        (json!({"name": "x", "budget_usd": "-1"}), "budget_usd"),
        (json!({"name": "x", "budget_usd": "1e3"}), "budget_usd"),
        (
            json!({"name": "x", "budget_usd": "0.0000000001"}),
            "budget_usd",
        ),
        (
            json!({"name": "x", "budget_usd": "5", "budget_period": "yearly"}),
            "budget_period",
        ),
        (
            json!({"name": "x", "budget_period": "daily"}),
            "budget_period",
        ),
        (json!({"name": "x", "expires_at": "tomorrow"}), "expires_at"),
        (
            json!({"name": "x", "expires_at": "2001-01-01T00:00:00Z"}),
            "expires_at",
        ),
        (json!({"name": "x", "expires_at": true}), "expires_at"),
        (json!({"name": "x", "colour": "red"}), "colour"),
        (json!({"name": "x", "rpm_limit": -1}), "rpm_limit"),
        (json!({"name": "x", "rpm_limit": 0}), "rpm_limit"),
        (json!({"name": "x", "models": []}), "models"),
        (json!({"name": "x", "models": "gpt-upstream"}), "models"),
        (json!({"name": "x", "role": "superuser"}), "role"),
        (
            json!({"name": "x", "metadata": {"tags": [1]}}),
            "metadata.tags",
        ),
        (json!({"name": "x", "metadata": "x"}), "metadata"),
        (json!({"name": "  "}), "name"),
        (json!({"models": ["gpt-upstream"]}), "name"),
        (json!({"name": "x", "role": "org_admin"}), "org_id"),
    ];
    for (body, field) in cases {
        let reply = call(
            &gateway,
            "POST",
            "/admin/v1/keys",
            MASTER_KEY,
            Some(body.clone()),
        )
        .await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.text());
        let error = &reply.json()["error"];
        assert_eq!(error["param"], field, "{body}: {error}");
        assert!(
            error["message"].as_str().unwrap().contains(field),
            "{error}"
        );
        assert_eq!(error["type"], "invalid_request_error");
        assert_eq!(error["code"], "invalid_field");
    }

    let reply = gateway
        .send(
            "POST",
            "/admin/v1/keys",
            &[("authorization", &format!("Bearer {MASTER_KEY}"))],
            Bytes::from_static(b"{\"name\":"),
        )
        .await;
    assert_eq!(reply.status, 400);
    let reply = gateway
        .send(
            "POST",
            "/admin/v1/keys",
            &[("authorization", &format!("Bearer {MASTER_KEY}"))],
            Bytes::new(),
        )
        .await;
    assert_eq!(reply.status, 400);

    let reply = gateway.get("/admin/v1/keys?limit=0").await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"]["param"], "limit");
    let reply = gateway.get("/admin/v1/keys?limit=abc").await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"]["param"], "limit");
    let reply = gateway.get("/admin/v1/usage?grup_by=model").await;
    assert_eq!(reply.status, 400);
    let error = &reply.json()["error"];
    assert_eq!(error["param"], "grup_by");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("grup_by: unknown field"),
        "{error}"
    );
    let reply = gateway.get("/admin/v1/usage?bucket=week").await;
    assert_eq!(reply.json()["error"]["param"], "bucket");
    let reply = gateway.get("/admin/v1/usage?group_by=model,colour").await;
    assert_eq!(reply.json()["error"]["param"], "group_by");
    let reply = gateway.get("/admin/v1/usage?from=yesterday").await;
    assert_eq!(reply.json()["error"]["param"], "from");

    let reply = gateway.get("/admin/v1/keys/key_nope").await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json()["error"]["code"], "not_found");

    // No key, a wrong key: 401 in the admin error shape.
    let reply = gateway
        .send("GET", "/admin/v1/keys", &[], Bytes::new())
        .await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json()["error"]["type"], "authentication_error");
    let reply = call(&gateway, "GET", "/admin/v1/keys", "tg-wrong", None).await;
    assert_eq!(reply.status, 401);
}

#[tokio::test]
async fn expires_at_takes_unix_seconds_and_offsets() {
    let gateway = common::start().await;
    let reply = call(
        &gateway,
        "POST",
        "/admin/v1/keys",
        MASTER_KEY,
        Some(json!({"name": "s", "expires_at": 4_102_444_800_i64})),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(reply.json()["expires_at"], "2100-01-01T00:00:00.000Z");
    let reply = call(
        &gateway,
        "POST",
        "/admin/v1/keys",
        MASTER_KEY,
        Some(json!({"name": "o", "expires_at": "2100-01-01T02:00:00+02:00"})),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(reply.json()["expires_at"], "2100-01-01T00:00:00.000Z");
}

#[tokio::test]
async fn keys_list_pages_with_a_cursor() {
    let gateway = common::start().await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(
            create_key(&gateway, json!({"name": format!("k{n}")}))
                .await
                .0,
        );
    }
    let mut seen = Vec::new();
    let mut path = "/admin/v1/keys?limit=2".to_string();
    loop {
        let page = gateway.get(&path).await.json();
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= 2);
        seen.extend(
            data.iter()
                .map(|key| key["id"].as_str().unwrap().to_string()),
        );
        match page["next"].as_str() {
            Some(next) => path = format!("/admin/v1/keys?limit=2&after={next}"),
            None => break,
        }
    }
    assert_eq!(seen, ids);
}

#[tokio::test]
async fn the_openapi_document_is_public_and_lists_the_key_paths() {
    let gateway = common::start().await;
    let reply = gateway
        .send("GET", "/admin/v1/openapi.json", &[], Bytes::new())
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let document = reply.json();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    let paths = document["paths"].as_object().unwrap();
    for path in [
        "/admin/v1/keys",
        "/admin/v1/keys/{id}",
        "/admin/v1/keys/{id}/rotate",
        "/admin/v1/keys/{id}/revoke",
        "/admin/v1/keys/{id}/expire",
        "/admin/v1/organizations",
        "/admin/v1/teams/{id}",
        "/admin/v1/users",
        "/admin/v1/usage",
        "/admin/v1/spend/logs",
    ] {
        assert!(paths.contains_key(path), "{path} missing");
    }
    assert!(paths["/admin/v1/keys"]["post"].is_object());
    assert!(paths["/admin/v1/keys/{id}"]["patch"].is_object());
    assert!(paths["/admin/v1/keys/{id}"]["delete"].is_object());
    let schemas = document["components"]["schemas"].as_object().unwrap();
    for schema in [
        "CreateKeyRequest",
        "CreatedKeyView",
        "KeyView",
        "ErrorBody",
        "UsageResponse",
    ] {
        assert!(schemas.contains_key(schema), "{schema} missing");
    }
    let budget = &schemas["CreateKeyRequest"]["properties"]["budget_usd"];
    assert!(budget.to_string().contains("string"), "{budget}");
    assert!(document["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn usage_and_spend_logs_after_real_calls() {
    let gateway = common::start().await;
    let (key_a, secret_a) = create_key(&gateway, json!({"name": "a"})).await;
    let (key_b, secret_b) = create_key(&gateway, json!({"name": "b"})).await;
    for _ in 0..2 {
        assert_eq!(chat(&gateway, &secret_a, "gpt-upstream").await.status, 200);
    }
    assert_eq!(
        chat(&gateway, &secret_b, "claude-upstream").await.status,
        200
    );
    let rows = gateway.spend_rows(3).await;
    assert_eq!(rows.len(), 3, "the gateway records one spend row per call");

    let reply = gateway
        .get("/admin/v1/usage?group_by=key,model&bucket=day")
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let usage = reply.json();
    assert_eq!(usage["bucket"], "day");
    assert_eq!(usage["group_by"], json!(["key", "model"]));
    let data = usage["data"].as_array().unwrap();
    assert_eq!(data.len(), 2, "{usage}");
    let row_a = data
        .iter()
        .find(|row| row["key_id"] == key_a.as_str())
        .unwrap();
    assert_eq!(row_a["requests"], 2);
    assert_eq!(row_a["model"], "gpt-upstream");
    assert!(row_a["input_tokens"].as_u64().unwrap() > 0, "{row_a}");
    let cost = row_a["cost_usd"].as_str().unwrap();
    assert!(
        cost.contains('.') && cost.split('.').nth(1).unwrap().len() == 9,
        "{cost}"
    );
    assert!(
        row_a["bucket_start"]
            .as_str()
            .unwrap()
            .ends_with("T00:00:00.000Z")
    );

    // Filtered to one key.
    let usage = gateway
        .get(&format!("/admin/v1/usage?key_id={key_b}&group_by=provider"))
        .await
        .json();
    let data = usage["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "{usage}");
    assert_eq!(data[0]["requests"], 1);
    assert_eq!(data[0]["provider"], "fake-anthropic");

    // A window in the past has nothing.
    let usage = gateway
        .get("/admin/v1/usage?from=2001-01-01T00:00:00Z&to=2001-01-02T00:00:00Z")
        .await
        .json();
    assert_eq!(usage["data"], json!([]));

    // Spend logs, newest first, paged.
    let page = gateway.get("/admin/v1/spend/logs?limit=2").await.json();
    let data = page["data"].as_array().unwrap();
    assert_eq!(data.len(), 2, "{page}");
    assert_eq!(data[0]["key_id"], key_b.as_str());
    assert_eq!(data[0]["model"], "claude-upstream");
    // The caller's own id is always listed (`null` when it sent none).
    assert!(
        data[0]
            .as_object()
            .unwrap()
            .contains_key("client_request_id"),
        "{page}"
    );
    let next = page["next"].as_str().unwrap();
    let page = gateway
        .get(&format!("/admin/v1/spend/logs?limit=2&after={next}"))
        .await
        .json();
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    assert_eq!(page["next"], Value::Null);

    // The key's settled spend is what its rows cost.
    let key = gateway.get(&format!("/admin/v1/keys/{key_a}")).await.json();
    assert_eq!(key["spend_usd"], row_a["cost_usd"]);
}
