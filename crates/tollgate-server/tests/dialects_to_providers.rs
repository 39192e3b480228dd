#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Any inbound dialect reaches any provider: OpenAI and Anthropic callers against the fake
//! OpenAI, OpenRouter, Azure, Anthropic and Gemini upstreams and the built-in mock, streamed and
//! not, with what reached the upstream checked too.

mod common;

use common::{CHAT_MODELS, sse_events};
use serde_json::{Value, json};
use tollgate_mock::{MockOptions, StreamQuirks};

fn upstream_models() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str)> {
    CHAT_MODELS.iter().filter(|(name, _, _)| *name != "mock")
}

fn user(text: &str) -> Value {
    json!([{"role": "user", "content": text}])
}

#[tokio::test]
async fn openai_callers_reach_every_provider() {
    let gateway = common::start().await;
    for (model, provider, _) in upstream_models() {
        let reply = gateway
            .post_json(
                "/v1/chat/completions",
                &json!({"model": model, "messages": user("hello there")}),
            )
            .await;
        assert_eq!(reply.status, 200, "{model}: {}", reply.text());
        let body = reply.json();
        assert_eq!(body["object"], "chat.completion", "{model}: {body}");
        assert_eq!(
            body["choices"][0]["message"]["content"], "echo: hello there",
            "{model}: {body}"
        );
        assert_eq!(body["choices"][0]["finish_reason"], "stop", "{model}");
        assert_eq!(body["usage"]["prompt_tokens"], 2, "{model}: {body}");
        assert_eq!(body["usage"]["completion_tokens"], 3, "{model}: {body}");
        assert_eq!(body["usage"]["total_tokens"], 5, "{model}");
        assert_eq!(
            reply.header("x-tollgate-provider"),
            Some(*provider),
            "{model}"
        );
        assert!(reply.header("x-request-id").is_some());
    }
}

#[tokio::test]
async fn openai_streams_from_every_provider_with_usage_only_when_asked() {
    check_openai_streams(&common::start().await).await;
}

/// Every framing quirk at once (`\r\n`, keep-alive comments, JSON split over `data:` lines,
/// events split across TCP writes, `choices: null` usage chunks): the caller sees the same stream.
#[tokio::test]
async fn openai_streams_survive_upstream_framing_quirks() {
    check_openai_streams(
        &common::start_with(MockOptions::default().with_quirks(StreamQuirks::ALL)).await,
    )
    .await;
}

async fn check_openai_streams(gateway: &common::Gateway) {
    for (model, _, _) in upstream_models() {
        for include_usage in [true, false] {
            let mut request =
                json!({"model": model, "messages": user("hello there"), "stream": true});
            if include_usage {
                request["stream_options"] = json!({"include_usage": true});
            }
            let reply = gateway.post_json("/v1/chat/completions", &request).await;
            assert_eq!(reply.status, 200, "{model}: {}", reply.text());
            assert_eq!(reply.header("content-type"), Some("text/event-stream"));
            let events = sse_events(&reply.text());
            assert_eq!(
                events.last().map(|e| e.1.as_str()),
                Some("[DONE]"),
                "{model}: {}",
                reply.text()
            );
            let chunks: Vec<Value> = events[..events.len() - 1]
                .iter()
                .map(|(_, data)| serde_json::from_str(data).unwrap())
                .collect();
            let text: String = chunks
                .iter()
                .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
                .collect();
            assert_eq!(text.trim(), "echo: hello there", "{model}");
            let finish: Vec<&str> = chunks
                .iter()
                .filter_map(|c| c["choices"][0]["finish_reason"].as_str())
                .collect();
            assert_eq!(finish, ["stop"], "{model}");
            let usage: Vec<&Value> = chunks
                .iter()
                .map(|c| &c["usage"])
                .filter(|u| u.is_object())
                .collect();
            if include_usage {
                assert_eq!(
                    usage.len(),
                    1,
                    "{model}: exactly one usage chunk: {}",
                    reply.text()
                );
                assert_eq!(usage[0]["prompt_tokens"], 2, "{model}");
                assert_eq!(usage[0]["completion_tokens"], 3, "{model}");
                let last = &chunks[chunks.len() - 1];
                assert_eq!(
                    last["choices"],
                    json!([]),
                    "{model}: usage chunk comes last"
                );
            } else {
                assert!(
                    usage.is_empty(),
                    "{model}: usage leaked to a caller who did not ask: {}",
                    reply.text()
                );
            }
        }
    }
}

#[tokio::test]
async fn anthropic_callers_reach_every_provider() {
    let gateway = common::start().await;
    for (model, _, _) in upstream_models() {
        let reply = gateway
            .post_anthropic(&json!({"model": model, "max_tokens": 100, "system": "Be brief.", "messages": user("hello there")}))
            .await;
        assert_eq!(reply.status, 200, "{model}: {}", reply.text());
        let body = reply.json();
        assert_eq!(body["type"], "message", "{model}: {body}");
        assert_eq!(body["content"][0]["type"], "text");
        assert_eq!(
            body["content"][0]["text"], "echo: hello there",
            "{model}: {body}"
        );
        assert_eq!(body["stop_reason"], "end_turn", "{model}");
        // "Be brief." + "hello there" = 4 words.
        let usage = &body["usage"];
        let prompt = usage["input_tokens"].as_u64().unwrap()
            + usage["cache_read_input_tokens"].as_u64().unwrap_or(0)
            + usage["cache_creation_input_tokens"].as_u64().unwrap_or(0);
        assert_eq!(prompt, 4, "{model}: {body}");
        assert_eq!(usage["output_tokens"], 3, "{model}");
    }
}

#[tokio::test]
async fn anthropic_streams_from_every_provider_in_event_order() {
    check_anthropic_streams(&common::start().await).await;
}

#[tokio::test]
async fn anthropic_streams_survive_upstream_framing_quirks() {
    check_anthropic_streams(
        &common::start_with(MockOptions::default().with_quirks(StreamQuirks::ALL)).await,
    )
    .await;
}

async fn check_anthropic_streams(gateway: &common::Gateway) {
    for (model, _, _) in upstream_models() {
        let reply = gateway
            .post_anthropic(&json!({"model": model, "max_tokens": 100, "stream": true, "messages": user("hello there")}))
            .await;
        assert_eq!(reply.status, 200, "{model}: {}", reply.text());
        let events = sse_events(&reply.text());
        let names: Vec<&str> = events
            .iter()
            .filter_map(|(name, _)| name.as_deref())
            .filter(|name| *name != "ping")
            .collect();
        assert_eq!(names.first(), Some(&"message_start"), "{model}: {names:?}");
        assert_eq!(
            &names[names.len() - 2..],
            ["message_delta", "message_stop"],
            "{model}: {names:?}"
        );
        let text: String = events
            .iter()
            .filter(|(name, _)| name.as_deref() == Some("content_block_delta"))
            .filter_map(|(_, data)| serde_json::from_str::<Value>(data).ok())
            .filter_map(|e| e["delta"]["text"].as_str().map(str::to_string))
            .collect();
        assert_eq!(text.trim(), "echo: hello there", "{model}");
        let delta: Value = events
            .iter()
            .find(|(name, _)| name.as_deref() == Some("message_delta"))
            .map(|(_, data)| serde_json::from_str(data).unwrap())
            .unwrap();
        assert_eq!(delta["delta"]["stop_reason"], "end_turn", "{model}");
        assert_eq!(delta["usage"]["output_tokens"], 3, "{model}: {delta}");
    }
}

#[tokio::test]
async fn tool_calls_round_trip_through_every_provider() {
    let gateway = common::start().await;
    let tools = json!([{"type": "function", "function": {"name": "get_weather", "description": "Weather by city",
        "parameters": {"type": "object", "properties": {"input": {"type": "string"}}}}}]);
    for (model, _, _) in upstream_models() {
        let reply = gateway
            .post_json(
                "/v1/chat/completions",
                &json!({"model": model, "messages": user("weather in Oslo"), "tools": tools}),
            )
            .await;
        assert_eq!(reply.status, 200, "{model}: {}", reply.text());
        let body = reply.json();
        let choice = &body["choices"][0];
        assert_eq!(choice["finish_reason"], "tool_calls", "{model}: {body}");
        let call = &choice["message"]["tool_calls"][0];
        assert_eq!(call["function"]["name"], "get_weather", "{model}");
        let arguments: Value =
            serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
        assert_eq!(arguments, json!({"input": "weather in Oslo"}), "{model}");

        let id = call["id"].as_str().unwrap();
        let follow_up = json!({"model": model, "tools": tools, "messages": [
            {"role": "user", "content": "weather in Oslo"},
            {"role": "assistant", "content": null, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": id, "content": "3 degrees"}]});
        let reply = gateway.post_json("/v1/chat/completions", &follow_up).await;
        assert_eq!(reply.status, 200, "{model}: {}", reply.text());
        let text = reply.json()["choices"][0]["message"]["content"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(text.starts_with("tool said: "), "{model}: {text}");
        assert!(text.contains("3 degrees"), "{model}: {text}");
    }
}

#[tokio::test]
async fn same_dialect_calls_pass_through_with_model_replaced_and_usage_forced() {
    let gateway = common::start().await;
    let reply = gateway
        .post_json(
            "/v1/chat/completions",
            &json!({"model": "gpt-upstream", "messages": user("hi"), "stream": true, "vendor_knob": 7}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let sent = gateway.mock.requests().pop().expect("upstream was called");
    let body: Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(
        body["vendor_knob"], 7,
        "unknown vendor fields survive passthrough"
    );
    assert_eq!(body["stream_options"]["include_usage"], true);

    let reply = gateway
        .post_anthropic(&json!({"model": "claude-upstream", "max_tokens": 50, "messages": user("hi"), "top_k": 3}))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let sent = gateway.mock.requests().pop().unwrap();
    let body: Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(body["model"], "claude-sonnet-4-5");
    assert_eq!(body["top_k"], 3);
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(sent.header("x-api-key"), Some("mock-key"));
}

#[tokio::test]
async fn embeddings_in_float_and_base64() {
    let gateway = common::start().await;
    for model in ["embed-openai", "embed-gemini"] {
        let float = gateway
            .post_json(
                "/v1/embeddings",
                &json!({"model": model, "input": ["hello", "world"]}),
            )
            .await;
        assert_eq!(float.status, 200, "{model}: {}", float.text());
        let float = float.json();
        assert_eq!(float["data"].as_array().unwrap().len(), 2, "{model}");
        let first: Vec<f32> = float["data"][0]["embedding"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        assert!(!first.is_empty());

        let encoded = gateway
            .post_json(
                "/v1/embeddings",
                &json!({"model": model, "input": ["hello", "world"], "encoding_format": "base64"}),
            )
            .await;
        assert_eq!(encoded.status, 200, "{model}: {}", encoded.text());
        let encoded = encoded.json();
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded["data"][0]["embedding"].as_str().unwrap())
            .unwrap();
        let decoded: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        assert_eq!(decoded, first, "{model}: base64 must carry the same floats");
    }
}

#[tokio::test]
async fn model_list_shows_configured_models() {
    let gateway = common::start().await;
    let reply = gateway.get("/v1/models").await;
    assert_eq!(reply.status, 200);
    let ids: Vec<String> = reply.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    for (model, _, _) in CHAT_MODELS {
        assert!(
            ids.iter().any(|id| id == model),
            "{model} missing from {ids:?}"
        );
    }
    assert_eq!(gateway.get("/v1/models/gpt-upstream").await.status, 200);
    assert_eq!(gateway.get("/v1/models/nope").await.status, 404);
    let anonymous = gateway
        .send("GET", "/v1/models", &[], bytes::Bytes::new())
        .await;
    assert_eq!(anonymous.status, 401);
}

#[tokio::test]
async fn upstream_failures_map_to_the_callers_dialect() {
    let gateway = common::start().await;
    let broken = gateway
        .post_json(
            "/v1/chat/completions",
            &json!({"model": "broken-upstream", "messages": user("hi")}),
        )
        .await;
    assert_eq!(broken.status, 502, "{}", broken.text());
    assert!(
        broken.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("fake-openai")
    );

    let limited = gateway
        .post_anthropic(
            &json!({"model": "limited-upstream", "max_tokens": 5, "messages": user("hi")}),
        )
        .await;
    assert_eq!(limited.status, 429, "{}", limited.text());
    assert_eq!(limited.json()["error"]["type"], "rate_limit_error");
    assert_eq!(limited.header("retry-after"), Some("1"));

    let bad_key = gateway
        .post_json(
            "/v1/chat/completions",
            &json!({"model": "badkey-upstream", "messages": user("hi")}),
        )
        .await;
    assert_eq!(
        bad_key.status, 502,
        "the caller's key is fine; Tollgate's upstream key is not"
    );
    assert!(
        !bad_key.text().contains("mock-key"),
        "provider key leaked: {}",
        bad_key.text()
    );
}

#[tokio::test]
async fn a_stream_cut_by_the_upstream_ends_with_an_error_event() {
    let gateway = common::start().await;
    let reply = gateway
        .post_json("/v1/chat/completions", &json!({"model": "cut-upstream", "messages": user("one two three four"), "stream": true}))
        .await;
    assert_eq!(reply.status, 200);
    let events = sse_events(&reply.text());
    let last: Value = serde_json::from_str(&events.last().unwrap().1).unwrap_or(Value::Null);
    assert!(
        last["error"]["message"].is_string(),
        "stream should end with an error: {}",
        reply.text()
    );
}

#[tokio::test]
async fn a_request_too_long_for_the_model_goes_to_its_larger_context_fallback() {
    let gateway = common::start().await;
    let reply = gateway
        .post_json(
            "/v1/chat/completions",
            &json!({"model": "small-context", "messages": user("a very long story")}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("x-tollgate-provider"), Some("fake-anthropic"));
    assert_eq!(reply.header("x-tollgate-attempts"), Some("2"));
    assert_eq!(
        reply.json()["choices"][0]["message"]["content"],
        "echo: a very long story"
    );
    // Without a context fallback the provider's 400 comes back as it is, with its code.
    let reply = gateway
        .post_json(
            "/v1/chat/completions",
            &json!({"model": "fake-openai/fail-context", "messages": user("hi")}),
        )
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"]["code"], "context_length_exceeded");
}
