#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Output guardrails on streams with several choices (`n > 1`): each choice index is scanned
//! and policed on its own, however the upstream interleaves them.

mod common;

use std::collections::BTreeMap;

use common::sse_events;
use serde_json::{Value, json};
use tollgate_config::{CustomEntityConfig, GuardrailsConfig, PiiMode};

/// Each choice index's streamed text.
fn texts_by_choice(body: &str) -> BTreeMap<u64, String> {
    let mut texts: BTreeMap<u64, String> = BTreeMap::new();
    for (_, data) in sse_events(body) {
        let Ok(chunk) = serde_json::from_str::<Value>(&data) else {
            continue;
        };
        for choice in chunk["choices"].as_array().into_iter().flatten() {
            if let Some(text) = choice["delta"]["content"].as_str() {
                let index = choice["index"].as_u64().unwrap();
                texts.entry(index).or_default().push_str(text);
            }
        }
    }
    texts
}

#[tokio::test]
async fn every_choice_of_an_n_2_stream_is_scanned_on_its_own() {
    let mut config = GuardrailsConfig::default();
    // The mock streams one word per chunk, choices interleaved: `echo:` and the next word
    // arrive in separate chunks of each choice with the other choice's chunks in between.
    config.pii.custom = vec![CustomEntityConfig {
        name: "marker".into(),
        regex: Some(r"echo: hello \w+".into()),
        words: vec![],
        mode: PiiMode::Redact,
    }];
    let gateway = common::start_with_guardrails(config).await;
    let body = json!({"model": "gpt-upstream", "n": 2, "stream": true,
        "messages": [{"role": "user", "content": "hello big world"}]});
    let reply = gateway.post_json("/v1/chat/completions", &body).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let texts = texts_by_choice(&reply.text());
    assert_eq!(texts.len(), 2, "{texts:?}");
    for (index, text) in &texts {
        assert_eq!(text.trim(), "<MARKER_1> world", "choice {index}");
    }
}

#[tokio::test]
async fn the_answer_policy_follows_each_choice() {
    let mut config = GuardrailsConfig::default();
    // `hello big` spans two chunks of one choice; mixed with the other choice's chunks the
    // text would read `hello hello big big`.
    config.policy.regex = vec![r"echo: hello big".into()];
    let gateway = common::start_with_guardrails(config).await;
    let body = json!({"model": "gpt-upstream", "n": 2, "stream": true,
        "messages": [{"role": "user", "content": "hello big world"}]});
    let reply = gateway.post_json("/v1/chat/completions", &body).await;
    assert_eq!(reply.status, 200);
    let text = reply.text();
    assert!(text.contains("content_policy_violation"), "{text}");
    assert!(!text.contains("big"), "{text}");
}
