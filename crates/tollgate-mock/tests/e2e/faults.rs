use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tollgate_mock::{Fault, Flavour, MockServer};

use crate::common::*;

fn openai_chat(mock: &MockServer) -> String {
    format!("{}/chat/completions", mock.url(Flavour::OpenAi))
}

fn chat_body(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "one two three four"}]})
}

fn stream_body(model: &str) -> Value {
    json!({"model": model, "stream": true, "stream_options": {"include_usage": true},
        "messages": [{"role": "user", "content": "one two three four"}]})
}

#[tokio::test]
async fn queued_faults_are_fifo_across_flavours_and_counted() {
    let mock = mock().await;
    let (h, v) = bearer();
    mock.push_fault(Fault::Fail500);
    mock.push_fault(Fault::Fail429);
    mock.push_fault(Fault::Fail529);
    assert_eq!(mock.pending_faults(), 3);

    let first = post(&openai_chat(&mock), &[(h, &v)], &chat_body("m")).await;
    assert_eq!(first.status, 500);
    assert_eq!(first.json()["error"]["type"], "server_error");

    let anthropic = format!("{}/v1/messages", mock.url(Flavour::Anthropic));
    // No key at all: a queued fault is applied before auth.
    let second = post(&anthropic, &[], &json!({})).await;
    assert_eq!(second.status, 429);
    assert_eq!(second.header("retry-after"), Some("1"));
    assert_eq!(
        second.header("anthropic-ratelimit-requests-remaining"),
        Some("0")
    );
    assert_eq!(second.json()["error"]["type"], "rate_limit_error");

    let third = post(&anthropic, &[], &json!({})).await;
    assert_eq!(third.status, 529);
    assert_eq!(third.json()["error"]["type"], "overloaded_error");

    let fine = post(&openai_chat(&mock), &[(h, &v)], &chat_body("m")).await;
    assert_eq!(fine.status, 200);
    assert_eq!(mock.pending_faults(), 0);
    assert_eq!(mock.hits(Flavour::OpenAi), 2);
    assert_eq!(mock.hits(Flavour::Anthropic), 2);
    assert_eq!(mock.total_hits(), 4);
}

#[tokio::test]
async fn model_names_select_faults_per_flavour() {
    let mock = mock().await;
    let (h, v) = bearer();
    let url = openai_chat(&mock);

    let rate = post(&url, &[(h, &v)], &chat_body("fail-429")).await;
    assert_eq!(rate.status, 429);
    assert_eq!(rate.header("retry-after"), Some("1"));
    assert_eq!(rate.header("retry-after-ms"), Some("1000"));
    assert_eq!(rate.header("x-ratelimit-remaining-requests"), Some("0"));
    assert_eq!(rate.json()["error"]["code"], "rate_limit_exceeded");

    assert_eq!(
        post(&url, &[(h, &v)], &chat_body("fail-529-gpt"))
            .await
            .status,
        503
    );
    assert_eq!(
        post(&url, &[(h, &v)], &chat_body("fail-400")).await.status,
        400
    );
    let unauthorized = post(&url, &[(h, &v)], &chat_body("fail-401/x")).await;
    assert_eq!(unauthorized.status, 401);
    assert_eq!(unauthorized.json()["error"]["code"], "invalid_api_key");
    // A name that only looks like a fault is a normal model.
    assert_eq!(
        post(&url, &[(h, &v)], &chat_body("fail-5000")).await.status,
        200
    );
    // Auth still comes first for model-name faults.
    assert_eq!(post(&url, &[], &chat_body("fail-500")).await.status, 401);

    let gemini = format!(
        "{}/models/fail-429:generateContent",
        mock.url(Flavour::Gemini)
    );
    let body = json!({"contents": [{"parts": [{"text": "x"}]}]});
    let answer = post(&gemini, &[("x-goog-api-key", KEY)], &body).await;
    assert_eq!(answer.status, 429);
    assert_eq!(answer.json()["error"]["status"], "RESOURCE_EXHAUSTED");
    assert_eq!(answer.json()["error"]["details"][0]["retryDelay"], "1s");
    let gemini = format!(
        "{}/models/fail-529:generateContent",
        mock.url(Flavour::Gemini)
    );
    let answer = post(&gemini, &[("x-goog-api-key", KEY)], &body).await;
    assert_eq!(answer.status, 503);
    assert_eq!(answer.json()["error"]["status"], "UNAVAILABLE");

    let azure = format!(
        "{}/openai/deployments/fail-500/chat/completions?api-version=1",
        mock.url(Flavour::Azure)
    );
    let answer = post(
        &azure,
        &[("api-key", KEY)],
        &json!({"messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    assert_eq!(answer.status, 500);
    assert_eq!(answer.json()["error"]["code"], "500");

    let anthropic = format!("{}/v1/messages", mock.url(Flavour::Anthropic));
    let answer = post(
        &anthropic,
        &[("x-api-key", KEY), ("anthropic-version", "2023-06-01")],
        &json!({"model": "fail-500", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    assert_eq!(answer.status, 500);
    assert_eq!(answer.json()["error"]["type"], "api_error");
}

#[tokio::test]
async fn slow_delays_the_headers() {
    let mock = mock().await;
    let (h, v) = bearer();
    let started = Instant::now();
    let answer = post(
        &openai_chat(&mock),
        &[(h, &v)],
        &chat_body("slow-150-gpt-4o"),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));

    mock.push_fault(Fault::Slow(Duration::from_millis(120)));
    let started = Instant::now();
    assert_eq!(
        post(&openai_chat(&mock), &[(h, &v)], &chat_body("m"))
            .await
            .status,
        200
    );
    assert!(started.elapsed() >= Duration::from_millis(120));
}

#[tokio::test]
async fn slow_stream_spaces_the_events() {
    let mock = mock().await;
    let (h, v) = bearer();
    let started = Instant::now();
    let streamed = stream(
        &openai_chat(&mock),
        &[(h, &v)],
        &stream_body("slow-stream-30"),
    )
    .await;
    // role + 5 words + finish + usage + [DONE] = 9 events, 8 gaps.
    assert_eq!(streamed.events().len(), 9);
    assert!(started.elapsed() >= Duration::from_millis(8 * 30));
    assert!(
        streamed.frames.len() >= 9,
        "spaced events arrive separately"
    );
}

#[tokio::test]
async fn hang_never_answers_and_drop_releases_it() {
    let mock = mock().await;
    let (h, v) = bearer();
    mock.push_fault(Fault::Hang);
    let url = openai_chat(&mock);
    let pending = tokio::time::timeout(
        Duration::from_millis(300),
        post(&url, &[(h, &v)], &chat_body("m")),
    )
    .await;
    assert!(pending.is_err(), "hang must not answer");
    assert_eq!(mock.hits(Flavour::OpenAi), 1, "the request was read");

    // A hung request ends with a transport error once the server is dropped.
    let auth = format!("Bearer {KEY}");
    let hung = tokio::spawn(async move {
        try_send(
            "POST",
            &url,
            &[("authorization", auth.as_str())],
            Some(&chat_body("hang").to_string()),
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(mock);
    let outcome = tokio::time::timeout(Duration::from_secs(5), hung)
        .await
        .unwrap()
        .unwrap();
    assert!(outcome.is_err());
}

#[tokio::test]
async fn cut_stream_closes_after_two_content_events() {
    let mock = mock().await;
    let (h, v) = bearer();
    let streamed = stream(&openai_chat(&mock), &[(h, &v)], &stream_body("cut-stream")).await;
    assert_eq!(streamed.status, 200);
    assert!(
        streamed.error.is_some(),
        "the body must end in a transport error"
    );
    let events = streamed.events();
    assert_eq!(
        events.len(),
        3,
        "role chunk + 2 content chunks: {}",
        streamed.text()
    );
    assert!(!streamed.text().contains("[DONE]"));

    // Anthropic: content so far, no message_stop.
    let anthropic = format!("{}/v1/messages", mock.url(Flavour::Anthropic));
    mock.push_fault(Fault::CutStream);
    let body = json!({"model": "c", "max_tokens": 50, "stream": true, "messages": [{"role": "user", "content": "a b c d"}]});
    let streamed = stream(
        &anthropic,
        &[("x-api-key", KEY), ("anthropic-version", "2023-06-01")],
        &body,
    )
    .await;
    assert!(streamed.error.is_some());
    let names: Vec<String> = streamed
        .events()
        .into_iter()
        .filter_map(|e| e.event)
        .collect();
    assert_eq!(
        names,
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_delta"
        ]
    );

    // A non-streamed answer is cut halfway.
    mock.push_fault(Fault::CutStream);
    let cut = try_send(
        "POST",
        &openai_chat(&mock),
        &[(h, &v)],
        Some(&chat_body("m").to_string()),
    )
    .await;
    assert!(cut.is_err(), "body must fail");
}

#[tokio::test]
async fn truncate_stream_ends_cleanly_without_terminator() {
    let mock = mock().await;
    let body = json!({"contents": [{"parts": [{"text": "a b c d"}]}]});
    let url = format!(
        "{}/models/truncate-stream:streamGenerateContent?alt=sse",
        mock.url(Flavour::Gemini)
    );
    let streamed = stream(&url, &[("x-goog-api-key", KEY)], &body).await;
    assert!(streamed.error.is_none());
    let chunks = streamed.events();
    assert_eq!(chunks.len(), 2);
    assert!(
        chunks
            .iter()
            .all(|c| c.json()["candidates"][0].get("finishReason").is_none())
    );

    let (h, v) = bearer();
    mock.push_fault(Fault::TruncateStream);
    let streamed = stream(&openai_chat(&mock), &[(h, &v)], &stream_body("m")).await;
    assert!(streamed.error.is_none());
    assert!(!streamed.text().contains("[DONE]"));
    assert!(!streamed.text().contains("\"usage\":{"));
}

#[tokio::test]
async fn bad_json_wrong_ctype_reset_and_status() {
    let mock = mock().await;
    let (h, v) = bearer();
    let url = openai_chat(&mock);

    mock.push_fault(Fault::BadJson);
    let answer = post(&url, &[(h, &v)], &chat_body("m")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert!(serde_json::from_slice::<Value>(&answer.body).is_err());

    let answer = post(&url, &[(h, &v)], &chat_body("wrong-ctype")).await;
    assert_eq!(answer.status, 200);
    assert!(
        answer
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );

    mock.push_fault(Fault::Reset);
    let reset = try_send("POST", &url, &[(h, &v)], Some(&chat_body("m").to_string())).await;
    assert!(reset.is_err(), "no answer on a reset connection");
    let reset = try_send(
        "POST",
        &url,
        &[(h, &v)],
        Some(&chat_body("reset").to_string()),
    )
    .await;
    assert!(reset.is_err());

    mock.push_fault(Fault::Status {
        status: 418,
        body: Some("{\"teapot\":true}".into()),
        headers: vec![
            ("x-custom".into(), "yes".into()),
            ("x-ratelimit-limit-requests".into(), "5".into()),
        ],
    });
    let answer = post(&url, &[(h, &v)], &chat_body("m")).await;
    assert_eq!(answer.status, 418);
    assert_eq!(answer.json(), json!({"teapot": true}));
    assert_eq!(answer.header("x-custom"), Some("yes"));
    assert_eq!(
        answer.header("x-ratelimit-limit-requests"),
        Some("5"),
        "custom headers win"
    );

    mock.push_fault(Fault::Status {
        status: 503,
        body: None,
        headers: vec![],
    });
    let anthropic = format!("{}/v1/messages", mock.url(Flavour::Anthropic));
    let answer = post(&anthropic, &[], &json!({})).await;
    assert_eq!(answer.status, 503);
    assert_eq!(answer.json()["error"]["type"], "api_error");

    // The server is still healthy after all that.
    assert_eq!(post(&url, &[(h, &v)], &chat_body("m")).await.status, 200);
    assert_eq!(mock.hits(Flavour::OpenAi), 6);
}

#[tokio::test]
async fn stream_error_sends_the_in_band_error_event() {
    let mock = mock().await;
    let (h, v) = bearer();
    let streamed = stream(
        &openai_chat(&mock),
        &[(h, &v)],
        &stream_body("stream-error"),
    )
    .await;
    assert_eq!(streamed.status, 200);
    assert!(streamed.error.is_none());
    let events = streamed.events();
    assert_eq!(
        events.len(),
        4,
        "role + 2 content + error: {}",
        streamed.text()
    );
    let error = events[3].json();
    assert_eq!(error["error"]["type"], "server_error");
    assert!(error.get("choices").is_none());
    assert!(!streamed.text().contains("[DONE]"));

    mock.push_fault(Fault::StreamError);
    let anthropic = format!("{}/v1/messages", mock.url(Flavour::Anthropic));
    let body = json!({"model": "c", "max_tokens": 50, "stream": true, "messages": [{"role": "user", "content": "a b c d"}]});
    let streamed = stream(
        &anthropic,
        &[("x-api-key", KEY), ("anthropic-version", "2023-06-01")],
        &body,
    )
    .await;
    let last = streamed.events().pop().unwrap();
    assert_eq!(last.event.as_deref(), Some("error"));
    assert_eq!(
        last.json(),
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    );

    let gemini = format!(
        "{}/models/stream-error:streamGenerateContent?alt=sse",
        mock.url(Flavour::Gemini)
    );
    let streamed = stream(
        &gemini,
        &[("x-goog-api-key", KEY)],
        &json!({"contents": [{"parts": [{"text": "a b c"}]}]}),
    )
    .await;
    let events = streamed.events();
    assert_eq!(events.len(), 3);
    assert_eq!(events[2].json()["error"]["status"], "INTERNAL");

    // Not streamed: the failure comes before the headers, as an ordinary 500.
    let answer = post(&openai_chat(&mock), &[(h, &v)], &chat_body("stream-error")).await;
    assert_eq!(answer.status, 500);
}

#[test]
fn fault_names_round_trip() {
    for name in [
        "fail-500",
        "fail-429",
        "fail-529",
        "fail-400",
        "fail-401",
        "slow-250",
        "slow-stream-40",
        "hang",
        "cut-stream",
        "truncate-stream",
        "stall-stream",
        "slow-first-event-30",
        "fail-429-retry-250",
        "bad-json",
        "wrong-ctype",
        "reset",
    ] {
        let fault: Fault = name.parse().unwrap();
        assert_eq!(fault.name(), name);
        assert_eq!(Fault::from_model(name), Some(fault));
    }
    assert_eq!(
        Fault::from_model("slow-250-gpt-4o"),
        Some(Fault::Slow(Duration::from_millis(250)))
    );
    assert_eq!(
        Fault::from_model("slow-stream-5/claude"),
        Some(Fault::SlowStream(Duration::from_millis(5)))
    );
    assert_eq!(
        Fault::from_model("fail-429-retry-1500/gpt"),
        Some(Fault::Fail429RetryAfter(Duration::from_millis(1500)))
    );
    assert_eq!(Fault::from_model("fail-429-gpt"), Some(Fault::Fail429));
    assert_eq!(Fault::from_model("hangman"), None);
    assert_eq!(Fault::from_model("slow-"), None);
    assert_eq!(Fault::from_model("gpt-4o"), None);
    assert!(matches!(
        "status-418".parse(),
        Ok(Fault::Status { status: 418, .. })
    ));
    assert!("nope".parse::<Fault>().is_err());
}

#[tokio::test]
async fn rate_limit_with_a_chosen_retry_after() {
    let mock = mock().await;
    let (h, v) = bearer();
    let rate = post(
        &openai_chat(&mock),
        &[(h, &v)],
        &chat_body("fail-429-retry-1500"),
    )
    .await;
    assert_eq!(rate.status, 429);
    assert_eq!(rate.header("retry-after"), Some("2"));
    assert_eq!(rate.header("retry-after-ms"), Some("1500"));
    assert_eq!(rate.json()["error"]["code"], "rate_limit_exceeded");

    let anthropic = format!("{}/v1/messages", mock.url(Flavour::Anthropic));
    let body = json!({"model": "fail-429-retry-300", "max_tokens": 5,
        "messages": [{"role": "user", "content": "hi"}]});
    let rate = post(
        &anthropic,
        &[("x-api-key", KEY), ("anthropic-version", "2023-06-01")],
        &body,
    )
    .await;
    assert_eq!(rate.status, 429);
    assert_eq!(rate.header("retry-after"), Some("1"));
    assert_eq!(rate.header("retry-after-ms"), None);
}

#[tokio::test]
async fn slow_first_event_sends_headers_then_waits() {
    let mock = mock().await;
    let (h, v) = bearer();
    let started = Instant::now();
    let streamed = stream(
        &openai_chat(&mock),
        &[(h, &v)],
        &stream_body("slow-first-event-150"),
    )
    .await;
    assert_eq!(streamed.status, 200);
    assert!(streamed.error.is_none());
    assert!(streamed.text().contains("[DONE]"));
    assert!(started.elapsed() >= Duration::from_millis(150));

    let started = Instant::now();
    let answer = post(
        &openai_chat(&mock),
        &[(h, &v)],
        &chat_body("slow-first-event-100"),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json()["choices"][0]["message"]["content"],
        "echo: one two three four"
    );
    assert!(started.elapsed() >= Duration::from_millis(100));
}

#[tokio::test]
async fn stall_stream_goes_silent_without_closing() {
    let mock = mock().await;
    let (h, v) = bearer();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<bytes::Bytes>>();
    let request = http::Request::post(openai_chat(&mock))
        .header(h, v.as_str())
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(bytes::Bytes::from(
            stream_body("stall-stream").to_string(),
        )))
        .unwrap();
    let response = client.request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let mut body = response.into_body();
    let mut seen = String::new();
    loop {
        use http_body_util::BodyExt;
        match tokio::time::timeout(Duration::from_millis(300), body.frame()).await {
            Err(_) => break,
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    seen.push_str(&String::from_utf8_lossy(&data));
                }
            }
            Ok(other) => panic!("the stream ended instead of stalling: {other:?}"),
        }
    }
    assert!(seen.contains("\"content\":\"one \""), "{seen}");
    assert!(!seen.contains("[DONE]"));
    assert_eq!(mock.open_streams(), 1, "the body is still open");
    drop(body);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(mock.open_streams(), 0);
}

#[tokio::test]
async fn hits_are_counted_per_upstream_model() {
    let mock = mock().await;
    let (h, v) = bearer();
    let url = openai_chat(&mock);
    post(&url, &[(h, &v)], &chat_body("gpt-a")).await;
    post(&url, &[(h, &v)], &chat_body("gpt-a")).await;
    post(&url, &[(h, &v)], &chat_body("fail-500-b")).await;
    let gemini = format!("{}/models/gem-c:generateContent", mock.url(Flavour::Gemini));
    post(
        &gemini,
        &[("x-goog-api-key", KEY)],
        &json!({"contents": [{"parts": [{"text": "a"}]}]}),
    )
    .await;
    assert_eq!(mock.hits_for_model("gpt-a"), 2);
    assert_eq!(mock.hits_for_model("fail-500-b"), 1);
    assert_eq!(mock.hits_for_model("gem-c"), 1);
    assert_eq!(mock.hits_for_model("other"), 0);
    let hits = get_json(&format!("{}/_mock/hits", mock.base_url())).await;
    assert_eq!(hits["models"]["gpt-a"], 2);
    mock.clear();
    assert_eq!(mock.hits_for_model("gpt-a"), 0);
}

async fn get_json(url: &str) -> Value {
    send("GET", url, &[], None).await.json()
}
