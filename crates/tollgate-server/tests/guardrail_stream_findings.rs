#![allow(clippy::unwrap_used, clippy::expect_used)]
//! What the output guardrails find in a streamed answer lands in the spend row (`output_pii`,
//! `output_policy_rules`, `output_policy_categories`, merged over choices, as for an answer in
//! one piece) and in `/metrics`; also for a caller who leaves mid-stream (what was found in the
//! text sent so far), and when the content policy ends the stream.

mod common;

use std::time::{Duration, Instant};

use common::sse_events;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tollgate_config::{GuardrailsConfig, PiiMode, PolicyMode, PolicyRuleConfig};
use tollgate_mock::Fault;

const EMAIL: &str = "alice.smith@example.com";

/// PII in `mode` (answers scanned), and a `violence/weapons` rule denying `bazooka` in `policy`.
fn config(mode: PiiMode, policy: PolicyMode) -> GuardrailsConfig {
    let mut config = GuardrailsConfig::default();
    config.pii.mode = mode;
    config.policy.rules = vec![PolicyRuleConfig {
        name: "weapons".into(),
        category: Some("violence".into()),
        deny: vec!["bazooka".into()],
        regex: vec![],
        mode: None,
    }];
    config.policy.categories.insert("violence".into(), policy);
    config
}

/// The next upstream call answers this OpenAI stream: one chunk per piece, `n` choices.
fn script_stream(gateway: &common::Gateway, pieces: &[&str], choices: u32) {
    let chunk = |choice: u32, delta: Value, finish: Value| {
        json!({"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": 1,
            "model": "gpt-4o-mini",
            "choices": [{"index": choice, "delta": delta, "finish_reason": finish}]})
    };
    let mut events = Vec::new();
    for piece in pieces {
        for choice in 0..choices {
            events.push(chunk(choice, json!({"content": piece}), Value::Null));
        }
    }
    for choice in 0..choices {
        events.push(chunk(choice, json!({}), json!("stop")));
    }
    let mut body: String = events.iter().map(|e| format!("data: {e}\n\n")).collect();
    body.push_str("data: [DONE]\n\n");
    gateway.mock.push_fault(Fault::Status {
        status: 200,
        body: Some(body),
        headers: vec![("content-type".into(), "text/event-stream".into())],
    });
}

/// Each choice's streamed text, concatenated.
fn streamed_text(body: &str) -> String {
    sse_events(body)
        .iter()
        .filter_map(|(_, data)| serde_json::from_str::<Value>(data).ok())
        .flat_map(|chunk| {
            chunk["choices"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c["delta"]["content"].as_str().map(str::to_string))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Asserts `/metrics` has this exact series line.
async fn assert_metric(gateway: &common::Gateway, line: &str) {
    let metrics = gateway.get("/metrics").await.text();
    assert!(
        metrics.lines().any(|l| l == line),
        "missing `{line}` in:\n{metrics}"
    );
}

#[tokio::test]
async fn a_streamed_answers_findings_reach_the_spend_row_and_the_metrics() {
    let gateway = common::start_with_guardrails(config(PiiMode::Redact, PolicyMode::Log)).await;
    // The email is cut in three pieces, `bazooka` in two; two interleaved choices.
    script_stream(
        &gateway,
        &[
            "Write to alice.sm",
            "ith@exam",
            "ple.com about the bazo",
            "oka, ok?",
        ],
        2,
    );
    let body = json!({"model": "gpt-upstream", "stream": true, "n": 2,
        "messages": [{"role": "user", "content": "hi"}]});
    let reply = gateway.post_json("/v1/chat/completions", &body).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let text = streamed_text(&reply.text());
    assert!(!text.contains(EMAIL), "{text}");
    assert!(text.contains("bazooka"), "log mode lets it through: {text}");

    let rows = gateway.spend_rows(1).await;
    assert_eq!(rows[0].status, 200);
    let found = rows[0].guardrails.clone().expect("findings recorded");
    assert_eq!(
        found,
        json!({
            "output_pii": {"email": 2},
            "output_policy_rules": ["violence/weapons"],
            "output_policy_categories": ["violence"],
        }),
        "the same keys and shape as an answer in one piece, merged over both choices"
    );
    assert!(!found.to_string().contains("alice"));

    assert!(
        rows[0].ttft_ms.is_some(),
        "text held back to the end is still a first token"
    );

    assert_metric(
        &gateway,
        r#"tollgate_guardrail_findings_total{guardrail="output_pii",finding="email"} 2"#,
    )
    .await;
    assert_metric(
        &gateway,
        r#"tollgate_guardrail_findings_total{guardrail="output_policy",finding="violence/weapons"} 1"#,
    )
    .await;
    assert_metric(
        &gateway,
        r#"tollgate_guardrail_findings_total{guardrail="output_policy_category",finding="violence"} 1"#,
    )
    .await;
}

#[tokio::test]
async fn a_stream_the_policy_ends_records_the_rule_that_ended_it() {
    let gateway = common::start_with_guardrails(config(PiiMode::Redact, PolicyMode::Block)).await;
    script_stream(
        &gateway,
        &["Mail alice.smith@", "example.com for a bazo", "oka."],
        1,
    );
    let body = json!({"model": "gpt-upstream", "stream": true,
        "messages": [{"role": "user", "content": "hi"}]});
    let reply = gateway.post_json("/v1/chat/completions", &body).await;
    let text = reply.text();
    assert!(text.contains("content_policy_violation"), "{text}");
    assert!(!text.contains("bazooka"), "{text}");
    assert!(!text.contains(EMAIL), "{text}");

    let rows = gateway.spend_rows(1).await;
    assert_eq!(rows[0].status, 400);
    assert_eq!(
        rows[0].error_class.as_deref(),
        Some("content_policy_violation")
    );
    let found = rows[0].guardrails.clone().expect("findings recorded");
    assert_eq!(found["output_policy_rules"], json!(["violence/weapons"]));
    assert_eq!(found["output_policy_categories"], json!(["violence"]));
    assert_metric(
        &gateway,
        r#"tollgate_guardrail_findings_total{guardrail="output_policy",finding="violence/weapons"} 1"#,
    )
    .await;
}

#[tokio::test]
async fn a_caller_who_leaves_mid_stream_still_gets_what_was_found_so_far_recorded() {
    // PII in `log` mode: the prompt's email reaches the echoed answer, unchanged, and is
    // counted there as it is sent.
    let gateway = common::start_with_guardrails(config(PiiMode::Log, PolicyMode::Log)).await;
    // The mock echoes one word per event, 30 ms apart. After the email and `bazooka`, enough
    // text to push them past the scanner's hold-back, then much more: ~3 s of stream.
    let filler = vec!["abcdefghijklmnopqrstuvwxyz"; 100].join(" ");
    let prompt = format!("write {EMAIL} a bazooka {filler}");
    let body = json!({"model": "fake-openai/slow-stream-30-gpt", "stream": true,
        "messages": [{"role": "user", "content": prompt}]})
    .to_string();
    let address = gateway.base.trim_start_matches("http://");
    let mut socket = TcpStream::connect(address).await.unwrap();
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        common::MASTER_KEY,
        body.len()
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("bazooka") {
        let read = tokio::time::timeout(Duration::from_secs(5), socket.read(&mut buffer))
            .await
            .expect("the answer's start in time")
            .unwrap();
        assert!(
            read > 0,
            "gateway closed early: {}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buffer[..read]);
    }
    let left_at = Instant::now();
    drop(socket);

    let rows = gateway.spend_rows(1).await;
    assert!(
        left_at.elapsed() < Duration::from_secs(2),
        "the row is written when the caller leaves, not when the upstream would have ended"
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, 499);
    let found = rows[0].guardrails.clone().expect("findings recorded");
    // The prompt's own findings, then the answer's so far.
    assert_eq!(found["pii"], json!({"email": 1}), "{found}");
    assert_eq!(found["output_pii"], json!({"email": 1}), "{found}");
    assert_eq!(found["output_policy_rules"], json!(["violence/weapons"]));
    assert_eq!(found["output_policy_categories"], json!(["violence"]));
    assert!(!found.to_string().contains(EMAIL));

    assert_metric(
        &gateway,
        r#"tollgate_guardrail_findings_total{guardrail="output_pii",finding="email"} 1"#,
    )
    .await;
    assert_metric(
        &gateway,
        r#"tollgate_guardrail_findings_total{guardrail="policy_category",finding="violence"} 1"#,
    )
    .await;
    assert_metric(&gateway, "tollgate_injection_score_count 1").await;
}
