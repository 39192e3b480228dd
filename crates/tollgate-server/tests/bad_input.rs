#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Malformed and hostile requests: each gets the right status and an error in the caller's
//! dialect, none reaches an upstream, and the gateway keeps serving afterwards.

mod common;

use bytes::Bytes;
use serde_json::{Value, json};

#[derive(Clone, Copy, PartialEq, Debug)]
enum Shape {
    OpenAi,
    Anthropic,
}

struct Case {
    name: &'static str,
    path: &'static str,
    /// `None`: send no key at all; otherwise the key to send (Bearer for OpenAI, x-api-key for
    /// Anthropic).
    key: Option<&'static str>,
    body: Bytes,
    status: u16,
    shape: Shape,
    /// A word the error message or param must mention (the field at fault).
    mentions: Option<&'static str>,
}

const CHAT: &str = "/v1/chat/completions";
const MESSAGES: &str = "/v1/messages";
const EMBEDDINGS: &str = "/v1/embeddings";

fn openai(
    name: &'static str,
    body: impl Into<Bytes>,
    status: u16,
    mentions: Option<&'static str>,
) -> Case {
    Case {
        name,
        path: CHAT,
        key: Some(common::MASTER_KEY),
        body: body.into(),
        status,
        shape: Shape::OpenAi,
        mentions,
    }
}

fn chat_with(name: &'static str, patch: Value, mentions: &'static str) -> Case {
    let mut body =
        json!({"model": "gpt-upstream", "messages": [{"role": "user", "content": "hi"}]});
    merge(&mut body, patch);
    openai(
        name,
        serde_json::to_vec(&body).unwrap(),
        400,
        Some(mentions),
    )
}

fn anthropic(
    name: &'static str,
    body: impl Into<Bytes>,
    status: u16,
    mentions: Option<&'static str>,
) -> Case {
    Case {
        name,
        path: MESSAGES,
        key: Some(common::MASTER_KEY),
        body: body.into(),
        status,
        shape: Shape::Anthropic,
        mentions,
    }
}

fn merge(target: &mut Value, patch: Value) {
    if let (Value::Object(target), Value::Object(patch)) = (target, patch) {
        for (key, value) in patch {
            if value.is_null() {
                target.remove(&key);
            } else {
                target.insert(key, value);
            }
        }
    }
}

fn cases() -> Vec<Case> {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_object = format!(
        "{{\"model\":\"gpt-upstream\",\"messages\":[{{\"role\":\"user\",\"content\":{}1{}}}]}}",
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    let oversize = format!(
        "{{\"model\":\"gpt-upstream\",\"messages\":[{{\"role\":\"user\",\"content\":\"{}\"}}]}}",
        "a".repeat(common::MAX_BODY_BYTES + 10)
    );
    let mut invalid_utf8 =
        br#"{"model":"gpt-upstream","messages":[{"role":"user","content":""#.to_vec();
    invalid_utf8.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28]);
    invalid_utf8.extend_from_slice(br#""}]}"#);
    let mut raw_nul =
        br#"{"model":"gpt-upstream","messages":[{"role":"user","content":"a"#.to_vec();
    raw_nul.push(0);
    raw_nul.extend_from_slice(br#"b"}]}"#);
    let huge_model = format!(
        "{{\"model\":\"{}\",\"messages\":[{{\"role\":\"user\",\"content\":\"hi\"}}]}}",
        "m".repeat(200_000)
    );

    vec![
        openai("empty body", "", 400, None),
        openai("not JSON", "hello there", 400, None),
        openai(
            "truncated JSON",
            r#"{"model":"gpt-upstream","messages":["#,
            400,
            None,
        ),
        openai("top-level array", "[]", 400, None),
        openai("top-level string", r#""chat""#, 400, None),
        openai("top-level null", "null", 400, None),
        openai("top-level number", "42", 400, None),
        openai(
            "NaN literal",
            r#"{"model":"gpt-upstream","temperature":NaN,"messages":[{"role":"user","content":"hi"}]}"#,
            400,
            None,
        ),
        openai("raw NUL byte", raw_nul, 400, None),
        openai("invalid UTF-8", invalid_utf8, 400, None),
        openai("deeply nested arrays", deep, 400, None),
        openai("deeply nested content", deep_object, 400, None),
        openai("oversize body", oversize, 413, None),
        chat_with("model missing", json!({"model": null}), "model"),
        chat_with("model wrong type", json!({"model": 5}), "model"),
        chat_with("messages missing", json!({"messages": null}), "messages"),
        chat_with(
            "messages not an array",
            json!({"messages": "hi"}),
            "messages",
        ),
        chat_with("messages empty", json!({"messages": []}), "messages"),
        chat_with(
            "message not an object",
            json!({"messages": ["hi"]}),
            "messages",
        ),
        chat_with(
            "invalid role",
            json!({"messages": [{"role": "wizard", "content": "hi"}]}),
            "role",
        ),
        chat_with(
            "role wrong type",
            json!({"messages": [{"role": 7, "content": "hi"}]}),
            "role",
        ),
        chat_with(
            "content wrong type",
            json!({"messages": [{"role": "user", "content": 12}]}),
            "content",
        ),
        chat_with(
            "unknown content part",
            json!({"messages": [{"role": "user", "content": [{"type": "hologram"}]}]}),
            "type",
        ),
        chat_with(
            "image part without url",
            json!({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]}),
            "url",
        ),
        chat_with(
            "temperature wrong type",
            json!({"temperature": "hot"}),
            "temperature",
        ),
        chat_with(
            "temperature out of range",
            json!({"temperature": 7}),
            "temperature",
        ),
        chat_with(
            "temperature overflows f64",
            json!({"temperature": 1e300}),
            "temperature",
        ),
        chat_with(
            "max_tokens negative",
            json!({"max_tokens": -5}),
            "max_tokens",
        ),
        chat_with(
            "max_tokens fractional",
            json!({"max_tokens": 1.5}),
            "max_tokens",
        ),
        chat_with("n zero", json!({"n": 0}), "n"),
        chat_with(
            "too many stop sequences",
            json!({"stop": ["a", "b", "c", "d", "e"]}),
            "stop",
        ),
        chat_with("stream wrong type", json!({"stream": "yes"}), "stream"),
        chat_with(
            "stream_options without stream",
            json!({"stream_options": {"include_usage": true}}),
            "stream_options",
        ),
        chat_with(
            "tools not an array",
            json!({"tools": "all of them"}),
            "tools",
        ),
        chat_with(
            "tool_choice names a missing tool",
            json!({"tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}], "tool_choice": {"type": "function", "function": {"name": "g"}}}),
            "tool_choice",
        ),
        chat_with(
            "tool message without tool_call_id",
            json!({"messages": [{"role": "tool", "content": "42"}]}),
            "tool_call_id",
        ),
        openai(
            "unknown model",
            r#"{"model":"no-such-model","messages":[{"role":"user","content":"hi"}]}"#,
            404,
            Some("no-such-model"),
        ),
        openai("huge model name", huge_model, 404, None),
        Case {
            key: None,
            ..openai(
                "missing key",
                r#"{"model":"gpt-upstream","messages":[{"role":"user","content":"hi"}]}"#,
                401,
                None,
            )
        },
        Case {
            key: Some("tg-wrong"),
            ..openai(
                "wrong key",
                r#"{"model":"gpt-upstream","messages":[{"role":"user","content":"hi"}]}"#,
                401,
                None,
            )
        },
        anthropic("anthropic: not JSON", "{{{{", 400, None),
        anthropic(
            "anthropic: max_tokens missing",
            r#"{"model":"claude-upstream","messages":[{"role":"user","content":"hi"}]}"#,
            400,
            Some("max_tokens"),
        ),
        anthropic(
            "anthropic: system role inside messages",
            r#"{"model":"claude-upstream","max_tokens":5,"messages":[{"role":"system","content":"hi"}]}"#,
            400,
            Some("role"),
        ),
        anthropic(
            "anthropic: content block of unknown type",
            r#"{"model":"claude-upstream","max_tokens":5,"messages":[{"role":"user","content":[{"type":"hologram"}]}]}"#,
            400,
            None,
        ),
        anthropic(
            "anthropic: unknown model",
            r#"{"model":"nope","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#,
            404,
            None,
        ),
        Case {
            key: Some("tg-wrong"),
            ..anthropic(
                "anthropic: wrong key",
                r#"{"model":"claude-upstream","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#,
                401,
                None,
            )
        },
        Case {
            path: EMBEDDINGS,
            ..openai(
                "embeddings: input missing",
                r#"{"model":"embed-openai"}"#,
                400,
                Some("input"),
            )
        },
        Case {
            path: EMBEDDINGS,
            ..openai(
                "embeddings: input empty",
                r#"{"model":"embed-openai","input":[]}"#,
                400,
                Some("input"),
            )
        },
        Case {
            path: EMBEDDINGS,
            ..openai(
                "embeddings: bad encoding_format",
                r#"{"model":"embed-openai","input":"x","encoding_format":"hex"}"#,
                400,
                Some("encoding_format"),
            )
        },
        Case {
            path: EMBEDDINGS,
            ..openai(
                "embeddings: chat model",
                r#"{"model":"gpt-upstream","input":"x"}"#,
                400,
                Some("model"),
            )
        },
    ]
}

fn assert_error_shape(case: &Case, body: &Value) {
    let (message, context) = match case.shape {
        Shape::OpenAi => {
            let error = &body["error"];
            assert!(
                error["type"].is_string(),
                "{}: error.type missing in {body}",
                case.name
            );
            (
                error["message"].as_str(),
                format!("{} {}", error["param"], error["message"]),
            )
        }
        Shape::Anthropic => {
            assert_eq!(
                body["type"], "error",
                "{}: not an Anthropic error: {body}",
                case.name
            );
            assert!(body["error"]["type"].is_string(), "{}: {body}", case.name);
            (
                body["error"]["message"].as_str(),
                body["error"]["message"].to_string(),
            )
        }
    };
    let message = message.unwrap_or_else(|| panic!("{}: no message in {body}", case.name));
    assert!(!message.is_empty(), "{}: empty message", case.name);
    if let Some(word) = case.mentions {
        assert!(
            context.contains(word),
            "{}: error should mention `{word}`: {body}",
            case.name
        );
    }
}

#[tokio::test]
async fn every_bad_request_gets_a_clear_error_and_never_reaches_an_upstream() {
    let gateway = common::start().await;
    let cases = cases();
    assert!(
        cases.len() >= 30,
        "the table must stay at least 30 cases long"
    );
    let mut failures = Vec::new();
    for case in &cases {
        let mut headers: Vec<(&str, String)> = Vec::new();
        match (case.key, case.shape) {
            (Some(key), Shape::OpenAi) => headers.push(("authorization", format!("Bearer {key}"))),
            (Some(key), Shape::Anthropic) => {
                headers.push(("x-api-key", key.to_string()));
                headers.push(("anthropic-version", "2023-06-01".to_string()));
            }
            (None, _) => {}
        }
        let header_refs: Vec<(&str, &str)> =
            headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let reply = gateway
            .send("POST", case.path, &header_refs, case.body.clone())
            .await;
        if reply.status != case.status {
            failures.push(format!(
                "{}: status {} (wanted {}): {}",
                case.name,
                reply.status,
                case.status,
                reply.text()
            ));
            continue;
        }
        let body: Value = match serde_json::from_slice(&reply.body) {
            Ok(body) => body,
            Err(_) => {
                failures.push(format!("{}: body is not JSON: {}", case.name, reply.text()));
                continue;
            }
        };
        if let Err(panic) = std::panic::catch_unwind(|| assert_error_shape(case, &body)) {
            failures.push(panic.downcast_ref::<String>().cloned().unwrap_or_default());
        }
        assert!(
            reply.header("x-request-id").is_some(),
            "{}: no x-request-id",
            case.name
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert_eq!(
        gateway.mock.total_hits(),
        0,
        "a bad request reached an upstream"
    );

    // Still serving, and the upstream is reached for a good request.
    let reply = gateway
        .post_json(CHAT, &json!({"model": "gpt-upstream", "messages": [{"role": "user", "content": "still there?"}]}))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.json()["choices"][0]["message"]["content"],
        "echo: still there?"
    );
    assert_eq!(gateway.mock.total_hits(), 1);
}
