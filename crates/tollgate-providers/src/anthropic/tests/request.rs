use serde_json::{Value, json};
use tollgate_types::{
    ChatRequest, ContentPart, ErrorKind, ImageSource, Message, ResponseFormat, Role, Tool,
    ToolCall, ToolChoice,
};

use crate::anthropic::request::build_request;

fn wire(request: &ChatRequest) -> Value {
    let built = build_request(request, "claude-up", false).expect("request maps");
    serde_json::to_value(&built).expect("request encodes")
}

fn assistant_calling(id: &str, name: &str, arguments: &str) -> Message {
    Message {
        tool_calls: vec![ToolCall {
            id: id.into(),
            name: name.into(),
            arguments: arguments.into(),
        }],
        ..Message::text(Role::Assistant, "")
    }
}

fn tool_result(id: &str, text: &str) -> Message {
    Message {
        tool_call_id: Some(id.into()),
        ..Message::text(Role::Tool, text)
    }
}

fn chat(messages: Vec<Message>) -> ChatRequest {
    ChatRequest {
        model: "public".into(),
        messages,
        ..ChatRequest::default()
    }
}

#[test]
fn minimal_request_gets_the_upstream_model_and_a_default_max_tokens() {
    let body = wire(&chat(vec![Message::text(Role::User, "hi")]));
    assert_eq!(
        body,
        json!({
            "model": "claude-up",
            "max_tokens": 4096,
            "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
        })
    );
}

#[test]
fn system_and_developer_messages_anywhere_join_into_the_top_level_system() {
    let body = wire(&chat(vec![
        Message::text(Role::System, "Be brief."),
        Message::text(Role::User, "hi"),
        Message::text(Role::System, "Answer in French."),
        Message::text(Role::User, "again"),
    ]));
    assert_eq!(body["system"], "Be brief.\n\nAnswer in French.");
    // The two user turns around the dropped system message merge into one.
    assert_eq!(
        body["messages"],
        json!([{"role": "user", "content": [
            {"type": "text", "text": "hi"}, {"type": "text", "text": "again"}]}])
    );
}

#[test]
fn tool_round_trip_maps_calls_to_tool_use_and_results_to_one_user_turn() {
    let body = wire(&chat(vec![
        Message::text(Role::User, "weather in Oslo and Rome?"),
        Message {
            tool_calls: vec![
                ToolCall {
                    id: "toolu_1".into(),
                    name: "get_weather".into(),
                    arguments: r#"{"city":"Oslo"}"#.into(),
                },
                ToolCall {
                    id: "toolu_2".into(),
                    name: "get_weather".into(),
                    arguments: String::new(),
                },
            ],
            ..Message::text(Role::Assistant, "Let me check.")
        },
        tool_result("toolu_1", "3C"),
        Message {
            is_error: true,
            ..tool_result("toolu_2", "no such city")
        },
        Message::text(Role::User, "thanks"),
    ]));
    assert_eq!(
        body["messages"],
        json!([
            {"role": "user", "content": [{"type": "text", "text": "weather in Oslo and Rome?"}]},
            {"role": "assistant", "content": [
                {"type": "text", "text": "Let me check."},
                {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Oslo"}},
                {"type": "tool_use", "id": "toolu_2", "name": "get_weather", "input": {}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1",
                 "content": [{"type": "text", "text": "3C"}]},
                {"type": "tool_result", "tool_use_id": "toolu_2",
                 "content": [{"type": "text", "text": "no such city"}], "is_error": true},
                {"type": "text", "text": "thanks"}]}
        ])
    );
}

#[test]
fn invalid_tool_arguments_are_a_clear_400() {
    let request = chat(vec![
        Message::text(Role::User, "x"),
        assistant_calling("toolu_1", "f", "{not json"),
    ]);
    let error = build_request(&request, "m", false).expect_err("must fail");
    assert_eq!(error.kind, ErrorKind::InvalidRequest);
    assert_eq!(error.status, 400);
    assert_eq!(
        error.param.as_deref(),
        Some("messages[1].tool_calls[0].function.arguments")
    );
    assert!(
        error.message.contains("not valid JSON"),
        "{}",
        error.message
    );

    let array = chat(vec![assistant_calling("toolu_1", "f", "[1]")]);
    let error = build_request(&array, "m", false).expect_err("must fail");
    assert!(error.message.contains("JSON object"), "{}", error.message);
}

#[test]
fn tool_message_without_its_call_id_is_a_400() {
    let request = chat(vec![Message::text(Role::Tool, "result")]);
    let error = build_request(&request, "m", false).expect_err("must fail");
    assert_eq!(error.param.as_deref(), Some("messages[0].tool_call_id"));
}

#[test]
fn images_become_base64_or_url_sources() {
    let message = Message {
        content: vec![
            ContentPart::Image {
                source: ImageSource::from_url("data:image/png;base64,iVBOR"),
                detail: Some("high".into()),
            },
            ContentPart::Image {
                source: ImageSource::Url("https://example.com/cat.jpg".into()),
                detail: None,
            },
            ContentPart::Text {
                text: "what is this?".into(),
            },
        ],
        ..Message::text(Role::User, "")
    };
    let body = wire(&chat(vec![message]));
    assert_eq!(
        body["messages"][0]["content"],
        json!([
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"}},
            {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
            {"type": "text", "text": "what is this?"}
        ])
    );
}

#[test]
fn sampling_limits_and_user_map_to_their_anthropic_names() {
    let request = ChatRequest {
        max_tokens: Some(100),
        stop: vec!["END".into()],
        temperature: Some(1.7),
        top_p: Some(0.9),
        top_k: Some(40),
        user: Some("u-1".into()),
        seed: Some(7),
        ..chat(vec![Message::text(Role::User, "hi")])
    };
    let body = wire(&request);
    assert_eq!(body["max_tokens"], 100);
    assert_eq!(body["stop_sequences"], json!(["END"]));
    assert_eq!(body["temperature"], 1.0, "clamped to Anthropic's range");
    assert_eq!(body["top_p"], 0.9);
    assert_eq!(body["top_k"], 40);
    assert_eq!(body["metadata"], json!({"user_id": "u-1"}));
    assert!(body.get("seed").is_none());
    assert!(body.get("stream").is_none());
}

#[test]
fn tools_and_every_tool_choice() {
    let tools = vec![
        Tool {
            name: "get_weather".into(),
            description: Some("Weather by city".into()),
            parameters: json!({"type": "object", "properties": {"city": {"type": "string"}}}),
            strict: None,
        },
        Tool {
            name: "now".into(),
            description: None,
            parameters: Value::Null,
            strict: None,
        },
    ];
    let with = |choice: Option<ToolChoice>, parallel: Option<bool>| {
        wire(&ChatRequest {
            tools: tools.clone(),
            tool_choice: choice,
            parallel_tool_calls: parallel,
            ..chat(vec![Message::text(Role::User, "hi")])
        })
    };
    let body = with(None, None);
    assert_eq!(
        body["tools"],
        json!([
            {"name": "get_weather", "description": "Weather by city",
             "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}},
            {"name": "now", "input_schema": {"type": "object"}}
        ])
    );
    assert!(body.get("tool_choice").is_none());
    assert_eq!(
        with(Some(ToolChoice::Auto), None)["tool_choice"],
        json!({"type": "auto"})
    );
    assert_eq!(
        with(Some(ToolChoice::Required), Some(false))["tool_choice"],
        json!({"type": "any", "disable_parallel_tool_use": true})
    );
    assert_eq!(
        with(Some(ToolChoice::None), Some(false))["tool_choice"],
        json!({"type": "none"})
    );
    assert_eq!(
        with(Some(ToolChoice::Named("now".into())), None)["tool_choice"],
        json!({"type": "tool", "name": "now"})
    );
    assert_eq!(
        with(None, Some(false))["tool_choice"],
        json!({"type": "auto", "disable_parallel_tool_use": true})
    );
}

#[test]
fn json_schema_is_emulated_with_one_forced_tool() {
    let schema = json!({"type": "object", "properties": {"answer": {"type": "string"}}});
    let body = wire(&ChatRequest {
        response_format: Some(ResponseFormat::JsonSchema {
            name: "reply".into(),
            schema: schema.clone(),
            strict: Some(true),
        }),
        reasoning_effort: Some("high".into()),
        ..chat(vec![Message::text(Role::User, "hi")])
    });
    assert_eq!(body["tools"][0]["name"], "json_response");
    assert_eq!(body["tools"][0]["input_schema"], schema);
    assert_eq!(body["tool_choice"]["type"], "tool");
    assert_eq!(body["tool_choice"]["name"], "json_response");
    assert!(
        body.get("thinking").is_none(),
        "forced tools exclude thinking"
    );

    let object = wire(&ChatRequest {
        response_format: Some(ResponseFormat::JsonObject),
        ..chat(vec![Message::text(Role::User, "hi")])
    });
    assert_eq!(
        object["tools"][0]["input_schema"],
        json!({"type": "object"})
    );
}

#[test]
fn reasoning_effort_becomes_a_thinking_budget_below_max_tokens() {
    let with = |effort: &str, max_tokens: Option<u32>| {
        wire(&ChatRequest {
            reasoning_effort: Some(effort.into()),
            max_tokens,
            temperature: Some(0.2),
            ..chat(vec![Message::text(Role::User, "hi")])
        })
    };
    let low = with("low", None);
    assert_eq!(
        low["thinking"],
        json!({"type": "enabled", "budget_tokens": 1024})
    );
    assert_eq!(low["max_tokens"], 4096);
    assert!(
        low.get("temperature").is_none(),
        "thinking requires default sampling"
    );
    assert_eq!(
        with("medium", Some(8000))["thinking"]["budget_tokens"],
        4096
    );
    let high = with("high", Some(1000));
    assert_eq!(high["thinking"]["budget_tokens"], 16384);
    assert_eq!(high["max_tokens"], 16384 + 1000);

    let error = build_request(
        &ChatRequest {
            reasoning_effort: Some("extreme".into()),
            ..chat(vec![])
        },
        "m",
        false,
    )
    .expect_err("unknown effort");
    assert_eq!(error.param.as_deref(), Some("reasoning_effort"));
}

#[test]
fn several_choices_are_refused() {
    let request = ChatRequest {
        n: Some(2),
        ..chat(vec![Message::text(Role::User, "hi")])
    };
    let error = build_request(&request, "m", false).expect_err("n > 1");
    assert_eq!(error.status, 400);
    assert_eq!(error.message, "n > 1 is not supported by Anthropic models");
    let one = ChatRequest {
        n: Some(1),
        ..chat(vec![Message::text(Role::User, "hi")])
    };
    assert!(build_request(&one, "m", false).is_ok());
}

#[test]
fn empty_assistant_text_is_not_sent_and_stream_is_flagged() {
    let request = chat(vec![
        Message::text(Role::User, "a"),
        Message::text(Role::Assistant, ""),
        Message::text(Role::User, "b"),
    ]);
    let built = build_request(&request, "m", true).expect("maps");
    let body = serde_json::to_value(&built).expect("encodes");
    assert_eq!(body["stream"], true);
    assert_eq!(body["messages"].as_array().map(Vec::len), Some(1));
}
