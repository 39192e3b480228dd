#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Guardrail settings per organization, team and key: the config's `guardrails:` section with
//! each level's `guardrails` override laid over it (admin API), content policy with its
//! `content_policy_violation` refusal and fallback model, answers checked too, and the admin
//! API's validation and permissions.

mod common;

use common::{Gateway, MASTER_KEY, sse_events};
use serde_json::{Value, json};
use tollgate_config::{GuardrailsConfig, PolicyConfig};

const EMAIL: &str = "alice.smith@example.com";

fn ask(model: &str, text: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": text}]})
}

fn with_system(system: &str, text: &str) -> Value {
    json!({"model": "gpt-upstream", "messages": [
        {"role": "system", "content": system},
        {"role": "user", "content": text}]})
}

async fn chat(gateway: &Gateway, key: &str, body: &Value) -> common::Reply {
    gateway
        .send(
            "POST",
            "/v1/chat/completions",
            &[("authorization", &format!("Bearer {key}"))],
            serde_json::to_vec(body).unwrap().into(),
        )
        .await
}

async fn admin(gateway: &Gateway, method: &str, path: &str, body: &Value) -> common::Reply {
    admin_as(gateway, MASTER_KEY, method, path, body).await
}

async fn admin_as(
    gateway: &Gateway,
    key: &str,
    method: &str,
    path: &str,
    body: &Value,
) -> common::Reply {
    gateway
        .send(
            method,
            path,
            &[("authorization", &format!("Bearer {key}"))],
            serde_json::to_vec(body).unwrap().into(),
        )
        .await
}

/// Creates a key; returns `(id, secret)`.
async fn key(gateway: &Gateway, body: Value) -> (String, String) {
    let reply = admin(gateway, "POST", "/admin/v1/keys", &body).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let created = reply.json();
    (
        created["id"].as_str().unwrap().to_string(),
        created["key"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn a_key_override_blocks_emails_where_another_key_passes() {
    let gateway = common::start_with_guardrails(GuardrailsConfig::default()).await;
    let (strict_id, strict) = key(
        &gateway,
        json!({"name": "strict", "guardrails": {"pii": {"entities": {"email": "block"}}}}),
    )
    .await;
    let (_, plain) = key(&gateway, json!({"name": "plain"})).await;

    let body = ask("gpt-upstream", &format!("write to {EMAIL}"));
    let refused = chat(&gateway, &strict, &body).await;
    assert_eq!(refused.status, 400, "{}", refused.text());
    assert_eq!(refused.json()["error"]["code"], "pii_blocked");
    let hits_before = gateway.mock.total_hits();
    let passed = chat(&gateway, &plain, &body).await;
    assert_eq!(passed.status, 200, "{}", passed.text());
    assert_eq!(gateway.mock.total_hits(), hits_before + 1);

    // GET shows the override in canonical form; PATCH null clears it and applies at once.
    let shown = admin(
        &gateway,
        "GET",
        &format!("/admin/v1/keys/{strict_id}"),
        &json!({}),
    )
    .await;
    assert_eq!(
        shown.json()["guardrails"],
        json!({"pii": {"entities": {"email": "block"}}})
    );
    let cleared = admin(
        &gateway,
        "PATCH",
        &format!("/admin/v1/keys/{strict_id}"),
        &json!({"guardrails": null}),
    )
    .await;
    assert_eq!(cleared.status, 200, "{}", cleared.text());
    assert!(cleared.json().get("guardrails").is_none_or(Value::is_null));
    let now_passes = chat(&gateway, &strict, &body).await;
    assert_eq!(now_passes.status, 200, "{}", now_passes.text());
}

#[tokio::test]
async fn team_and_org_overrides_apply_to_their_keys_and_keys_cannot_loosen_them() {
    let gateway = common::start_with_guardrails(GuardrailsConfig::default()).await;
    let org = admin(
        &gateway,
        "POST",
        "/admin/v1/organizations",
        &json!({"name": "acme", "guardrails": {"policy": {"deny": ["orgsecret"]}}}),
    )
    .await;
    assert_eq!(org.status, 201, "{}", org.text());
    let org_id = org.json()["id"].as_str().unwrap().to_string();
    let team = admin(
        &gateway,
        "POST",
        "/admin/v1/teams",
        &json!({"org_id": org_id, "name": "search",
                "guardrails": {"pii": {"entities": {"email": "block"}}}}),
    )
    .await;
    assert_eq!(team.status, 201, "{}", team.text());
    let team_id = team.json()["id"].as_str().unwrap().to_string();
    let (_, in_team) = key(&gateway, json!({"name": "t", "team_id": team_id})).await;
    let (_, in_org) = key(&gateway, json!({"name": "o", "org_id": org_id})).await;
    let (_, relaxed) = key(
        &gateway,
        json!({"name": "r", "team_id": team_id,
               "guardrails": {"pii": {"entities": {"email": "log"}}, "policy": {"mode": "log"}}}),
    )
    .await;

    let email = ask("gpt-upstream", &format!("mail {EMAIL}"));
    let word = ask("gpt-upstream", "the OrgSecret is out");
    assert_eq!(chat(&gateway, &in_team, &email).await.status, 400);
    assert_eq!(chat(&gateway, &in_org, &email).await.status, 200);
    // The organization's deny list reaches both its team's keys and its own.
    for key in [&in_team, &in_org] {
        let refused = chat(&gateway, key, &word).await;
        assert_eq!(refused.status, 400, "{}", refused.text());
        assert_eq!(refused.json()["error"]["code"], "content_policy_violation");
    }
    // A key's override cannot loosen its team's or organization's (the floor policy): its
    // `email: log` and its `policy.mode: log` (which covers its own rules only) change nothing.
    assert_eq!(chat(&gateway, &relaxed, &email).await.status, 400);
    assert_eq!(chat(&gateway, &relaxed, &word).await.status, 400);

    // A team PATCH applies from the next request (the caches are stamped by the auth
    // generation), and keys with the same effective settings share one compiled guard.
    let patched = admin(
        &gateway,
        "PATCH",
        &format!("/admin/v1/teams/{team_id}"),
        &json!({"guardrails": null}),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_eq!(chat(&gateway, &in_team, &email).await.status, 200);
    let compiled_before = gateway.state.guardrails().unwrap().compiled_count();
    let (_, twin) = key(&gateway, json!({"name": "twin", "team_id": team_id})).await;
    assert_eq!(chat(&gateway, &twin, &word).await.status, 400);
    assert_eq!(
        gateway.state.guardrails().unwrap().compiled_count(),
        compiled_before,
        "same effective settings, no new compilation"
    );
}

#[tokio::test]
async fn a_config_deny_word_is_refused_in_both_dialects() {
    let mut config = GuardrailsConfig::default();
    config.policy.deny = vec!["forbidden topic".into()];
    let gateway = common::start_with_guardrails(config).await;
    let hits = gateway.mock.total_hits();
    let reply = gateway
        .post_json(
            "/v1/chat/completions",
            &ask("gpt-upstream", "tell me about the FORBIDDEN   topic"),
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    let error = &reply.json()["error"];
    assert_eq!(error["code"], "content_policy_violation");
    assert!(error["message"].as_str().unwrap().contains("`deny`"));
    let anthropic = gateway
        .post_anthropic(&json!({"model": "claude-upstream", "max_tokens": 10,
            "messages": [{"role": "user", "content": "the forbidden topic"}]}))
        .await;
    assert_eq!(anthropic.status, 400, "{}", anthropic.text());
    assert_eq!(anthropic.json()["type"], "error");
    assert_eq!(anthropic.json()["error"]["type"], "invalid_request_error");
    assert_eq!(gateway.mock.total_hits(), hits, "no provider was called");
    let rows = gateway.spend_rows(2).await;
    assert!(rows.iter().all(|r| r.status == 400
        && r.error_class.as_deref() == Some("content_policy_violation")
        && r.guardrails.as_ref().unwrap()["policy_rules"] == json!(["deny"])));
}

#[tokio::test]
async fn with_a_fallback_model_a_policy_hit_is_served_by_it() {
    let mut config = GuardrailsConfig::default();
    config.policy.regex = vec![r"(?i)project\s+nightingale".into()];
    config.policy.fallback_model = Some("claude-upstream".into());
    let gateway = common::start_with_guardrails(config).await;
    // The denied phrase is in the system turn: the mock echoes only the last user turn, so the
    // fallback's answer is clean (answers are checked too, see the next test).
    let reply = gateway
        .post_json(
            "/v1/chat/completions",
            &with_system("about Project Nightingale", "status?"),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("x-tollgate-provider"), Some("fake-anthropic"));
    let rows = gateway.spend_rows(1).await;
    let row = &rows[0];
    assert_eq!(row.status, 200);
    assert_eq!(row.provider.as_deref(), Some("fake-anthropic"));
    let findings = row.guardrails.as_ref().unwrap();
    assert_eq!(findings["fallback_model"], "claude-upstream");
    assert_eq!(findings["policy_rules"], json!([PolicyConfig::REGEX_RULE]));
}

#[tokio::test]
async fn a_fallback_models_answer_goes_through_the_output_checks() {
    let mut config = GuardrailsConfig::default();
    config.policy.deny = vec!["nightingale".into()];
    config.policy.fallback_model = Some("claude-upstream".into());
    // A custom entity only answers contain (the mock answers `echo: <last user text>`).
    config.pii.custom = vec![tollgate_config::CustomEntityConfig {
        name: "marker".into(),
        regex: Some(r"echo: \w+".into()),
        words: vec![],
        mode: tollgate_config::PiiMode::Redact,
    }];
    let gateway = common::start_with_guardrails(config).await;
    let body = with_system("about nightingale", "hello world");
    let reply = gateway.post_json("/v1/chat/completions", &body).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("x-tollgate-provider"), Some("fake-anthropic"));
    let answer = reply.json()["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(answer, "<MARKER_1> world", "PII-scanned after the reroute");
    let mut streamed_body = body.clone();
    streamed_body["stream"] = json!(true);
    let streamed = gateway
        .post_json("/v1/chat/completions", &streamed_body)
        .await;
    assert_eq!(streamed.status, 200);
    let text = streamed.text();
    assert!(!text.contains("echo: hello"), "{text}");
    assert!(text.contains("MARKER_1"), "{text}");

    // A key whose own rule matches only the fallback's (scanned) answer: the answer is refused,
    // streamed or not (before, a rerouted answer skipped the content policy).
    let (_, scanned_key) = key(
        &gateway,
        json!({"name": "k", "guardrails": {"policy": {"regex": ["<MARKER_1>"]}}}),
    )
    .await;
    let refused = chat(&gateway, &scanned_key, &body).await;
    assert_eq!(refused.status, 400, "{}", refused.text());
    assert_eq!(refused.json()["error"]["code"], "content_policy_violation");
    // Streamed answers are policed after the PII scan too, as they are released.
    let streamed = chat(&gateway, &scanned_key, &streamed_body).await;
    let text = streamed.text();
    assert!(text.contains("content_policy_violation"), "{text}");
    assert!(!text.contains("MARKER_1"), "{text}");
    // A rule on the raw text matches neither form: the scanner replaced it before the policy.
    let (_, raw_key) = key(
        &gateway,
        json!({"name": "r", "guardrails": {"policy": {"regex": ["echo:"]}}}),
    )
    .await;
    let streamed = chat(&gateway, &raw_key, &streamed_body).await;
    let text = streamed.text();
    assert!(!text.contains("content_policy_violation"), "{text}");
    let answered = chat(&gateway, &raw_key, &body).await;
    assert_eq!(answered.status, 200, "{}", answered.text());
    let rows = gateway.spend_rows(6).await;
    assert!(
        rows.iter()
            .all(|r| r.guardrails.as_ref().unwrap()["fallback_model"] == "claude-upstream"),
        "every call was rerouted"
    );
}

#[tokio::test]
async fn answers_are_checked_against_the_policy_too() {
    let gateway = common::start_with_guardrails(GuardrailsConfig::default()).await;
    // The mock answers `echo: <prompt>`: a rule on `echo:` never matches the prompt itself.
    let (_, key) = key(
        &gateway,
        json!({"name": "k", "guardrails": {"policy": {"regex": ["echo:"]}}}),
    )
    .await;
    let refused = chat(&gateway, &key, &ask("gpt-upstream", "hello there")).await;
    assert_eq!(refused.status, 400, "{}", refused.text());
    assert_eq!(refused.json()["error"]["code"], "content_policy_violation");
    let rows = gateway.spend_rows(1).await;
    assert!(
        rows[0].usage.output_tokens > 0,
        "the answer is still paid for"
    );

    let mut body = ask("gpt-upstream", "hello there");
    body["stream"] = json!(true);
    let streamed = chat(&gateway, &key, &body).await;
    assert_eq!(streamed.status, 200);
    let events = sse_events(&streamed.text());
    let text = streamed.text();
    assert!(!text.contains("echo:"), "{text}");
    assert!(
        events
            .iter()
            .any(|(_, data)| data.contains("content_policy_violation")),
        "{text}"
    );
}

#[tokio::test]
async fn admin_validation_names_the_field() {
    let gateway = common::start_with_guardrails(GuardrailsConfig::default()).await;
    let cases = [
        (json!({"pii": {"modes": "log"}}), "guardrails.pii.modes"),
        (json!({"pii": {"mode": "scramble"}}), "guardrails.pii.mode"),
        (
            json!({"pii": {"entities": {"emial": "block"}}}),
            "guardrails.pii.entities.emial",
        ),
        (
            json!({"pii": {"custom": [{"name": "t", "regex": "(", "mode": "redact"}]}}),
            "guardrails.pii.custom[0].regex",
        ),
        (
            json!({"policy": {"regex": ["ok", "[z-a]"]}}),
            "guardrails.policy.regex[1]",
        ),
        (
            json!({"policy": {"fallback_model": "nope"}}),
            "guardrails.policy.fallback_model",
        ),
        (
            json!({"injection": {"threshold": 3}}),
            "guardrails.injection.threshold",
        ),
        (json!(["pii"]), "guardrails"),
    ];
    for (guardrails, param) in cases {
        let reply = admin(
            &gateway,
            "POST",
            "/admin/v1/keys",
            &json!({"name": "k", "guardrails": guardrails}),
        )
        .await;
        assert_eq!(reply.status, 400, "{guardrails}: {}", reply.text());
        let error = &reply.json()["error"];
        assert_eq!(error["param"], param, "{guardrails}: {error}");
        assert!(
            error["message"].as_str().unwrap().starts_with(param),
            "{error}"
        );
    }
    // Several problems are listed together.
    let reply = admin(
        &gateway,
        "POST",
        "/admin/v1/organizations",
        &json!({"name": "o", "guardrails": {"pii": {"mode": "x"}, "policy": {"mode": "y"}}}),
    )
    .await;
    assert_eq!(reply.status, 400);
    let message = reply.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("guardrails.pii.mode") && message.contains("guardrails.policy.mode"),
        "{message}"
    );
    // The document describes the object.
    let doc = gateway.get("/admin/v1/openapi.json").await.json();
    assert!(doc["components"]["schemas"]["GuardrailsValue"].is_object());
    let key_schema = &doc["components"]["schemas"]["CreateKeyRequest"]["properties"];
    assert!(key_schema.get("guardrails").is_some(), "{key_schema}");
}

#[tokio::test]
async fn who_may_set_guardrails() {
    let gateway = common::start_with_guardrails(GuardrailsConfig::default()).await;
    let org = admin(
        &gateway,
        "POST",
        "/admin/v1/organizations",
        &json!({"name": "acme"}),
    )
    .await;
    let org_id = org.json()["id"].as_str().unwrap().to_string();
    let team = admin(
        &gateway,
        "POST",
        "/admin/v1/teams",
        &json!({"org_id": org_id, "name": "t"}),
    )
    .await;
    let team_id = team.json()["id"].as_str().unwrap().to_string();
    let (_, org_admin) = key(
        &gateway,
        json!({"name": "oa", "org_id": org_id, "role": "org_admin"}),
    )
    .await;
    let (_, team_admin) = key(
        &gateway,
        json!({"name": "ta", "team_id": team_id, "role": "team_admin"}),
    )
    .await;
    let set = json!({"guardrails": {"injection": {"mode": "block", "threshold": 0.3}}});
    let org_path = format!("/admin/v1/organizations/{org_id}");
    let team_path = format!("/admin/v1/teams/{team_id}");

    // An org admin sets its org's guardrails, but not its budget.
    assert_eq!(
        admin_as(&gateway, &org_admin, "PATCH", &org_path, &set)
            .await
            .status,
        200
    );
    let budget = json!({"budget_usd": "5.00"});
    assert_eq!(
        admin_as(&gateway, &org_admin, "PATCH", &org_path, &budget)
            .await
            .status,
        403
    );
    // A team admin sets its team's, not its org's.
    assert_eq!(
        admin_as(&gateway, &team_admin, "PATCH", &team_path, &set)
            .await
            .status,
        200
    );
    assert_eq!(
        admin_as(&gateway, &team_admin, "PATCH", &org_path, &set)
            .await
            .status,
        403
    );
    let renamed = json!({"name": "renamed"});
    assert_eq!(
        admin_as(&gateway, &team_admin, "PATCH", &team_path, &renamed)
            .await
            .status,
        403
    );
    let shown = admin(&gateway, "GET", &team_path, &json!({})).await.json();
    assert_eq!(shown["guardrails"]["injection"]["threshold"], 0.3);
}

#[tokio::test]
async fn overrides_looser_than_the_config_are_refused_for_every_role() {
    let mut config = GuardrailsConfig::default();
    config.pii.mode = tollgate_config::PiiMode::Redact;
    let gateway = common::start_with_guardrails(config).await;
    let org = admin(
        &gateway,
        "POST",
        "/admin/v1/organizations",
        &json!({"name": "acme"}),
    )
    .await;
    let org_id = org.json()["id"].as_str().unwrap().to_string();
    let team = admin(
        &gateway,
        "POST",
        "/admin/v1/teams",
        &json!({"org_id": org_id, "name": "t"}),
    )
    .await;
    let team_id = team.json()["id"].as_str().unwrap().to_string();
    let (_, org_admin) = key(
        &gateway,
        json!({"name": "oa", "org_id": org_id, "role": "org_admin"}),
    )
    .await;
    let (_, team_admin) = key(
        &gateway,
        json!({"name": "ta", "team_id": team_id, "role": "team_admin"}),
    )
    .await;
    let (member_id, member) = key(&gateway, json!({"name": "m", "team_id": team_id})).await;
    let loosen = json!({"guardrails": {"pii": {"mode": "off"}}});
    let cases = [
        (MASTER_KEY, format!("/admin/v1/organizations/{org_id}")),
        (
            org_admin.as_str(),
            format!("/admin/v1/organizations/{org_id}"),
        ),
        (org_admin.as_str(), format!("/admin/v1/teams/{team_id}")),
        (team_admin.as_str(), format!("/admin/v1/teams/{team_id}")),
        (team_admin.as_str(), format!("/admin/v1/keys/{member_id}")),
    ];
    for (actor, path) in &cases {
        let reply = admin_as(&gateway, actor, "PATCH", path, &loosen).await;
        assert_eq!(reply.status, 400, "{path}: {}", reply.text());
        let error = &reply.json()["error"];
        assert_eq!(error["param"], "guardrails.pii.mode", "{error}");
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains("looser") && message.contains("only tighten"),
            "{message}"
        );
    }
    let body = ask("gpt-upstream", &format!("mail {EMAIL}"));
    let reply = chat(&gateway, &member, &body).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(
        !gateway
            .mock
            .last_request()
            .unwrap()
            .body_text()
            .contains(EMAIL),
        "still redacted"
    );

    // Tightening is accepted; a team looser than its organization is stored but has no effect.
    let tighten = json!({"guardrails": {"pii": {"entities": {"email": "block"}}}});
    let org_path = format!("/admin/v1/organizations/{org_id}");
    let reply = admin_as(&gateway, &org_admin, "PATCH", &org_path, &tighten).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let team_path = format!("/admin/v1/teams/{team_id}");
    let under_org = json!({"guardrails": {"pii": {"entities": {"email": "redact"}}}});
    let reply = admin_as(&gateway, &team_admin, "PATCH", &team_path, &under_org).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let refused = chat(&gateway, &member, &body).await;
    assert_eq!(refused.status, 400, "{}", refused.text());
    assert_eq!(refused.json()["error"]["code"], "pii_blocked");
}
