use serde_json::{Value, json};
use tollgate_mock::Flavour;

use crate::common::*;

fn url(mock: &tollgate_mock::MockServer) -> String {
    format!("{}/v1/messages", mock.url(Flavour::Anthropic))
}

const HEADERS: [(&str, &str); 2] = [("x-api-key", KEY), ("anthropic-version", "2023-06-01")];

#[tokio::test]
async fn message_with_cache_usage_and_headers() {
    let mock = mock().await;
    let body = json!({"model": "claude-sonnet-4-5", "max_tokens": 100,
        "system": [{"type": "text", "text": "CACHED context here"}],
        "messages": [{"role": "user", "content": "hello world"}]});
    let answer = post(&url(&mock), &HEADERS, &body).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert!(answer.header("request-id").unwrap().starts_with("req_mock"));
    assert_eq!(
        answer.header("anthropic-ratelimit-requests-limit"),
        Some("10000")
    );
    assert_eq!(
        answer.header("anthropic-ratelimit-requests-remaining"),
        Some("9999")
    );
    let reset = answer.header("anthropic-ratelimit-requests-reset").unwrap();
    assert!(
        reset.len() == 20 && reset.ends_with('Z') && reset.as_bytes()[10] == b'T',
        "{reset}"
    );
    assert!(answer.header("anthropic-ratelimit-tokens-reset").is_some());

    let json = answer.json();
    assert!(
        answer.text().starts_with(r#"{"id":"msg_"#),
        "id first, as on the wire"
    );
    assert_eq!(json["type"], "message");
    assert_eq!(json["role"], "assistant");
    assert_eq!(json["model"], "claude-sonnet-4-5");
    assert_eq!(
        json["content"],
        json!([{"type": "text", "text": "echo: hello world"}])
    );
    assert_eq!(json["stop_reason"], "end_turn");
    assert!(json["stop_sequence"].is_null());
    // 5 prompt words, half (2) read from cache: input_tokens is only the rest.
    let usage = &json["usage"];
    assert_eq!(usage["input_tokens"], 3);
    assert_eq!(usage["cache_read_input_tokens"], 2);
    assert_eq!(usage["cache_creation_input_tokens"], 0);
    assert_eq!(usage["output_tokens"], 3);
}

#[tokio::test]
async fn auth_version_and_validation_errors() {
    let mock = mock().await;
    let body =
        json!({"model": "c", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]});

    let wrong = post(
        &url(&mock),
        &[("x-api-key", "bad"), ("anthropic-version", "2023-06-01")],
        &body,
    )
    .await;
    assert_eq!(wrong.status, 401);
    let json = wrong.json();
    assert_eq!(json["type"], "error");
    assert_eq!(json["error"]["type"], "authentication_error");
    assert!(json["request_id"].is_string());
    assert!(wrong.header("request-id").is_some());

    let bearer = post(
        &url(&mock),
        &[
            ("authorization", "Bearer mock-key"),
            ("anthropic-version", "2023-06-01"),
        ],
        &body,
    )
    .await;
    assert_eq!(bearer.status, 401);

    let no_version = post(&url(&mock), &[("x-api-key", KEY)], &body).await;
    assert_eq!(no_version.status, 400);
    assert_eq!(no_version.json()["error"]["type"], "invalid_request_error");

    for bad in [
        json!({"model": "c", "messages": [{"role": "user", "content": "hi"}]}),
        json!({"model": "c", "max_tokens": 10}),
        json!({"max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}),
        json!({"model": "c", "max_tokens": 10, "messages": [{"role": "system", "content": "hi"}]}),
        json!({"model": "c", "max_tokens": 10, "messages": [{"role": "user", "content": 3}]}),
        json!({"model": "c", "max_tokens": 10, "messages": [{"role": "user", "content": [{"text": "x"}]}]}),
    ] {
        let answer = post(&url(&mock), &HEADERS, &bad).await;
        assert_eq!(answer.status, 400, "{bad}: {}", answer.text());
        assert_eq!(answer.json()["error"]["type"], "invalid_request_error");
    }
    assert_eq!(mock.hits(Flavour::Anthropic), 9);
}

#[tokio::test]
async fn stream_event_order_pings_and_usage() {
    let mock = mock().await;
    let body = json!({"model": "c", "max_tokens": 3, "stream": true,
        "messages": [{"role": "user", "content": "a b c d e"}]});
    let streamed = stream(&url(&mock), &HEADERS, &body).await;
    assert_eq!(streamed.status, 200);
    assert!(
        streamed
            .header("content-type")
            .unwrap()
            .starts_with("text/event-stream")
    );
    let events = streamed.events();
    for event in &events {
        assert_eq!(
            event.json()["type"],
            event.event.as_deref().unwrap(),
            "event name matches type"
        );
    }
    let names: Vec<&str> = events.iter().map(|e| e.event.as_deref().unwrap()).collect();
    assert_eq!(
        names,
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    let start = events[0].json();
    assert!(events[0].data.starts_with(r#"{"type":"message_start""#));
    assert_eq!(start["message"]["content"], json!([]));
    assert!(start["message"]["stop_reason"].is_null());
    assert_eq!(start["message"]["usage"]["input_tokens"], 5);
    assert_eq!(start["message"]["usage"]["cache_read_input_tokens"], 0);
    assert_eq!(start["message"]["usage"]["cache_creation_input_tokens"], 0);
    let text: String = events
        .iter()
        .filter(|e| e.event.as_deref() == Some("content_block_delta"))
        .map(|e| e.json()["delta"]["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(text, "echo: a b");
    let delta = events[7].json();
    assert_eq!(delta["delta"]["stop_reason"], "max_tokens");
    assert_eq!(delta["usage"]["output_tokens"], 3);
    assert!(!streamed.text().contains("[DONE]"));

    // A longer answer gets a ping every third delta.
    let body = json!({"model": "c", "max_tokens": 100, "stream": true,
        "messages": [{"role": "user", "content": "a b c d e f g"}]});
    let events = stream(&url(&mock), &HEADERS, &body).await.events();
    let pings = events
        .iter()
        .filter(|e| e.event.as_deref() == Some("ping"))
        .count();
    assert_eq!(pings, 3);
}

#[tokio::test]
async fn tool_use_and_tool_result() {
    let mock = mock().await;
    let tools = json!([{"name": "get_weather", "input_schema": {"type": "object"}}]);
    let ask = json!({"model": "c", "max_tokens": 100, "tools": tools,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "weather in Oslo"}]}]});
    let json = post(&url(&mock), &HEADERS, &ask).await.json();
    assert_eq!(json["stop_reason"], "tool_use");
    assert_eq!(
        json["content"],
        json!([{"type": "tool_use", "id": "toolu_mock_1", "name": "get_weather", "input": {"input": "weather in Oslo"}}])
    );
    assert_eq!(json["usage"]["output_tokens"], 5);

    let streamed = json!({"model": "c", "max_tokens": 100, "tools": tools, "stream": true,
        "messages": [{"role": "user", "content": "weather in Oslo"}]});
    let events = stream(&url(&mock), &HEADERS, &streamed).await.events();
    let start = events
        .iter()
        .find(|e| e.event.as_deref() == Some("content_block_start"))
        .unwrap()
        .json();
    assert_eq!(
        start["content_block"],
        json!({"type": "tool_use", "id": "toolu_mock_1", "name": "get_weather", "input": {}})
    );
    let partial: Vec<String> = events
        .iter()
        .filter(|e| e.event.as_deref() == Some("content_block_delta"))
        .map(|e| {
            e.json()["delta"]["partial_json"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(partial[0], "");
    assert_eq!(
        serde_json::from_str::<Value>(&partial.concat()).unwrap(),
        json!({"input": "weather in Oslo"})
    );

    let result = json!({"model": "c", "max_tokens": 100, "tools": tools, "messages": [
        {"role": "user", "content": "weather in Oslo"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_mock_1", "name": "get_weather", "input": {"input": "weather in Oslo"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_mock_1", "content": [{"type": "text", "text": "3 degrees"}]}]}
    ]});
    let json = post(&url(&mock), &HEADERS, &result).await.json();
    assert_eq!(json["content"][0]["text"], "tool said: 3 degrees");
    assert_eq!(json["stop_reason"], "end_turn");
    assert_eq!(json["usage"]["input_tokens"], 5);

    // A user text after the tool result makes it a user turn again: echo it (or call the tool).
    let merged = json!({"model": "c", "max_tokens": 100, "messages": [
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "ok"}, {"type": "text", "text": "thanks"}]}
    ]});
    let json = post(&url(&mock), &HEADERS, &merged).await.json();
    assert_eq!(json["content"][0]["text"], "echo: thanks");
}
