//! Upstream failures over real HTTP: statuses, unreadable answers, broken streams, timeouts.

use std::time::Duration;

use futures_util::StreamExt;
use tollgate_mock::{Fault, StreamQuirks};
use tollgate_types::{ErrorKind, StreamEvent};

use crate::{Provider, ProviderKind, Target};

use super::upstream::{canonical, collect, mock, provider, target, text_of};

#[tokio::test]
async fn wrong_key_is_a_502_that_does_not_leak_the_key() {
    let mock = mock(StreamQuirks::NONE).await;
    let provider = provider(&mock, ProviderKind::OpenAi, "sk-wrong-secret-key-1234");
    let error = provider
        .chat(&canonical("x"), &target("m"))
        .await
        .unwrap_err();
    assert_eq!(error.status, 502);
    assert!(!error.retryable);
    assert_eq!(error.code.as_deref(), Some("upstream_authentication_error"));
    assert!(
        error.message.contains("Incorrect API key"),
        "{}",
        error.message
    );
    assert!(!error.message.contains("1234"), "{}", error.message);
    assert!(!error.message.contains("wrong-secret"), "{}", error.message);
}

#[tokio::test]
async fn rate_limit_keeps_retry_after() {
    let mock = mock(StreamQuirks::NONE).await;
    let provider = provider(&mock, ProviderKind::OpenAi, "mock-key");
    mock.push_fault(Fault::Fail429);
    let error = provider
        .chat(&canonical("x"), &target("m"))
        .await
        .unwrap_err();
    assert_eq!((error.status, error.kind), (429, ErrorKind::RateLimited));
    assert!(error.retryable);
    assert_eq!(error.retry_after, Some(Duration::from_millis(1000)));
    assert_eq!(error.code.as_deref(), Some("rate_limit_exceeded"));

    // Streams fail before the first byte, so the router can still fall back.
    mock.push_fault(Fault::Fail429);
    let Err(error) = provider.chat_stream(&canonical("x"), &target("m")).await else {
        panic!("a 429 stream must be an Err")
    };
    assert_eq!(error.status, 429);
}

#[tokio::test]
async fn server_errors_are_retryable_502s() {
    let mock = mock(StreamQuirks::NONE).await;
    for kind in [
        ProviderKind::OpenAi,
        ProviderKind::OpenRouter,
        ProviderKind::Azure,
    ] {
        let provider = provider(&mock, kind, "mock-key");
        mock.push_fault(Fault::Fail500);
        let error = provider
            .chat(&canonical("x"), &target("m"))
            .await
            .unwrap_err();
        assert_eq!(
            (error.status, error.retryable),
            (502, true),
            "{kind:?}: {error}"
        );
        mock.push_fault(Fault::Fail529);
        let error = provider
            .chat(&canonical("x"), &target("m"))
            .await
            .unwrap_err();
        assert_eq!(
            (error.status, error.retryable),
            (503, true),
            "{kind:?}: {error}"
        );
        mock.push_fault(Fault::Fail400);
        let error = provider
            .chat(&canonical("x"), &target("m"))
            .await
            .unwrap_err();
        assert_eq!(
            (error.status, error.retryable),
            (400, false),
            "{kind:?}: {error}"
        );
    }
}

#[tokio::test]
async fn unreadable_answers() {
    let mock = mock(StreamQuirks::NONE).await;
    let provider = provider(&mock, ProviderKind::OpenAi, "mock-key");
    for fault in [Fault::BadJson, Fault::WrongContentType] {
        mock.push_fault(fault.clone());
        let error = provider
            .chat(&canonical("x"), &target("m"))
            .await
            .unwrap_err();
        assert_eq!(error.status, 502, "{fault}");
        assert_eq!(
            error.code.as_deref(),
            Some("upstream_bad_response"),
            "{fault}"
        );
        mock.push_fault(fault.clone());
        let Err(error) = provider.chat_stream(&canonical("x"), &target("m")).await else {
            panic!("{fault}: a stream that is not SSE must be an Err")
        };
        assert_eq!(error.status, 502, "{fault}");
    }
}

#[tokio::test]
async fn broken_streams_end_with_an_error_event() {
    let mock = mock(StreamQuirks::NONE).await;
    let provider = provider(&mock, ProviderKind::OpenAi, "mock-key");
    mock.push_fault(Fault::CutStream);
    let events = collect(&provider, &canonical("a b c d e f"), "m").await;
    assert!(!text_of(&events).is_empty(), "some text arrived first");
    let Some(StreamEvent::Error(error)) = events.last() else {
        panic!("no error at the end: {events:?}")
    };
    assert_eq!(error.kind, ErrorKind::UpstreamError);

    // A clean EOF before any finish reason (a proxy closed the body early) is an incomplete
    // answer too, not a whole one.
    mock.push_fault(Fault::TruncateStream);
    let events = collect(&provider, &canonical("a b c d e f"), "m").await;
    assert!(!text_of(&events).is_empty(), "some text arrived first");
    let Some(StreamEvent::Error(error)) = events.last() else {
        panic!("no error at the end: {events:?}")
    };
    assert_eq!(error.code.as_deref(), Some("upstream_connection_error"));
    assert!(!events.iter().any(|e| matches!(e, StreamEvent::Usage(_))));
}

#[tokio::test]
async fn stream_idle_timeout_is_separate_from_the_first_event_timeout() {
    let mock = mock(StreamQuirks::NONE).await;
    let provider = provider(&mock, ProviderKind::OpenAi, "mock-key");
    let target = Target {
        stream_idle_timeout: Duration::from_millis(150),
        ..Target::new("stall-stream", Duration::from_secs(5))
    };
    let started = std::time::Instant::now();
    let events: Vec<StreamEvent> = provider
        .chat_stream(&canonical("a b c d e f"), &target)
        .await
        .unwrap()
        .collect()
        .await;
    assert!(!text_of(&events).is_empty(), "some text arrived first");
    let Some(StreamEvent::Error(error)) = events.last() else {
        panic!("a silent stream must end with an error: {events:?}")
    };
    assert_eq!(error.code.as_deref(), Some("stream_idle_timeout"));
    assert_eq!(error.status, 504);
    assert!(started.elapsed() < Duration::from_secs(2));

    // Waiting for the first event is the first-byte budget's business, not the idle timeout's.
    let target = Target {
        stream_idle_timeout: Duration::from_millis(50),
        ..Target::new("slow-first-event-300", Duration::from_secs(5))
    };
    let events: Vec<StreamEvent> = provider
        .chat_stream(&canonical("a b"), &target)
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(text_of(&events), "echo: a b");
    assert!(!events.iter().any(|e| matches!(e, StreamEvent::Error(_))));
}

#[tokio::test]
async fn timeouts() {
    let mock = mock(StreamQuirks::NONE).await;
    let provider = provider(&mock, ProviderKind::OpenAi, "mock-key");
    let short = Target::new("m", Duration::from_millis(200));
    mock.push_fault(Fault::Hang);
    let error = provider.chat(&canonical("x"), &short).await.unwrap_err();
    assert_eq!(
        (error.status, error.kind),
        (504, ErrorKind::UpstreamTimeout)
    );

    mock.push_fault(Fault::SlowStream(Duration::from_millis(500)));
    let stream = provider
        .chat_stream(&canonical("a b c"), &short)
        .await
        .unwrap();
    let events: Vec<StreamEvent> = stream.collect().await;
    let Some(StreamEvent::Error(error)) = events.last() else {
        panic!("a silent stream must end with an error: {events:?}")
    };
    assert_eq!(error.kind, ErrorKind::UpstreamTimeout);
}
