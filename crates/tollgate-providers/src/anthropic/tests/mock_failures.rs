//! Upstream failures through `tollgate-mock`: HTTP errors, mid-stream errors, broken streams.

use std::time::Duration;

use serde_json::json;
use tollgate_mock::{Fault, Flavour, MockOptions};
use tollgate_types::{
    ChatRequest, EmbeddingInput, EmbeddingRequest, EncodingFormat, ErrorKind, GatewayError,
    StreamEvent,
};

use super::mock_server::{ask, collect, last_usage, mock, provider, target, text_of};
use crate::Provider;
use crate::anthropic::AnthropicProvider;

async fn failure(provider: &AnthropicProvider, request: &ChatRequest, model: &str) -> GatewayError {
    let non_streamed = provider
        .chat(request, &target(model))
        .await
        .expect_err("chat fails");
    let streamed = match provider.chat_stream(request, &target(model)).await {
        Err(error) => error,
        Ok(_) => panic!("chat_stream must fail before the stream begins"),
    };
    assert_eq!(non_streamed, streamed);
    non_streamed
}

#[tokio::test]
async fn overloaded_529_is_a_retryable_503() {
    let mock = mock(MockOptions::default()).await;
    let error = failure(&provider(&mock, "mock-key"), &ask("hi"), "fail-529").await;
    assert_eq!(error.kind, ErrorKind::UpstreamUnavailable);
    assert_eq!(error.status, 503);
    assert!(error.retryable);
    assert_eq!(mock.hits(Flavour::Anthropic), 2);
}

#[tokio::test]
async fn rate_limit_keeps_retry_after_and_bad_request_keeps_the_upstream_message() {
    let mock = mock(MockOptions::default()).await;
    let provider = provider(&mock, "mock-key");
    let limited = failure(&provider, &ask("hi"), "fail-429").await;
    assert_eq!((limited.status, limited.retryable), (429, true));
    assert_eq!(limited.retry_after, Some(Duration::from_secs(1)));
    let invalid = failure(&provider, &ask("hi"), "fail-400").await;
    assert_eq!((invalid.status, invalid.retryable), (400, false));
    assert_eq!(invalid.code.as_deref(), Some("invalid_request_error"));
}

#[tokio::test]
async fn upstream_401_is_a_502_that_never_shows_the_key() {
    let mock = mock(MockOptions::default()).await;
    let key = "sk-ant-api03-very-secret-key";
    let provider = provider(&mock, key);
    let error = failure(&provider, &ask("hi"), "claude-up").await;
    assert_eq!(error.status, 502);
    assert!(!error.retryable);
    assert!(error.message.contains("401"), "{}", error.message);

    // Even an upstream that echoes the key back does not leak it.
    let echoing = json!({"type": "error", "error": {"type": "authentication_error",
                                                    "message": format!("invalid x-api-key {key}")}});
    mock.push_fault(Fault::Status {
        status: 401,
        body: Some(echoing.to_string()),
        headers: Vec::new(),
    });
    let error = provider
        .chat(&ask("hi"), &target("claude-up"))
        .await
        .expect_err("fails");
    assert_eq!(error.status, 502);
    assert!(!error.message.contains(key), "{}", error.message);
    assert!(!error.message.contains("very-secret"), "{}", error.message);
}

#[tokio::test]
async fn a_mid_stream_error_event_ends_the_stream_with_a_mapped_error() {
    let mock = mock(MockOptions::default()).await;
    let body = concat!(
        "event: message_start\n",
        r#"data: {"type":"message_start","message":{"id":"msg_x","model":"claude-up","usage":{"input_tokens":5,"output_tokens":1}}}"#,
        "\n\n",
        "event: content_block_delta\n",
        r#"data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}"#,
        "\n\n",
        "event: error\n",
        r#"data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        "\n\n",
    );
    mock.push_fault(Fault::Status {
        status: 200,
        body: Some(body.to_string()),
        headers: vec![("content-type".into(), "text/event-stream".into())],
    });
    let events = collect(
        provider(&mock, "mock-key")
            .chat_stream(&ask("hi"), &target("claude-up"))
            .await
            .expect("stream opens"),
    )
    .await;
    assert_eq!(text_of(&events), "Hel");
    assert_eq!(last_usage(&events).map(|u| u.input_tokens), Some(5));
    let Some(StreamEvent::Error(error)) = events.last() else {
        panic!("expected a final error, got {events:?}");
    };
    assert_eq!((error.status, error.retryable), (503, true));
}

#[tokio::test]
async fn cut_and_truncated_streams_end_with_an_error_and_bad_json_is_a_502() {
    let mock = mock(MockOptions::default()).await;
    let provider = provider(&mock, "mock-key");
    for model in ["cut-stream", "truncate-stream"] {
        let events = collect(
            provider
                .chat_stream(&ask("one two three four five"), &target(model))
                .await
                .expect("stream opens"),
        )
        .await;
        assert!(
            matches!(events.last(), Some(StreamEvent::Error(e)) if e.kind == ErrorKind::UpstreamError),
            "{model}: {events:?}"
        );
        assert!(last_usage(&events).is_some(), "{model}: input usage known");
    }
    let error = provider
        .chat(&ask("hi"), &target("bad-json"))
        .await
        .expect_err("unreadable");
    assert_eq!(error.status, 502);
    assert_eq!(error.code.as_deref(), Some("upstream_bad_response"));
}

#[tokio::test]
async fn invalid_requests_and_embeddings_fail_before_any_upstream_call() {
    let mock = mock(MockOptions::default()).await;
    let provider = provider(&mock, "mock-key");
    let mut several = ask("hi");
    several.n = Some(3);
    let error = provider
        .chat(&several, &target("claude-up"))
        .await
        .expect_err("n > 1");
    assert_eq!(error.status, 400);
    let embedding = EmbeddingRequest {
        model: "e".into(),
        input: EmbeddingInput::Texts(vec!["x".into()]),
        dimensions: None,
        encoding_format: EncodingFormat::Float,
        user: None,
    };
    let error = provider
        .embed(&embedding, &target("claude-up"))
        .await
        .expect_err("no embeddings");
    assert_eq!(error.kind, ErrorKind::InvalidRequest);
    assert!(error.message.contains("no embeddings API"));
    assert_eq!(mock.hits(Flavour::Anthropic), 0);
}
