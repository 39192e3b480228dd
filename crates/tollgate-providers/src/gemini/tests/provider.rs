//! The adapter against `tollgate-mock`'s Gemini flavour over real HTTP.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use tollgate_mock::{Fault, Flavour, MockOptions, MockServer, StreamQuirks};
use tollgate_types::{
    ChatRequest, ChatResponse, EmbeddingInput, EmbeddingRequest, EncodingFormat, ErrorKind,
    FinishReason, Message, ResponseFormat, Role, StreamEvent, Tool, Usage,
};

use crate::gemini::GeminiProvider;
use crate::{ChatReply, Provider, ProviderKind, ProviderSpec, Target, UpstreamClient};

const MODEL: &str = "gemini-2.5-flash";

async fn mock(quirks: StreamQuirks) -> MockServer {
    MockServer::start(MockOptions::default().with_quirks(quirks))
        .await
        .expect("mock starts")
}

fn provider(mock: &MockServer, key: &str) -> GeminiProvider {
    let mut spec = ProviderSpec::new("gemini", ProviderKind::Gemini, mock.url(Flavour::Gemini))
        .with_api_key(key);
    spec.headers.push(("x-team".into(), "blue".into()));
    GeminiProvider::new(spec, UpstreamClient::new(Duration::from_secs(2)))
}

fn target(model: &str) -> Target {
    Target::new(model, Duration::from_secs(5))
}

fn ask(text: &str) -> ChatRequest {
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
        parameters: json!({"type": "object", "additionalProperties": false,
            "properties": {"input": {"type": "string"}}}),
        strict: Some(true),
    }
}

async fn chat(provider: &GeminiProvider, request: &ChatRequest, model: &str) -> ChatResponse {
    match provider.chat(request, &target(model)).await.expect("chat") {
        ChatReply::Canonical(response) => response,
        ChatReply::Native(_) => panic!("Gemini answers are always translated"),
    }
}

async fn stream(provider: &GeminiProvider, request: &ChatRequest, model: &str) -> Vec<StreamEvent> {
    provider
        .chat_stream(request, &target(model))
        .await
        .expect("stream starts")
        .collect()
        .await
}

fn text_of(events: &[StreamEvent]) -> String {
    events
        .iter()
        .filter_map(|event| match event {
            StreamEvent::TextDelta { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn chat_sends_the_key_in_a_header_and_maps_the_answer() {
    let mock = mock(StreamQuirks::NONE).await;
    let provider = provider(&mock, "mock-key");
    let response = chat(&provider, &ask("Hello there Gemini"), MODEL).await;
    let choice = &response.choices[0];
    assert_eq!(
        choice.message.content.as_deref(),
        Some("echo: Hello there Gemini")
    );
    assert_eq!(choice.finish_reason, FinishReason::Stop);
    assert_eq!(response.model, MODEL);
    assert_eq!(response.id, "mock-1");
    assert_eq!(
        response.usage,
        Usage {
            input_tokens: 5,
            output_tokens: 4,
            ..Usage::default()
        }
    );

    assert_eq!(mock.hits(Flavour::Gemini), 1);
    let sent = mock.last_request().expect("recorded");
    assert_eq!(
        sent.path,
        format!("/gemini/v1beta/models/{MODEL}:generateContent")
    );
    assert_eq!(sent.header("x-goog-api-key"), Some("mock-key"));
    assert_eq!(sent.header("x-team"), Some("blue"));
    let body = sent.json.expect("json body");
    assert_eq!(
        body["systemInstruction"],
        json!({"parts": [{"text": "Be brief."}]})
    );
    assert_eq!(body["contents"][0]["role"], "user");
}

#[tokio::test]
async fn reasoning_cache_and_max_tokens_reach_usage_and_finish_reason() {
    let mock = mock(StreamQuirks::NONE).await;
    let provider = provider(&mock, "mock-key");
    // Gemini reports thoughts beside candidates; canonical output includes them.
    let response = chat(&provider, &ask("REASON CACHED one two three"), MODEL).await;
    let usage = response.usage;
    assert_eq!((usage.input_tokens, usage.cached_input_tokens), (7, 3));
    assert_eq!((usage.output_tokens, usage.reasoning_tokens), (6 + 7, 7));

    let mut request = ask("one two three four five");
    request.max_tokens = Some(2);
    let response = chat(&provider, &request, MODEL).await;
    assert_eq!(
        response.choices[0].message.content.as_deref(),
        Some("echo: one")
    );
    assert_eq!(response.choices[0].finish_reason, FinishReason::Length);
    let sent = mock.last_request().and_then(|r| r.json).expect("json body");
    assert_eq!(sent["generationConfig"]["maxOutputTokens"], 2);
}

#[tokio::test]
async fn json_schema_is_sent_without_keywords_gemini_rejects() {
    let mock = mock(StreamQuirks::NONE).await;
    let provider = provider(&mock, "mock-key");
    let mut request = ask("hi");
    request.response_format = Some(ResponseFormat::JsonSchema {
        name: "echo".into(),
        strict: Some(true),
        schema: json!({"type": "object", "additionalProperties": false,
            "properties": {"echo": {"type": "string"}}, "required": ["echo"]}),
    });
    let response = chat(&provider, &request, MODEL).await;
    let content = response.choices[0]
        .message
        .content
        .clone()
        .unwrap_or_default();
    assert_eq!(
        serde_json::from_str::<Value>(&content).ok(),
        Some(json!({"echo": "hi"}))
    );
    let sent = mock.last_request().and_then(|r| r.json).expect("json body");
    assert_eq!(
        sent["generationConfig"]["responseSchema"],
        json!({"type": "object", "properties": {"echo": {"type": "string"}}, "required": ["echo"]})
    );
}

#[tokio::test]
async fn streams_word_by_word_with_running_usage_even_with_framing_quirks() {
    for quirks in [StreamQuirks::NONE, StreamQuirks::ALL] {
        let mock = mock(quirks).await;
        let provider = provider(&mock, "mock-key");
        let events = stream(&provider, &ask("one two three"), MODEL).await;
        assert_eq!(
            events[0],
            StreamEvent::Start {
                id: "mock-1".into(),
                model: MODEL.into()
            }
        );
        assert_eq!(text_of(&events), "echo: one two three");
        let finishes: Vec<_> = events
            .iter()
            .filter(|e| matches!(e, StreamEvent::Finish { .. }))
            .collect();
        assert_eq!(
            finishes,
            [&StreamEvent::Finish {
                choice: 0,
                reason: FinishReason::Stop
            }]
        );
        let last_usage = events.iter().rev().find_map(|e| match e {
            StreamEvent::Usage(usage) => Some(*usage),
            _ => None,
        });
        assert_eq!(
            last_usage.map(|u| (u.input_tokens, u.output_tokens)),
            Some((5, 4))
        );
        assert!(!events.iter().any(|e| matches!(e, StreamEvent::Error(_))));
        let sent = mock.last_request().expect("recorded");
        assert_eq!(
            sent.path,
            format!("/gemini/v1beta/models/{MODEL}:streamGenerateContent?alt=sse")
        );
    }
}

#[tokio::test]
async fn tool_calls_and_tool_results_round_trip() {
    let mock = mock(StreamQuirks::NONE).await;
    let provider = provider(&mock, "mock-key");
    let mut request = ask("Oslo");
    request.tools = vec![weather_tool()];
    let response = chat(&provider, &request, MODEL).await;
    let choice = &response.choices[0];
    assert_eq!(choice.finish_reason, FinishReason::ToolCalls);
    let call = choice.message.tool_calls[0].clone();
    assert_eq!(call.name, "get_weather");
    assert_eq!(call.arguments, r#"{"input":"Oslo"}"#);
    let sent = mock.last_request().and_then(|r| r.json).expect("json body");
    assert_eq!(
        sent["tools"][0]["functionDeclarations"][0]["parameters"],
        json!({"type": "object", "properties": {"input": {"type": "string"}}})
    );

    // The result goes back by the call's name, recovered from its id.
    request.messages.push(Message {
        tool_calls: vec![call.clone()],
        ..Message::text(Role::Assistant, "")
    });
    request.messages.push(Message {
        tool_call_id: Some(call.id.clone()),
        ..Message::text(Role::Tool, "3 degrees")
    });
    let response = chat(&provider, &request, MODEL).await;
    assert_eq!(
        response.choices[0].message.content.as_deref(),
        Some("tool said: 3 degrees")
    );
    let sent = mock.last_request().and_then(|r| r.json).expect("json body");
    assert_eq!(
        sent["contents"][2]["parts"][0],
        json!({"functionResponse": {"name": "get_weather", "response": {"content": "3 degrees"}}})
    );

    request.messages.truncate(2);
    let events = stream(&provider, &request, MODEL).await;
    assert!(events.iter().any(|e| matches!(e,
        StreamEvent::ToolCallStart { choice: 0, index: 0, name, .. } if name == "get_weather")));
    assert!(events.contains(&StreamEvent::ToolCallDelta {
        choice: 0,
        index: 0,
        arguments: r#"{"input":"Oslo"}"#.into()
    }));
    assert!(events.contains(&StreamEvent::Finish {
        choice: 0,
        reason: FinishReason::ToolCalls
    }));
}

#[tokio::test]
async fn embeddings_are_batched_with_estimated_usage() {
    let mock = mock(StreamQuirks::NONE).await;
    let provider = provider(&mock, "mock-key");
    let mut request = EmbeddingRequest {
        model: "embed".into(),
        input: EmbeddingInput::Texts(vec!["hello world".into(), "abc".into()]),
        dimensions: Some(8),
        encoding_format: EncodingFormat::Float,
        user: None,
    };
    let response = provider
        .embed(&request, &target("text-embedding-004"))
        .await
        .expect("embeddings");
    assert_eq!(response.vectors.len(), 2);
    assert!(response.vectors.iter().all(|v| v.len() == 8));
    assert_eq!(response.model, "text-embedding-004");
    assert_eq!(response.usage.input_tokens, 3 + 1);
    let sent = mock.last_request().expect("recorded");
    assert_eq!(
        sent.path,
        "/gemini/v1beta/models/text-embedding-004:batchEmbedContents"
    );

    request.input = EmbeddingInput::Tokens(vec![vec![1, 2]]);
    let error = provider
        .embed(&request, &target("text-embedding-004"))
        .await
        .unwrap_err();
    assert_eq!(error.status, 400);
    assert_eq!(mock.hits(Flavour::Gemini), 1, "refused before any call");
}

#[tokio::test]
async fn rate_limits_keep_gemini_retry_delay_and_bad_requests_stay_400() {
    let mock = mock(StreamQuirks::NONE).await;
    let provider = provider(&mock, "mock-key");
    mock.push_fault(Fault::Fail429);
    let error = provider.chat(&ask("hi"), &target(MODEL)).await.unwrap_err();
    assert_eq!(
        (error.kind, error.status, error.retryable),
        (ErrorKind::RateLimited, 429, true)
    );
    assert_eq!(error.retry_after, Some(Duration::from_secs(1)));

    mock.push_fault(Fault::Fail429);
    let Err(error) = provider.chat_stream(&ask("hi"), &target(MODEL)).await else {
        panic!("a 429 must fail before the stream starts");
    };
    assert_eq!(error.status, 429);

    mock.push_fault(Fault::Fail400);
    let error = provider.chat(&ask("hi"), &target(MODEL)).await.unwrap_err();
    assert_eq!((error.status, error.retryable), (400, false));
    assert_eq!(error.code.as_deref(), Some("INVALID_ARGUMENT"));
    assert_eq!(mock.hits(Flavour::Gemini), 3);
}

#[tokio::test]
async fn a_rejected_gateway_key_is_a_502_that_does_not_show_the_key() {
    let mock = mock(StreamQuirks::NONE).await;
    let key = "AIzaSyWrongKey-0123456789";
    let provider = provider(&mock, key);
    let error = provider.chat(&ask("hi"), &target(MODEL)).await.unwrap_err();
    assert_eq!((error.status, error.retryable), (502, false));
    assert!(!error.message.contains(key), "{}", error.message);
    let Err(error) = provider.chat_stream(&ask("hi"), &target(MODEL)).await else {
        panic!("a 401 must fail before the stream starts");
    };
    assert_eq!(error.status, 502);
    let sent = mock.last_request().expect("recorded");
    assert_eq!(
        sent.query(),
        Some("alt=sse"),
        "the key never travels in the URL"
    );
}

#[tokio::test]
async fn cut_or_truncated_streams_end_with_an_error_and_bad_json_is_a_502() {
    let mock = mock(StreamQuirks::NONE).await;
    let provider = provider(&mock, "mock-key");
    for model in ["cut-stream", "truncate-stream"] {
        let events = stream(&provider, &ask("a b c d e f"), model).await;
        assert!(
            !text_of(&events).is_empty(),
            "{model}: some text arrived first"
        );
        let Some(StreamEvent::Error(error)) = events.last() else {
            panic!("{model}: no error at the end: {events:?}");
        };
        assert_eq!(error.kind, ErrorKind::UpstreamError);
    }
    let error = provider
        .chat(&ask("hi"), &target("bad-json"))
        .await
        .unwrap_err();
    assert_eq!(
        (error.status, error.code.as_deref()),
        (502, Some("upstream_bad_response"))
    );
}

#[tokio::test]
async fn a_silent_upstream_times_out() {
    let mock = mock(StreamQuirks::NONE).await;
    let provider = provider(&mock, "mock-key");
    let short = Target::new("hang", Duration::from_millis(200));
    let error = provider.chat(&ask("hi"), &short).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::UpstreamTimeout);
}
