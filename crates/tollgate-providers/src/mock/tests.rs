//! Tests of the built-in mock provider through the `Provider` interface.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::json;
use tollgate_types::{
    ChatRequest, ChatResponse, EmbeddingInput, EmbeddingRequest, EncodingFormat, FinishReason,
    Message, Role, StreamEvent, Tool, ToolChoice,
};

use super::MockProvider;
use crate::{ChatReply, MockSettings, Provider, ProviderKind, ProviderSpec, Target};

fn provider(settings: MockSettings) -> MockProvider {
    let mut spec = ProviderSpec::new("mock", ProviderKind::Mock, "");
    spec.mock = settings;
    MockProvider::new(spec)
}

fn target() -> Target {
    Target::new("mock-1", Duration::from_secs(5))
}

fn ask(text: &str) -> ChatRequest {
    ChatRequest {
        model: "mock".into(),
        messages: vec![
            Message::text(Role::System, "You are a test."),
            Message::text(Role::User, text),
        ],
        ..ChatRequest::default()
    }
}

async fn chat(provider: &MockProvider, request: &ChatRequest) -> ChatResponse {
    match provider.chat(request, &target()).await.unwrap() {
        ChatReply::Canonical(response) => response,
        ChatReply::Native(_) => panic!("the mock answers canonically"),
    }
}

fn weather_tool() -> Tool {
    Tool {
        name: "get_weather".into(),
        description: None,
        parameters: json!({"type": "object"}),
        strict: None,
    }
}

#[tokio::test]
async fn answers_are_deterministic_and_exactly_output_tokens_long() {
    let provider = provider(MockSettings::default());
    let request = ask("Hello  there,\n mock");
    let first = chat(&provider, &request).await;
    let second = chat(&provider, &request).await;
    let text = first.choices[0].message.content.clone().unwrap();
    assert_eq!(
        second.choices[0].message.content.as_deref(),
        Some(text.as_str())
    );
    assert_ne!(first.id, second.id);
    assert_eq!(
        text,
        "This is Tollgate's built-in mock model. You said: Hello there, mock lorem ipsum dolor sit amet"
    );
    assert_eq!(text.split_whitespace().count(), 16);
    assert_eq!(first.choices[0].finish_reason, FinishReason::Stop);
    assert_eq!(first.model, "mock-1");
    // "You are a test." + "Hello there, mock"
    assert_eq!(first.usage.input_tokens, 4 + 3);
    assert_eq!(first.usage.output_tokens, 16);
}

#[tokio::test]
async fn long_user_text_is_quoted_up_to_200_characters() {
    let provider = provider(MockSettings {
        output_tokens: 1000,
        ..MockSettings::default()
    });
    let long = "é".repeat(300);
    let text = chat(&provider, &ask(&long)).await.choices[0]
        .message
        .content
        .clone()
        .unwrap();
    assert!(text.contains(&format!("You said: {} lorem", "é".repeat(200))));
    assert_eq!(text.split_whitespace().count(), 1000);
}

#[tokio::test]
async fn max_tokens_below_the_answer_length_cuts_it_with_length() {
    let provider = provider(MockSettings::default());
    let mut request = ask("hi");
    request.max_tokens = Some(3);
    let response = chat(&provider, &request).await;
    assert_eq!(
        response.choices[0].message.content.as_deref(),
        Some("This is Tollgate's")
    );
    assert_eq!(response.choices[0].finish_reason, FinishReason::Length);
    assert_eq!(response.usage.output_tokens, 3);
}

#[tokio::test]
async fn declared_tools_are_called_when_the_user_spoke_last() {
    let provider = provider(MockSettings::default());
    let mut request = ask("Weather in Oslo?");
    request.tools = vec![weather_tool()];
    let response = chat(&provider, &request).await;
    let choice = &response.choices[0];
    assert_eq!(choice.finish_reason, FinishReason::ToolCalls);
    assert_eq!(choice.message.content, None);
    let call = &choice.message.tool_calls[0];
    assert_eq!(call.name, "get_weather");
    let arguments: serde_json::Value = serde_json::from_str(&call.arguments).unwrap();
    assert_eq!(arguments, json!({"input": "Weather in Oslo?"}));

    // After the tool answered, the mock answers in text; `tool_choice: none` forbids calls.
    request.messages.push(Message {
        tool_call_id: Some(call.id.clone()),
        ..Message::text(Role::Tool, "3 degrees")
    });
    let after = chat(&provider, &request).await;
    assert_eq!(after.choices[0].finish_reason, FinishReason::Stop);
    let mut forbidden = ask("x");
    forbidden.tools = vec![weather_tool()];
    forbidden.tool_choice = Some(ToolChoice::None);
    assert!(
        chat(&provider, &forbidden).await.choices[0]
            .message
            .tool_calls
            .is_empty()
    );
}

#[tokio::test]
async fn stream_sends_start_one_delta_per_word_finish_then_usage() {
    let provider = provider(MockSettings {
        output_tokens: 5,
        ..MockSettings::default()
    });
    let request = ask("hi");
    let events: Vec<StreamEvent> = provider
        .chat_stream(&request, &target())
        .await
        .unwrap()
        .collect()
        .await;
    assert!(matches!(&events[0], StreamEvent::Start { model, .. } if model == "mock-1"));
    let words: Vec<&str> = events[1..6]
        .iter()
        .map(|event| match event {
            StreamEvent::TextDelta { choice: 0, text } => text.as_str(),
            other => panic!("expected a text delta, got {other:?}"),
        })
        .collect();
    assert_eq!(words, ["This", " is", " Tollgate's", " built-in", " mock"]);
    assert_eq!(
        events[6],
        StreamEvent::Finish {
            choice: 0,
            reason: FinishReason::Stop
        }
    );
    assert!(matches!(&events[7], StreamEvent::Usage(usage) if usage.output_tokens == 5));
    assert_eq!(events.len(), 8);
    let whole = chat(&provider, &request).await;
    assert_eq!(
        whole.choices[0].message.content.as_deref(),
        Some(words.concat().as_str())
    );
}

#[tokio::test]
async fn stream_of_a_tool_call() {
    let provider = provider(MockSettings::default());
    let mut request = ask("go");
    request.tools = vec![weather_tool()];
    let events: Vec<StreamEvent> = provider
        .chat_stream(&request, &target())
        .await
        .unwrap()
        .collect()
        .await;
    assert!(
        matches!(&events[1], StreamEvent::ToolCallStart { index: 0, name, .. } if name == "get_weather")
    );
    assert_eq!(
        events[2],
        StreamEvent::ToolCallDelta {
            choice: 0,
            index: 0,
            arguments: r#"{"input":"go"}"#.into()
        }
    );
    assert_eq!(
        events[3],
        StreamEvent::Finish {
            choice: 0,
            reason: FinishReason::ToolCalls
        }
    );
}

// Real (short) sleeps: `tokio::time::pause` needs tokio's `test-util` feature, which the
// workspace does not enable.
#[tokio::test]
async fn latency_and_chunk_delay_are_honoured() {
    let provider = provider(MockSettings {
        latency: Duration::from_millis(60),
        output_tokens: 3,
        chunk_delay: Duration::from_millis(20),
    });
    let started = Instant::now();
    chat(&provider, &ask("hi")).await;
    assert!(started.elapsed() >= Duration::from_millis(60));

    let started = Instant::now();
    let mut stream = provider.chat_stream(&ask("hi"), &target()).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(60),
        "latency is paid inside the stream, before the first event"
    );
    stream.next().await;
    assert!(started.elapsed() >= Duration::from_millis(60));
    while stream.next().await.is_some() {}
    // Two gaps between three words.
    assert!(started.elapsed() >= Duration::from_millis(100));
}

#[tokio::test]
async fn n_choices_are_all_answered_and_counted() {
    let provider = provider(MockSettings::default());
    let mut request = ask("hi");
    request.n = Some(3);
    let response = chat(&provider, &request).await;
    assert_eq!(response.choices.len(), 3);
    assert_eq!(response.choices[2].index, 2);
    assert_eq!(response.choices[0].message, response.choices[2].message);
    assert_eq!(response.usage.output_tokens, 48);
}

#[tokio::test]
async fn embeddings_are_deterministic_unit_vectors() {
    let provider = provider(MockSettings::default());
    let mut request = EmbeddingRequest {
        model: "mock".into(),
        input: EmbeddingInput::Texts(vec!["alpha".into(), "beta gamma".into(), "alpha".into()]),
        dimensions: None,
        encoding_format: EncodingFormat::Float,
        user: None,
    };
    let response = provider.embed(&request, &target()).await.unwrap();
    assert_eq!(response.vectors.len(), 3);
    assert_eq!(response.vectors[0].len(), 16);
    assert_eq!(response.vectors[0], response.vectors[2]);
    assert_ne!(response.vectors[0], response.vectors[1]);
    for vector in &response.vectors {
        let norm: f32 = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
    }
    assert_eq!(response.usage.input_tokens, 4);

    request.dimensions = Some(64);
    let again = provider.embed(&request, &target()).await.unwrap();
    assert_eq!(again.vectors[1].len(), 64);
    request.dimensions = Some(0);
    assert_eq!(
        provider
            .embed(&request, &target())
            .await
            .unwrap_err()
            .status,
        400
    );
    request.input = EmbeddingInput::Tokens(vec![vec![1, 2, 3]]);
    request.dimensions = None;
    assert_eq!(
        provider
            .embed(&request, &target())
            .await
            .unwrap()
            .usage
            .input_tokens,
        3
    );
}
