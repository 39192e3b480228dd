//! The adapter against `tollgate-mock`'s Anthropic flavour over real HTTP: answers, streams,
//! tools, usage and passthrough. Failures are in `mock_failures.rs`.

use std::time::Duration;

use bytes::BytesMut;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tollgate_mock::{Flavour, MockOptions, MockServer, StreamQuirks};
use tollgate_types::{
    ChatRequest, Dialect, FinishReason, Message, PassthroughBody, ResponseFormat, Role,
    StreamEvent, Tool, ToolCall, Usage,
};

use crate::anthropic::AnthropicProvider;
use crate::{ChatReply, ChatStream, Provider, ProviderKind, ProviderSpec, Target, UpstreamClient};

pub(super) async fn mock(options: MockOptions) -> MockServer {
    MockServer::start(options).await.expect("mock starts")
}

pub(super) fn provider(mock: &MockServer, key: &str) -> AnthropicProvider {
    let spec = ProviderSpec::new(
        "claude",
        ProviderKind::Anthropic,
        mock.url(Flavour::Anthropic),
    )
    .with_api_key(key);
    AnthropicProvider::new(spec, UpstreamClient::new(Duration::from_secs(2)))
}

pub(super) fn target(model: &str) -> Target {
    Target::new(model, Duration::from_secs(5))
}

pub(super) fn ask(text: &str) -> ChatRequest {
    ChatRequest {
        model: "public-name".into(),
        messages: vec![
            Message::text(Role::System, "Be brief."),
            Message::text(Role::User, text),
        ],
        ..ChatRequest::default()
    }
}

fn weather_tool() -> Tool {
    Tool {
        name: "get_weather".into(),
        description: Some("Weather by city".into()),
        parameters: json!({"type": "object", "properties": {"input": {"type": "string"}}}),
        strict: None,
    }
}

async fn canonical(
    provider: &AnthropicProvider,
    request: &ChatRequest,
    model: &str,
) -> tollgate_types::ChatResponse {
    match provider.chat(request, &target(model)).await {
        Ok(ChatReply::Canonical(response)) => response,
        other => panic!("expected a canonical reply, got {other:?}"),
    }
}

pub(super) async fn collect(stream: ChatStream) -> Vec<StreamEvent> {
    stream.collect().await
}

pub(super) fn text_of(events: &[StreamEvent]) -> String {
    events
        .iter()
        .filter_map(|event| match event {
            StreamEvent::TextDelta { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

pub(super) fn last_usage(events: &[StreamEvent]) -> Option<Usage> {
    events.iter().rev().find_map(|event| match event {
        StreamEvent::Usage(usage) => Some(*usage),
        _ => None,
    })
}

fn sent_json(mock: &MockServer) -> Value {
    mock.last_request()
        .and_then(|request| request.json)
        .expect("a JSON request was sent")
}

#[tokio::test]
async fn non_streamed_chat_maps_the_answer_and_sends_anthropic_headers() {
    let mock = mock(MockOptions::default()).await;
    let provider = provider(&mock, "mock-key");
    let response = canonical(&provider, &ask("hello there"), "claude-up").await;

    let choice = &response.choices[0];
    assert_eq!(choice.message.content.as_deref(), Some("echo: hello there"));
    assert_eq!(choice.finish_reason, FinishReason::Stop);
    assert_eq!(response.id, "msg_mock1");
    assert_eq!(response.model, "claude-up");
    assert_eq!(response.usage.input_tokens, 4);
    assert_eq!(response.usage.output_tokens, 3);

    assert_eq!(mock.hits(Flavour::Anthropic), 1);
    let sent = mock.last_request().expect("recorded");
    assert_eq!(sent.path_only(), "/anthropic/v1/messages");
    assert_eq!(sent.header("x-api-key"), Some("mock-key"));
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    let body = sent.json.expect("json body");
    assert_eq!(body["model"], "claude-up");
    assert_eq!(body["max_tokens"], 4096);
    assert_eq!(body["system"], "Be brief.");
    assert!(body.get("stream").is_none());
}

#[tokio::test]
async fn streamed_chat_yields_start_text_finish_and_final_usage() {
    let mock = mock(MockOptions::default()).await;
    let provider = provider(&mock, "mock-key");
    let stream = provider
        .chat_stream(&ask("one two three four"), &target("claude-up"))
        .await
        .expect("stream opens");
    let events = collect(stream).await;

    assert!(
        matches!(&events[0], StreamEvent::Start { id, model } if id == "msg_mock1" && model == "claude-up")
    );
    assert_eq!(text_of(&events), "echo: one two three four");
    assert!(events.contains(&StreamEvent::Finish {
        choice: 0,
        reason: FinishReason::Stop
    }));
    assert!(!events.iter().any(|e| matches!(e, StreamEvent::Error(_))));
    let usage = last_usage(&events).expect("usage");
    assert_eq!((usage.input_tokens, usage.output_tokens), (6, 5));
    assert_eq!(sent_json(&mock)["stream"], true);
}

#[tokio::test]
async fn every_stream_quirk_gives_the_same_events() {
    let plain = mock(MockOptions::default()).await;
    let quirky = mock(MockOptions::default().with_quirks(StreamQuirks::ALL)).await;
    let mut results = Vec::new();
    for server in [&plain, &quirky] {
        let stream = provider(server, "mock-key")
            .chat_stream(&ask("a b c d e f g"), &target("claude-up"))
            .await
            .expect("stream opens");
        results.push(collect(stream).await);
    }
    assert_eq!(results[0], results[1]);
}

#[tokio::test]
async fn cache_reads_and_writes_count_into_the_inclusive_prompt_total() {
    let mock = mock(MockOptions::default()).await;
    let provider = provider(&mock, "mock-key");
    // "Be brief." + 6 words = 8 prompt words; CACHED makes half of them cache reads.
    let request = ask("CACHED one two three four five");
    let response = canonical(&provider, &request, "claude-up").await;
    assert_eq!(
        response.usage,
        Usage {
            input_tokens: 8,
            output_tokens: 7,
            cached_input_tokens: 4,
            cache_write_tokens: 0,
            reasoning_tokens: 0,
        }
    );
    let events = collect(
        provider
            .chat_stream(&request, &target("claude-up"))
            .await
            .expect("stream opens"),
    )
    .await;
    // The first snapshot (from message_start) already has the input side.
    let first = events.iter().find_map(|event| match event {
        StreamEvent::Usage(usage) => Some(*usage),
        _ => None,
    });
    assert_eq!(
        first.map(|u| (u.input_tokens, u.cached_input_tokens)),
        Some((8, 4))
    );
    assert_eq!(last_usage(&events), Some(response.usage));

    let writes = canonical(&provider, &ask("CACHE_WRITE one two three four five"), "m").await;
    assert_eq!(writes.usage.cache_write_tokens, 4);
    assert_eq!(writes.usage.uncached_input_tokens(), 4);
}

#[tokio::test]
async fn tool_round_trip_non_streamed_and_streamed() {
    let mock = mock(MockOptions::default()).await;
    let provider = provider(&mock, "mock-key");
    let mut request = ask("weather in Oslo");
    request.tools = vec![weather_tool()];

    let response = canonical(&provider, &request, "claude-up").await;
    let choice = &response.choices[0];
    assert_eq!(choice.finish_reason, FinishReason::ToolCalls);
    let call = ToolCall {
        id: "toolu_mock_1".into(),
        name: "get_weather".into(),
        arguments: r#"{"input":"weather in Oslo"}"#.into(),
    };
    assert_eq!(choice.message.tool_calls, vec![call.clone()]);
    assert_eq!(
        sent_json(&mock)["tools"][0]["input_schema"]["type"],
        "object"
    );

    let events = collect(
        provider
            .chat_stream(&request, &target("claude-up"))
            .await
            .expect("stream opens"),
    )
    .await;
    assert!(events.contains(&StreamEvent::ToolCallStart {
        choice: 0,
        index: 0,
        id: call.id.clone(),
        name: call.name.clone(),
    }));
    let arguments: String = events
        .iter()
        .filter_map(|event| match event {
            StreamEvent::ToolCallDelta {
                index: 0,
                arguments,
                ..
            } => Some(arguments.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(arguments, call.arguments);

    // The result goes back as a tool_result block in a user turn.
    request.messages.push(Message {
        tool_calls: vec![call],
        ..Message::text(Role::Assistant, "")
    });
    request.messages.push(Message {
        tool_call_id: Some("toolu_mock_1".into()),
        ..Message::text(Role::Tool, "3C and sunny")
    });
    let response = canonical(&provider, &request, "claude-up").await;
    assert_eq!(
        response.choices[0].message.content.as_deref(),
        Some("tool said: 3C and sunny")
    );
    let sent = sent_json(&mock);
    assert_eq!(sent["messages"][1]["content"][0]["type"], "tool_use");
    assert_eq!(
        sent["messages"][2]["content"][0]["tool_use_id"],
        "toolu_mock_1"
    );
}

#[tokio::test]
async fn json_mode_is_answered_through_the_forced_tool_as_text() {
    let mock = mock(MockOptions::default()).await;
    let provider = provider(&mock, "mock-key");
    let mut request = ask("hi");
    request.response_format = Some(ResponseFormat::JsonObject);
    let response = canonical(&provider, &request, "claude-up").await;
    assert_eq!(
        response.choices[0].message.content.as_deref(),
        Some(r#"{"input":"hi"}"#)
    );
    assert_eq!(response.choices[0].finish_reason, FinishReason::Stop);
    assert!(response.choices[0].message.tool_calls.is_empty());

    let events = collect(
        provider
            .chat_stream(&request, &target("claude-up"))
            .await
            .expect("stream opens"),
    )
    .await;
    assert_eq!(text_of(&events), r#"{"input":"hi"}"#);
    assert!(events.contains(&StreamEvent::Finish {
        choice: 0,
        reason: FinishReason::Stop
    }));
}

fn passthrough_request(stream: bool) -> ChatRequest {
    let body = json!({
        "model": "public-name", "max_tokens": 50, "stream": stream,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hello", "cache_control": {"type": "ephemeral"}}]}],
        "vendor_knob": {"keep": true}
    });
    let Value::Object(body) = body else {
        unreachable!("literal object")
    };
    ChatRequest {
        stream,
        passthrough: Some(PassthroughBody {
            dialect: Dialect::Anthropic,
            body,
        }),
        ..ask("ignored: the passthrough body is sent")
    }
}

#[tokio::test]
async fn passthrough_forwards_the_callers_body_and_returns_the_native_answer() {
    let mock = mock(MockOptions::default()).await;
    let provider = provider(&mock, "mock-key");
    let reply = provider
        .chat(&passthrough_request(true), &target("claude-up"))
        .await
        .expect("answer");
    let ChatReply::Native(native) = reply else {
        panic!("expected a native reply");
    };
    assert_eq!(native.dialect, Dialect::Anthropic);
    let body: Value = serde_json::from_slice(&native.body).expect("json");
    assert_eq!(body["content"][0]["text"], "echo: hello");
    assert_eq!(body["model"], "claude-up");
    assert_eq!(native.usage.input_tokens, 1);
    assert_eq!(native.usage.output_tokens, 2);
    assert_eq!(native.provider_cost, None);

    let sent = sent_json(&mock);
    assert_eq!(sent["model"], "claude-up");
    assert_eq!(sent["vendor_knob"], json!({"keep": true}));
    assert_eq!(sent["max_tokens"], 50);
    assert_eq!(
        sent["messages"][0]["content"][0]["cache_control"]["type"],
        "ephemeral"
    );
    assert!(
        sent.get("stream").is_none(),
        "chat() asks for a whole answer"
    );
}

#[tokio::test]
async fn passthrough_stream_forwards_raw_frames_and_keeps_the_closing_pair_for_the_encoder() {
    let mock = mock(MockOptions::default()).await;
    let provider = provider(&mock, "mock-key");
    let events = collect(
        provider
            .chat_stream(&passthrough_request(true), &target("claude-up"))
            .await
            .expect("stream opens"),
    )
    .await;
    assert_eq!(sent_json(&mock)["stream"], true);

    let mut native = BytesMut::new();
    for event in &events {
        if let StreamEvent::Native(frame) = event {
            native.extend_from_slice(frame);
        }
    }
    let frames = tollgate_sse::decode_all(&native).expect("native frames are SSE");
    let names: Vec<&str> = frames.iter().filter_map(|f| f.event.as_deref()).collect();
    assert_eq!(names.first(), Some(&"message_start"));
    assert!(names.contains(&"ping"));
    assert!(names.contains(&"content_block_delta"));
    assert!(!names.contains(&"message_delta") && !names.contains(&"message_stop"));
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, StreamEvent::Start { .. } | StreamEvent::TextDelta { .. }))
    );
    assert!(events.contains(&StreamEvent::Finish {
        choice: 0,
        reason: FinishReason::Stop
    }));
    let usage = last_usage(&events).expect("usage");
    assert_eq!((usage.input_tokens, usage.output_tokens), (1, 2));
}
