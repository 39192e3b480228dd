use base64::Engine;
use serde_json::{Value, json};
use tollgate_mock::Flavour;

use crate::common::*;

fn chat_url(mock: &tollgate_mock::MockServer) -> String {
    format!("{}/chat/completions", mock.url(Flavour::OpenAi))
}

#[tokio::test]
async fn chat_echoes_with_usage_and_headers() {
    let mock = mock().await;
    let (h, v) = bearer();
    let body = json!({"model": "gpt-4o-mini", "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "hello big "}, {"type": "image_url", "image_url": {"url": "https://x/y.png"}}, {"type": "text", "text": "world"}]}
    ]});
    let answer = post(&chat_url(&mock), &[(h, &v)], &body).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(answer.header("x-ratelimit-limit-requests"), Some("10000"));
    assert_eq!(
        answer.header("x-ratelimit-remaining-requests"),
        Some("9999")
    );
    assert_eq!(answer.header("x-ratelimit-reset-requests"), Some("1s"));
    assert_eq!(answer.header("x-ratelimit-limit-tokens"), Some("1000000"));
    assert_eq!(answer.header("x-ratelimit-reset-tokens"), Some("1s"));
    assert!(
        answer
            .header("x-request-id")
            .unwrap()
            .starts_with("req_mock")
    );

    let json = answer.json();
    assert!(json["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(json["object"], "chat.completion");
    assert_eq!(json["model"], "gpt-4o-mini");
    let choice = &json["choices"][0];
    assert_eq!(choice["index"], 0);
    assert_eq!(choice["message"]["role"], "assistant");
    assert_eq!(choice["message"]["content"], "echo: hello big world");
    assert_eq!(choice["finish_reason"], "stop");
    assert!(choice["message"].get("tool_calls").is_none());
    let usage = &json["usage"];
    // "Be brief." (2) + "hello big " + "world" (3) = 5 prompt words; "echo: hello big world" = 4.
    assert_eq!(usage["prompt_tokens"], 5);
    assert_eq!(usage["completion_tokens"], 4);
    assert_eq!(usage["total_tokens"], 9);
    assert_eq!(usage["prompt_tokens_details"]["cached_tokens"], 0);
    assert_eq!(usage["completion_tokens_details"]["reasoning_tokens"], 0);
    assert!(usage.get("cost").is_none());

    // What the mock saw is what was sent.
    let seen = mock.last_request().unwrap();
    assert_eq!(seen.flavour, Flavour::OpenAi);
    assert_eq!(seen.method, http::Method::POST);
    assert_eq!(seen.path, "/openai/v1/chat/completions");
    assert_eq!(seen.header("authorization"), Some("Bearer mock-key"));
    assert_eq!(seen.json.as_ref(), Some(&body));
    assert_eq!(mock.hits(Flavour::OpenAi), 1);
    assert_eq!(mock.total_hits(), 1);
}

#[tokio::test]
async fn auth_and_validation_errors_use_openai_shape() {
    let mock = mock().await;
    let body = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]});

    let missing = post(&chat_url(&mock), &[], &body).await;
    assert_eq!(missing.status, 401);
    let error = &missing.json()["error"];
    assert_eq!(error["type"], "invalid_request_error");
    assert_eq!(error["code"], "invalid_api_key");
    assert!(error.get("param").is_some());
    assert!(missing.header("x-request-id").is_some());

    let wrong = post(
        &chat_url(&mock),
        &[("authorization", "Bearer sk-wrong-secret-1234")],
        &body,
    )
    .await;
    assert_eq!(wrong.status, 401);
    let message = wrong.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        !message.contains("sk-wrong-secret-1234"),
        "key must be masked: {message}"
    );

    let (h, v) = bearer();
    let not_json = send("POST", &chat_url(&mock), &[(h, &v)], Some("{nope")).await;
    assert_eq!(not_json.status, 400);
    assert_eq!(not_json.json()["error"]["type"], "invalid_request_error");

    for bad in [
        json!({"model": "m"}),
        json!({"model": "m", "messages": []}),
        json!({"model": "m", "messages": [{"role": "wizard", "content": "x"}]}),
        json!({"model": "m", "messages": [{"role": "user", "content": 5}]}),
        json!({"model": "m", "messages": "hi"}),
        json!({"model": "m", "max_tokens": "ten", "messages": [{"role": "user", "content": "x"}]}),
        json!({"model": "m", "max_tokens": 0, "messages": [{"role": "user", "content": "x"}]}),
        json!({"model": "m", "n": 0, "messages": [{"role": "user", "content": "x"}]}),
        json!({"model": "m", "stream_options": {"include_usage": true}, "messages": [{"role": "user", "content": "x"}]}),
        json!({"messages": [{"role": "user", "content": "x"}]}),
        json!([1, 2]),
    ] {
        let answer = post(&chat_url(&mock), &[(h, &v)], &bad).await;
        assert_eq!(answer.status, 400, "{bad}: {}", answer.text());
        assert!(answer.json()["error"]["message"].is_string());
    }

    let unknown = send(
        "POST",
        &format!("{}/nope", mock.url(Flavour::OpenAi)),
        &[(h, &v)],
        Some("{}"),
    )
    .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.json()["error"]["message"],
        "Invalid URL (POST /openai/v1/nope)"
    );
    let wrong_method = send("GET", &chat_url(&mock), &[(h, &v)], None).await;
    assert_eq!(wrong_method.status, 405);
    assert!(wrong_method.json()["error"]["message"].is_string());

    // Every one of those was a hit, and recorded.
    assert_eq!(mock.hits(Flavour::OpenAi), 16);
    assert_eq!(mock.requests().len(), 16);
}

#[tokio::test]
async fn stream_without_usage_has_no_usage_at_all() {
    let mock = mock().await;
    let (h, v) = bearer();
    let body = json!({"model": "gpt-4o", "stream": true, "messages": [{"role": "user", "content": "one two  three"}]});
    let streamed = stream(&chat_url(&mock), &[(h, &v)], &body).await;
    assert_eq!(streamed.status, 200);
    assert_eq!(
        streamed.header("content-type"),
        Some("text/event-stream; charset=utf-8")
    );
    assert!(streamed.error.is_none());
    assert!(
        !streamed.text().contains("event:"),
        "OpenAI never names events"
    );
    assert!(!streamed.text().contains("usage"));

    let events = streamed.events();
    assert_eq!(events.last().unwrap().data, "[DONE]");
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(SseEvent::json)
        .collect();
    let id = chunks[0]["id"].clone();
    assert!(
        chunks
            .iter()
            .all(|c| c["id"] == id && c["object"] == "chat.completion.chunk")
    );
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    assert_eq!(chunks[0]["choices"][0]["delta"]["content"], "");
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "echo: one two  three");
    // role chunk + one chunk per word (4) + finish chunk.
    assert_eq!(chunks.len(), 6);
    let last = chunks.last().unwrap();
    assert_eq!(last["choices"][0]["delta"], json!({}));
    assert_eq!(last["choices"][0]["finish_reason"], "stop");
    assert!(
        chunks[..5]
            .iter()
            .all(|c| c["choices"][0]["finish_reason"].is_null())
    );
}

#[tokio::test]
async fn stream_with_include_usage_ends_with_usage_chunk() {
    let mock = mock().await;
    let (h, v) = bearer();
    let body = json!({"model": "gpt-4o", "stream": true, "stream_options": {"include_usage": true},
        "messages": [{"role": "user", "content": "CACHED REASON alpha beta"}]});
    let events = stream(&chat_url(&mock), &[(h, &v)], &body).await.events();
    assert_eq!(events.last().unwrap().data, "[DONE]");
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(SseEvent::json)
        .collect();
    let (usage_chunk, rest) = chunks.split_last().unwrap();
    assert!(
        rest.iter().all(|c| c.get("usage") == Some(&Value::Null)),
        "usage:null on every chunk"
    );
    assert_eq!(usage_chunk["choices"], json!([]));
    let usage = &usage_chunk["usage"];
    assert_eq!(usage["prompt_tokens"], 4);
    assert_eq!(usage["prompt_tokens_details"]["cached_tokens"], 2);
    // 5 reply words + 7 reasoning.
    assert_eq!(usage["completion_tokens"], 12);
    assert_eq!(usage["completion_tokens_details"]["reasoning_tokens"], 7);
    assert_eq!(usage["total_tokens"], 16);
}

#[tokio::test]
async fn tools_then_tool_result() {
    let mock = mock().await;
    let (h, v) = bearer();
    let tools = json!([
        {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}},
        {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}
    ]);
    let ask = json!({"model": "m", "tools": tools, "messages": [{"role": "user", "content": "weather in Oslo"}]});
    let json = post(&chat_url(&mock), &[(h, &v)], &ask).await.json();
    let choice = &json["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert!(choice["message"]["content"].is_null());
    let call = &choice["message"]["tool_calls"][0];
    assert_eq!(call["id"], "call_mock_1");
    assert_eq!(call["type"], "function");
    assert_eq!(call["function"]["name"], "get_weather");
    let arguments = call["function"]["arguments"].as_str().unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(arguments).unwrap(),
        json!({"input": "weather in Oslo"})
    );
    assert_eq!(json["usage"]["completion_tokens"], 5);

    let named = json!({"model": "m", "tools": tools, "tool_choice": {"type": "function", "function": {"name": "get_time"}},
        "messages": [{"role": "user", "content": "now"}]});
    let json = post(&chat_url(&mock), &[(h, &v)], &named).await.json();
    assert_eq!(
        json["choices"][0]["message"]["tool_calls"][0]["function"]["name"],
        "get_time"
    );

    let none = json!({"model": "m", "tools": tools, "tool_choice": "none", "messages": [{"role": "user", "content": "hi"}]});
    let json = post(&chat_url(&mock), &[(h, &v)], &none).await.json();
    assert_eq!(json["choices"][0]["message"]["content"], "echo: hi");

    let result = json!({"model": "m", "tools": tools, "messages": [
        {"role": "user", "content": "weather in Oslo"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "call_mock_1", "type": "function",
            "function": {"name": "get_weather", "arguments": "{\"input\":\"weather in Oslo\"}"}}]},
        {"role": "tool", "tool_call_id": "call_mock_1", "content": "{\"temp_c\":3}"}
    ]});
    let json = post(&chat_url(&mock), &[(h, &v)], &result).await.json();
    assert_eq!(
        json["choices"][0]["message"]["content"],
        "tool said: {\"temp_c\":3}"
    );
    assert_eq!(json["choices"][0]["finish_reason"], "stop");
    // 3 user words + 1 tool-result word; tool-call arguments are not prompt text.
    assert_eq!(json["usage"]["prompt_tokens"], 4);
}

#[tokio::test]
async fn tool_call_streams_in_fragments() {
    let mock = mock().await;
    let (h, v) = bearer();
    let body = json!({"model": "m", "stream": true,
        "tools": [{"type": "function", "function": {"name": "lookup"}}],
        "messages": [{"role": "user", "content": "find it"}]});
    let events = stream(&chat_url(&mock), &[(h, &v)], &body).await.events();
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(SseEvent::json)
        .collect();
    let first = &chunks[0]["choices"][0]["delta"];
    assert_eq!(first["role"], "assistant");
    assert!(first["content"].is_null());
    assert_eq!(first["tool_calls"][0]["id"], "call_mock_1");
    assert_eq!(first["tool_calls"][0]["function"]["name"], "lookup");
    assert_eq!(first["tool_calls"][0]["function"]["arguments"], "");
    let arguments: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"].as_str())
        .collect();
    assert_eq!(arguments, r#"{"input":"find it"}"#);
    assert!(
        chunks[1]["choices"][0]["delta"]["tool_calls"][0]
            .get("id")
            .is_none()
    );
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "tool_calls"
    );
}

#[tokio::test]
async fn max_tokens_n_and_json_mode() {
    let mock = mock().await;
    let (h, v) = bearer();
    let body = json!({"model": "m", "max_completion_tokens": 2, "n": 2,
        "messages": [{"role": "user", "content": "a b c d"}]});
    let json = post(&chat_url(&mock), &[(h, &v)], &body).await.json();
    let choices = json["choices"].as_array().unwrap();
    assert_eq!(choices.len(), 2);
    for (i, choice) in choices.iter().enumerate() {
        assert_eq!(choice["index"], i);
        assert_eq!(choice["message"]["content"], "echo: a");
        assert_eq!(choice["finish_reason"], "length");
    }
    assert_eq!(json["usage"]["completion_tokens"], 4);

    let body = json!({"model": "m", "max_tokens": 50, "response_format": {"type": "json_object"},
        "messages": [{"role": "user", "content": "say \"hi\""}]});
    let json = post(&chat_url(&mock), &[(h, &v)], &body).await.json();
    let content = json["choices"][0]["message"]["content"].as_str().unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(content).unwrap(),
        json!({"echo": "say \"hi\""})
    );
    assert_eq!(json["choices"][0]["finish_reason"], "stop");

    // n > 1 streams interleave choices.
    let body = json!({"model": "m", "n": 2, "stream": true, "messages": [{"role": "user", "content": "x"}]});
    let events = stream(&chat_url(&mock), &[(h, &v)], &body).await.events();
    let indexes: Vec<u64> = events[..events.len() - 1]
        .iter()
        .map(|e| e.json()["choices"][0]["index"].as_u64().unwrap())
        .collect();
    assert_eq!(indexes, vec![0, 1, 0, 1, 0, 1, 0, 1]);
}

#[tokio::test]
async fn embeddings_float_and_base64_agree() {
    let mock = mock().await;
    let (h, v) = bearer();
    let url = format!("{}/embeddings", mock.url(Flavour::OpenAi));
    let floats = post(
        &url,
        &[(h, &v)],
        &json!({"model": "text-embedding-3-small", "input": ["hello world", "bye"]}),
    )
    .await;
    assert_eq!(floats.status, 200, "{}", floats.text());
    let floats = floats.json();
    assert_eq!(floats["object"], "list");
    assert_eq!(floats["model"], "text-embedding-3-small");
    assert_eq!(
        floats["usage"],
        json!({"prompt_tokens": 3, "total_tokens": 3})
    );
    let data = floats["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[1]["index"], 1);
    assert_eq!(data[0]["object"], "embedding");
    let first: Vec<f32> = data[0]["embedding"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    assert_eq!(first.len(), 16);
    assert_ne!(data[0]["embedding"], data[1]["embedding"]);

    let encoded = post(
        &url,
        &[(h, &v)],
        &json!({"model": "e", "input": "hello world", "encoding_format": "base64"}),
    )
    .await
    .json();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(encoded["data"][0]["embedding"].as_str().unwrap())
        .unwrap();
    let decoded: Vec<f32> = raw
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    assert_eq!(decoded, first);

    let tokens = post(
        &url,
        &[(h, &v)],
        &json!({"model": "e", "input": [[1, 2, 3], [4]], "dimensions": 4}),
    )
    .await
    .json();
    assert_eq!(tokens["usage"]["prompt_tokens"], 4);
    assert_eq!(tokens["data"][0]["embedding"].as_array().unwrap().len(), 4);

    for bad in [
        json!({"model": "e"}),
        json!({"model": "e", "input": []}),
        json!({"model": "e", "input": "x", "encoding_format": "hex"}),
        json!({"input": "x"}),
    ] {
        assert_eq!(post(&url, &[(h, &v)], &bad).await.status, 400, "{bad}");
    }
}

#[tokio::test]
async fn models_list_and_get() {
    let mock = mock().await;
    let (h, v) = bearer();
    let list = send(
        "GET",
        &format!("{}/models", mock.url(Flavour::OpenAi)),
        &[(h, &v)],
        None,
    )
    .await;
    assert_eq!(list.status, 200);
    let list = list.json();
    assert_eq!(list["object"], "list");
    assert!(
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == "gpt-4o-mini" && m["object"] == "model")
    );
    let one = send(
        "GET",
        &format!("{}/models/fail-500", mock.url(Flavour::OpenRouter)),
        &[(h, &v)],
        None,
    )
    .await;
    assert_eq!(one.json()["id"], "fail-500");
    assert_eq!(
        send(
            "GET",
            &format!("{}/models", mock.url(Flavour::OpenAi)),
            &[],
            None
        )
        .await
        .status,
        401
    );
}
