//! The adapter over real HTTP against `tollgate-mock`: what is sent upstream and what comes back.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use tollgate_mock::{Flavour, MockOptions, MockServer, StreamQuirks};
use tollgate_types::{
    ChatRequest, Dialect, EmbeddingInput, EmbeddingRequest, EncodingFormat, FinishReason, Message,
    NanoUsd, PassthroughBody, Role, StreamEvent, Tool, Usage,
};

use crate::{ChatReply, Provider, ProviderKind, ProviderSpec, Target, UpstreamClient};

use super::super::OpenAiProvider;

pub(super) async fn mock(quirks: StreamQuirks) -> MockServer {
    MockServer::start(MockOptions::default().with_quirks(quirks))
        .await
        .unwrap()
}

pub(super) fn provider(mock: &MockServer, kind: ProviderKind, key: &str) -> OpenAiProvider {
    let flavour = match kind {
        ProviderKind::OpenRouter => Flavour::OpenRouter,
        ProviderKind::Azure => Flavour::Azure,
        _ => Flavour::OpenAi,
    };
    let mut spec = ProviderSpec::new("up", kind, mock.url(flavour)).with_api_key(key);
    spec.headers.push(("x-extra".into(), "1".into()));
    OpenAiProvider::new(spec, UpstreamClient::new(Duration::from_secs(5)))
}

pub(super) fn target(model: &str) -> Target {
    Target::new(model, Duration::from_secs(10))
}

pub(super) fn canonical(text: &str) -> ChatRequest {
    ChatRequest {
        model: "public".into(),
        messages: vec![
            Message::text(Role::System, "Be brief."),
            Message::text(Role::User, text),
        ],
        ..ChatRequest::default()
    }
}

/// A request as the OpenAI dialect hands it over: canonical fields plus the caller's body.
fn passthrough(body: Value) -> ChatRequest {
    let Value::Object(body) = body else {
        panic!("not an object")
    };
    ChatRequest {
        model: "public".into(),
        messages: vec![Message::text(Role::User, "unused")],
        stream: body.get("stream") == Some(&Value::Bool(true)),
        passthrough: Some(PassthroughBody {
            dialect: Dialect::OpenAi,
            body,
        }),
        ..ChatRequest::default()
    }
}

pub(super) async fn collect(
    provider: &OpenAiProvider,
    request: &ChatRequest,
    model: &str,
) -> Vec<StreamEvent> {
    let stream = provider.chat_stream(request, &target(model)).await.unwrap();
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

fn last_usage(events: &[StreamEvent]) -> Option<Usage> {
    events.iter().rev().find_map(|event| match event {
        StreamEvent::Usage(usage) => Some(*usage),
        _ => None,
    })
}

fn canonical_reply(reply: ChatReply) -> tollgate_types::ChatResponse {
    match reply {
        ChatReply::Canonical(response) => response,
        ChatReply::Native(native) => panic!("expected canonical, got {native:?}"),
    }
}

#[tokio::test]
async fn chat_sends_the_openai_body_and_maps_the_answer() {
    let mock = mock(StreamQuirks::NONE).await;
    let provider = provider(&mock, ProviderKind::OpenAi, "mock-key");
    let request = ChatRequest {
        max_tokens: Some(50),
        temperature: Some(0.3),
        ..canonical("hello CACHED world REASON")
    };
    let response = canonical_reply(
        provider
            .chat(&request, &target("gpt-4o-mini"))
            .await
            .unwrap(),
    );
    let choice = &response.choices[0];
    assert_eq!(
        choice.message.content.as_deref(),
        Some("echo: hello CACHED world REASON")
    );
    assert_eq!(choice.finish_reason, FinishReason::Stop);
    assert_eq!(response.model, "gpt-4o-mini");
    assert!(response.id.starts_with("chatcmpl-mock"));
    // Prompt: "Be brief." + 4 words; completion: 5 words + 7 reasoning tokens inside.
    assert_eq!(response.usage.input_tokens, 6);
    assert_eq!(response.usage.cached_input_tokens, 3);
    assert_eq!(response.usage.reasoning_tokens, 7);
    assert_eq!(response.usage.output_tokens, 12);
    assert_eq!(response.provider_cost, None);

    assert_eq!(mock.hits(Flavour::OpenAi), 1);
    let sent = mock.last_request().unwrap();
    assert_eq!(sent.path, "/openai/v1/chat/completions");
    assert_eq!(sent.header("authorization"), Some("Bearer mock-key"));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(sent.header("x-extra"), Some("1"));
    let body = sent.json.unwrap();
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["max_tokens"], 50, "a non-OpenAI host gets max_tokens");
    assert_eq!(body["temperature"], 0.3);
    assert!(body.get("stream").is_none());
}

#[tokio::test]
async fn chat_stream_translates_chunks_through_every_quirk() {
    let mock = mock(StreamQuirks::ALL).await;
    let provider = provider(&mock, ProviderKind::OpenAi, "mock-key");
    let events = collect(&provider, &canonical("one two three four"), "gpt-4o").await;
    assert!(
        matches!(&events[0], StreamEvent::Start { id, model } if id.starts_with("chatcmpl-mock") && model == "gpt-4o")
    );
    assert_eq!(text_of(&events), "echo: one two three four");
    assert!(events.contains(&StreamEvent::Finish {
        choice: 0,
        reason: FinishReason::Stop
    }));
    let usage = last_usage(&events).expect("usage from the choices:null chunk");
    assert_eq!((usage.input_tokens, usage.output_tokens), (6, 5));
    assert!(!events.iter().any(|e| matches!(e, StreamEvent::Error(_))));

    let body = mock.last_request().unwrap().json.unwrap();
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
}

#[tokio::test]
async fn n_choices_are_kept_apart() {
    let mock = mock(StreamQuirks::NONE).await;
    let provider = provider(&mock, ProviderKind::OpenAi, "mock-key");
    let request = ChatRequest {
        n: Some(2),
        ..canonical("hi there")
    };
    let response = canonical_reply(provider.chat(&request, &target("m")).await.unwrap());
    assert_eq!(response.choices.len(), 2);
    assert_eq!(response.choices[1].index, 1);
    let events = collect(&provider, &request, "m").await;
    let second: String = events
        .iter()
        .filter_map(|event| match event {
            StreamEvent::TextDelta { choice: 1, text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(second, "echo: hi there");
}

#[tokio::test]
async fn passthrough_sends_the_callers_body_and_returns_the_upstreams() {
    let mock = mock(StreamQuirks::NONE).await;
    let provider = provider(&mock, ProviderKind::OpenAi, "mock-key");
    let request = passthrough(json!({
        "model": "public", "messages": [{"role": "user", "content": "pass me"}],
        "logit_bias": {"50256": -100}, "max_completion_tokens": 10
    }));
    let reply = provider
        .chat(&request, &target("gpt-4o-mini"))
        .await
        .unwrap();
    let ChatReply::Native(native) = reply else {
        panic!("expected a native reply")
    };
    assert_eq!(native.dialect, Dialect::OpenAi);
    let answer: Value = serde_json::from_slice(&native.body).unwrap();
    assert_eq!(answer["choices"][0]["message"]["content"], "echo: pass me");
    assert_eq!(answer["model"], "gpt-4o-mini");
    assert_eq!(
        (native.usage.input_tokens, native.usage.output_tokens),
        (2, 3)
    );

    let sent = mock.last_request().unwrap().json.unwrap();
    assert_eq!(
        sent,
        json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "pass me"}],
            "logit_bias": {"50256": -100}, "max_completion_tokens": 10})
    );
}

#[tokio::test]
async fn passthrough_stream_forwards_frames_and_forces_usage() {
    let mock = mock(StreamQuirks::ALL).await;
    let provider = provider(&mock, ProviderKind::OpenAi, "mock-key");
    // The caller did not ask for usage; Tollgate needs it anyway.
    let request = passthrough(json!({
        "model": "public", "stream": true, "messages": [{"role": "user", "content": "stream me please"}]
    }));
    let events = collect(&provider, &request, "gpt-4o").await;
    let sent = mock.last_request().unwrap().json.unwrap();
    assert_eq!(sent["model"], "gpt-4o");
    assert_eq!(sent["stream_options"], json!({"include_usage": true}));

    let mut native = Vec::new();
    for event in &events {
        match event {
            StreamEvent::Native(frame) => native.extend_from_slice(frame),
            StreamEvent::Error(error) => panic!("error: {error}"),
            _ => {}
        }
    }
    let chunks = tollgate_sse::decode_all(&native).unwrap();
    let mut text = String::new();
    for chunk in &chunks {
        assert_ne!(chunk.data, "[DONE]", "[DONE] is the encoder's to write");
        let value: Value = serde_json::from_str(&chunk.data).unwrap();
        let choices = value["choices"]
            .as_array()
            .expect("usage-only chunk was held back");
        assert!(!choices.is_empty());
        text.push_str(choices[0]["delta"]["content"].as_str().unwrap_or(""));
    }
    assert_eq!(text, "echo: stream me please");
    assert!(matches!(&events[0], StreamEvent::Start { id, .. } if id.starts_with("chatcmpl-mock")));
    assert!(events.contains(&StreamEvent::Finish {
        choice: 0,
        reason: FinishReason::Stop
    }));
    let usage = last_usage(&events).unwrap();
    assert_eq!((usage.input_tokens, usage.output_tokens), (3, 4));
}

#[tokio::test]
async fn tool_calls_round_trip() {
    let mock = mock(StreamQuirks::NONE).await;
    let provider = provider(&mock, ProviderKind::OpenAi, "mock-key");
    let request = ChatRequest {
        tools: vec![Tool {
            name: "lookup".into(),
            description: Some("Look it up".into()),
            parameters: json!({"type": "object", "properties": {"input": {"type": "string"}}}),
            strict: None,
        }],
        ..canonical("find cats")
    };
    let response = canonical_reply(provider.chat(&request, &target("m")).await.unwrap());
    let choice = &response.choices[0];
    assert_eq!(choice.finish_reason, FinishReason::ToolCalls);
    let call = &choice.message.tool_calls[0];
    assert_eq!(
        (call.id.as_str(), call.name.as_str()),
        ("call_mock_1", "lookup")
    );
    assert_eq!(call.arguments, r#"{"input":"find cats"}"#);

    let events = collect(&provider, &request, "m").await;
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
    assert!(events.contains(&StreamEvent::ToolCallStart {
        choice: 0,
        index: 0,
        id: "call_mock_1".into(),
        name: "lookup".into()
    }));
    assert_eq!(arguments, r#"{"input":"find cats"}"#);
    assert!(events.contains(&StreamEvent::Finish {
        choice: 0,
        reason: FinishReason::ToolCalls
    }));

    // The tool result goes back as a `tool` message with its call id.
    let mut follow_up = request.clone();
    follow_up.messages.push(Message {
        content: Vec::new(),
        tool_calls: vec![call.clone()],
        ..Message::text(Role::Assistant, "")
    });
    follow_up.messages.push(Message {
        tool_call_id: Some("call_mock_1".into()),
        ..Message::text(Role::Tool, "purr")
    });
    let response = canonical_reply(provider.chat(&follow_up, &target("m")).await.unwrap());
    assert_eq!(
        response.choices[0].message.content.as_deref(),
        Some("tool said: purr")
    );
    let sent = mock.last_request().unwrap().json.unwrap();
    assert_eq!(sent["messages"][3]["tool_call_id"], "call_mock_1");
    assert_eq!(sent["messages"][2]["content"], Value::Null);
}

#[tokio::test]
async fn embeddings_in_input_order() {
    let mock = mock(StreamQuirks::NONE).await;
    let provider = provider(&mock, ProviderKind::OpenAi, "mock-key");
    let request = EmbeddingRequest {
        model: "public".into(),
        input: EmbeddingInput::Texts(vec!["a b".into(), "c".into(), "d e f".into()]),
        dimensions: Some(8),
        encoding_format: EncodingFormat::Base64,
        user: Some("u1".into()),
    };
    let response = provider
        .embed(&request, &target("text-embedding-3-small"))
        .await
        .unwrap();
    assert_eq!(response.vectors.len(), 3);
    assert!(response.vectors.iter().all(|v| v.len() == 8));
    assert_ne!(response.vectors[0], response.vectors[1]);
    assert_eq!(response.usage.input_tokens, 6);
    let sent = mock.last_request().unwrap();
    assert_eq!(sent.path, "/openai/v1/embeddings");
    let body = sent.json.unwrap();
    assert_eq!(
        body["encoding_format"], "float",
        "upstreams are always asked for floats"
    );
    assert_eq!(body["dimensions"], 8);
    assert_eq!(body["user"], "u1");

    let tokens = EmbeddingRequest {
        input: EmbeddingInput::Tokens(vec![vec![1, 2, 3]]),
        dimensions: None,
        ..request
    };
    let response = provider
        .embed(&tokens, &target("text-embedding-3-small"))
        .await
        .unwrap();
    assert_eq!(response.vectors[0].len(), 16);
    assert_eq!(response.usage.input_tokens, 3);
}

#[tokio::test]
async fn openrouter_cost_is_exact_everywhere() {
    let mock = mock(StreamQuirks::ALL).await;
    let provider = provider(&mock, ProviderKind::OpenRouter, "mock-key");
    // Prompt "Be brief." + 3 words = 5 tokens, reply 4 words: 5e-6 + 8e-6 = 0.000013 USD.
    let expected = NanoUsd(13_000);
    let request = canonical("pay me CACHE_WRITE");
    let response = canonical_reply(
        provider
            .chat(&request, &target("openai/gpt-4o"))
            .await
            .unwrap(),
    );
    assert_eq!(response.provider_cost, Some(expected));
    assert_eq!(response.usage.cache_write_tokens, 2);
    let sent = mock.last_request().unwrap();
    assert_eq!(sent.path, "/openrouter/api/v1/chat/completions");
    assert_eq!(sent.json.unwrap()["usage"], json!({"include": true}));

    let events = collect(&provider, &request, "openai/gpt-4o").await;
    assert!(
        events.contains(&StreamEvent::ProviderCost(expected)),
        "{events:?}"
    );

    let native = passthrough(json!({"model": "x", "messages": [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "pay me CACHE_WRITE"}]}));
    let ChatReply::Native(reply) = provider
        .chat(&native, &target("openai/gpt-4o"))
        .await
        .unwrap()
    else {
        panic!("expected a native reply")
    };
    assert_eq!(reply.provider_cost, Some(expected));
    let streamed = passthrough(json!({"model": "x", "stream": true, "messages": [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "pay me CACHE_WRITE"}]}));
    let events = collect(&provider, &streamed, "openai/gpt-4o").await;
    assert!(
        events.contains(&StreamEvent::ProviderCost(expected)),
        "{events:?}"
    );
    let sent = mock.last_request().unwrap().json.unwrap();
    assert_eq!(sent["usage"], json!({"include": true}));
}

#[tokio::test]
async fn azure_uses_the_deployment_url_and_api_key_header() {
    let mock = mock(StreamQuirks::NONE).await;
    let provider = provider(&mock, ProviderKind::Azure, "mock-key");
    let response = canonical_reply(
        provider
            .chat(&canonical("hi azure"), &target("my-dep"))
            .await
            .unwrap(),
    );
    assert_eq!(
        response.choices[0].message.content.as_deref(),
        Some("echo: hi azure")
    );
    let sent = mock.last_request().unwrap();
    assert_eq!(
        sent.path,
        "/azure/openai/deployments/my-dep/chat/completions?api-version=2024-10-21"
    );
    assert_eq!(sent.header("api-key"), Some("mock-key"));
    assert_eq!(sent.header("authorization"), None);
    let body = sent.json.unwrap();
    assert!(body.get("model").is_none());
    assert!(body.get("max_tokens").is_none());

    let events = collect(&provider, &canonical("hi azure"), "my-dep").await;
    assert!(
        matches!(&events[0], StreamEvent::Start { id, .. } if !id.is_empty()),
        "{events:?}"
    );
    assert_eq!(text_of(&events), "echo: hi azure");

    let embedded = provider
        .embed(
            &EmbeddingRequest {
                model: "e".into(),
                input: EmbeddingInput::Texts(vec!["x".into()]),
                dimensions: None,
                encoding_format: EncodingFormat::Float,
                user: None,
            },
            &target("emb-dep"),
        )
        .await
        .unwrap();
    assert_eq!(embedded.vectors.len(), 1);
    assert_eq!(
        mock.last_request().unwrap().path,
        "/azure/openai/deployments/emb-dep/embeddings?api-version=2024-10-21"
    );
}

#[tokio::test]
async fn no_key_means_no_authorization_header() {
    let mock = mock(StreamQuirks::NONE).await;
    let spec = ProviderSpec::new("local", ProviderKind::OpenAi, mock.url(Flavour::OpenAi));
    let provider = OpenAiProvider::new(spec, UpstreamClient::new(Duration::from_secs(5)));
    let error = provider
        .chat(&canonical("x"), &target("m"))
        .await
        .unwrap_err();
    assert_eq!(error.status, 502, "the mock wants a key: {error}");
    assert_eq!(mock.last_request().unwrap().header("authorization"), None);
}
