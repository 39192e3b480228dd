use serde_json::{Value, json};
use tollgate_types::{
    ChatRequest, ContentPart, Dialect, ErrorKind, ImageSource, Role, ToolCall, ToolChoice,
};

use crate::dialect::anthropic::parse_chat_request;

fn parse(body: &Value) -> ChatRequest {
    parse_chat_request(body.to_string().as_bytes()).expect("valid request")
}

fn minimal() -> Value {
    json!({"model": "fast", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]})
}

/// `minimal()` with `key` set to `value` (`null` removes it).
fn with(key: &str, value: Value) -> Value {
    let mut body = minimal();
    if let Some(object) = body.as_object_mut() {
        if value.is_null() {
            object.remove(key);
        } else {
            object.insert(key.to_string(), value);
        }
    }
    body
}

#[test]
fn documented_example_maps_every_field() {
    let body = json!({
        "model": "claude-sonnet-4-5", "max_tokens": 1024,
        "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "What is in this picture?"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"}},
                {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}]},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                {"type": "text", "text": "Let me check."},
                {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Oslo"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_01", "content": "{\"temp_c\":3}", "is_error": false},
                {"type": "text", "text": "And tomorrow?"}]}],
        "tools": [{"name": "get_weather", "description": "Weather by city",
                   "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}],
        "tool_choice": {"type": "auto", "disable_parallel_tool_use": true},
        "stop_sequences": ["\n\nEND"], "temperature": 0.7, "top_p": 0.9, "top_k": 40,
        "metadata": {"user_id": "u-123"}, "stream": true,
        "thinking": {"type": "enabled", "budget_tokens": 2048},
        "some_future_field": {"x": 1}
    });
    let request = parse(&body);
    assert_eq!(request.model, "claude-sonnet-4-5");
    assert_eq!(request.max_tokens, Some(1024));
    assert_eq!(request.stop, vec!["\n\nEND".to_string()]);
    assert_eq!(
        (request.temperature, request.top_p, request.top_k),
        (Some(0.7), Some(0.9), Some(40))
    );
    assert_eq!(request.user.as_deref(), Some("u-123"));
    assert!(request.stream && request.include_usage);
    assert_eq!(request.reasoning_effort.as_deref(), Some("low"));
    assert_eq!(request.tool_choice, Some(ToolChoice::Auto));
    assert_eq!(request.parallel_tool_calls, Some(false));
    assert_eq!(request.tools.len(), 1);
    assert_eq!(
        request.tools[0].parameters["properties"]["city"]["type"],
        "string"
    );

    let roles: Vec<Role> = request.messages.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [
            Role::System,
            Role::User,
            Role::Assistant,
            Role::Tool,
            Role::User
        ]
    );
    assert_eq!(request.messages[0].joined_text(), "Be brief.");
    assert_eq!(
        request.messages[1].content[1],
        ContentPart::Image {
            source: ImageSource::Base64 {
                media_type: "image/png".into(),
                data: "iVBOR".into()
            },
            detail: None
        }
    );
    let assistant = &request.messages[2];
    assert_eq!(
        assistant.joined_text(),
        "Let me check.",
        "thinking is dropped"
    );
    assert_eq!(
        assistant.tool_calls,
        vec![ToolCall {
            id: "toolu_01".into(),
            name: "get_weather".into(),
            arguments: r#"{"city":"Oslo"}"#.into()
        }]
    );
    let tool = &request.messages[3];
    assert_eq!(tool.tool_call_id.as_deref(), Some("toolu_01"));
    assert_eq!(tool.joined_text(), "{\"temp_c\":3}");
    assert!(!tool.is_error);
    assert_eq!(request.messages[4].joined_text(), "And tomorrow?");

    let passthrough = request.passthrough.as_ref().expect("passthrough kept");
    assert_eq!(passthrough.dialect, Dialect::Anthropic);
    assert_eq!(
        passthrough.body.get("some_future_field"),
        Some(&json!({"x": 1}))
    );
}

#[test]
fn a_user_turn_of_only_tool_results_adds_no_empty_user_message() {
    let request = parse(&with(
        "messages",
        json!([
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "t1", "is_error": true,
                 "content": [{"type": "text", "text": "boom"}]}]}
        ]),
    ));
    let roles: Vec<Role> = request.messages.iter().map(|m| m.role).collect();
    assert_eq!(roles, [Role::User, Role::Assistant, Role::Tool]);
    assert!(request.messages[2].is_error);
    assert_eq!(request.messages[2].joined_text(), "boom");
}

#[test]
fn tool_choice_variants_and_thinking_budgets() {
    let choice = |value: Value| parse(&with("tool_choice", value)).tool_choice;
    assert_eq!(choice(json!({"type": "any"})), Some(ToolChoice::Required));
    assert_eq!(choice(json!({"type": "none"})), Some(ToolChoice::None));
    assert_eq!(
        choice(json!({"type": "tool", "name": "f"})),
        Some(ToolChoice::Named("f".into()))
    );
    let effort = |budget: u32| {
        parse(&with(
            "thinking",
            json!({"type": "enabled", "budget_tokens": budget}),
        ))
        .reasoning_effort
    };
    assert_eq!(effort(1024).as_deref(), Some("low"));
    assert_eq!(effort(4096).as_deref(), Some("medium"));
    assert_eq!(effort(32000).as_deref(), Some("high"));
    assert_eq!(
        parse(&with("thinking", json!({"type": "disabled"}))).reasoning_effort,
        None
    );
    // Nulls are treated as absent, as several SDKs send them.
    assert_eq!(parse(&with("temperature", Value::Null)).temperature, None);
    assert_eq!(parse(&with("system", json!(""))).messages.len(), 1);
}

/// Each malformed body must be a 400 whose param and message name the field at fault.
#[test]
fn malformed_requests_are_400s_naming_the_field() {
    let message = |content: Value| with("messages", json!([{"role": "user", "content": content}]));
    let cases: Vec<(Value, &str)> = vec![
        (with("model", Value::Null), "model"),
        (with("model", json!("")), "model"),
        (with("model", json!(7)), "model"),
        (with("max_tokens", Value::Null), "max_tokens"),
        (with("max_tokens", json!(0)), "max_tokens"),
        (with("max_tokens", json!(-5)), "max_tokens"),
        (with("max_tokens", json!(1.5)), "max_tokens"),
        (with("max_tokens", json!("100")), "max_tokens"),
        (with("max_tokens", json!(99_999_999_999u64)), "max_tokens"),
        (with("messages", Value::Null), "messages"),
        (with("messages", json!([])), "messages"),
        (with("messages", json!({"role": "user"})), "messages"),
        (with("messages", json!(["hi"])), "messages.0"),
        (
            with("messages", json!([{"content": "hi"}])),
            "messages.0.role",
        ),
        (
            with("messages", json!([{"role": "system", "content": "hi"}])),
            "messages.0.role",
        ),
        (
            with(
                "messages",
                json!([{"role": "user", "content": "a"}, {"role": "tool", "content": "b"}]),
            ),
            "messages.1.role",
        ),
        (
            with("messages", json!([{"role": "user"}])),
            "messages.0.content",
        ),
        (message(json!(42)), "messages.0.content"),
        (message(json!([42])), "messages.0.content.0"),
        (message(json!([{"text": "x"}])), "messages.0.content.0.type"),
        (
            message(json!([{"type": "text"}])),
            "messages.0.content.0.text",
        ),
        (
            message(json!([{"type": "text", "text": 5}])),
            "messages.0.content.0.text",
        ),
        (
            message(json!([{"type": "video"}])),
            "messages.0.content.0.type",
        ),
        (
            message(json!([{"type": "document", "source": {}}])),
            "messages.0.content.0.type",
        ),
        (
            message(json!([{"type": "image"}])),
            "messages.0.content.0.source",
        ),
        (
            message(json!([{"type": "image", "source": {"type": "file", "file_id": "f"}}])),
            "messages.0.content.0.source.type",
        ),
        (
            message(json!([{"type": "image", "source": {"type": "base64", "data": "x"}}])),
            "messages.0.content.0.source.media_type",
        ),
        (
            message(json!([{"type": "tool_use", "id": "t", "name": "f", "input": {}}])),
            "messages.0.content.0.type",
        ),
        (
            message(json!([{"type": "tool_result"}])),
            "messages.0.content.0.tool_use_id",
        ),
        (
            message(json!([{"type": "tool_result", "tool_use_id": "t", "content": 3}])),
            "messages.0.content.0.content",
        ),
        (
            message(
                json!([{"type": "tool_result", "tool_use_id": "t", "content": [{"type": "tool_use"}]}]),
            ),
            "messages.0.content.0.content.0.type",
        ),
        (
            message(json!([{"type": "tool_result", "tool_use_id": "t", "is_error": "yes"}])),
            "messages.0.content.0.is_error",
        ),
        (
            with(
                "messages",
                json!([{"role": "assistant", "content": [
                {"type": "tool_use", "id": "t", "name": "f", "input": "{}"}]}]),
            ),
            "messages.0.content.0.input",
        ),
        (
            with(
                "messages",
                json!([{"role": "assistant", "content": [
                {"type": "tool_result", "tool_use_id": "t"}]}]),
            ),
            "messages.0.content.0.type",
        ),
        (with("system", json!(3)), "system"),
        (with("system", json!([{"type": "image"}])), "system.0.type"),
        (with("system", json!([{"type": "text"}])), "system.0.text"),
        (with("tools", json!({})), "tools"),
        (
            with("tools", json!([{"name": "f"}])),
            "tools.0.input_schema",
        ),
        (
            with("tools", json!([{"name": "f", "input_schema": []}])),
            "tools.0.input_schema",
        ),
        (with("tools", json!([{"input_schema": {}}])), "tools.0.name"),
        (
            with("tools", json!([{"name": "", "input_schema": {}}])),
            "tools.0.name",
        ),
        (
            with(
                "tools",
                json!([{"type": "web_search_20250305", "name": "web_search"}]),
            ),
            "tools.0.type",
        ),
        (with("tool_choice", json!("auto")), "tool_choice"),
        (with("tool_choice", json!({})), "tool_choice.type"),
        (
            with("tool_choice", json!({"type": "maybe"})),
            "tool_choice.type",
        ),
        (
            with("tool_choice", json!({"type": "tool"})),
            "tool_choice.name",
        ),
        (
            with(
                "tool_choice",
                json!({"type": "auto", "disable_parallel_tool_use": 1}),
            ),
            "tool_choice.disable_parallel_tool_use",
        ),
        (with("stop_sequences", json!("END")), "stop_sequences"),
        (with("stop_sequences", json!(["a", 1])), "stop_sequences.1"),
        (with("temperature", json!(1.5)), "temperature"),
        (with("temperature", json!(-0.1)), "temperature"),
        (with("temperature", json!("hot")), "temperature"),
        (with("top_p", json!(2)), "top_p"),
        (with("top_k", json!(-1)), "top_k"),
        (with("metadata", json!("u")), "metadata"),
        (with("metadata", json!({"user_id": 5})), "metadata.user_id"),
        (with("stream", json!("yes")), "stream"),
        (with("thinking", json!(true)), "thinking"),
        (
            with("thinking", json!({"type": "enabled"})),
            "thinking.budget_tokens",
        ),
        (
            with("thinking", json!({"type": "sometimes"})),
            "thinking.type",
        ),
    ];
    for (body, field) in cases {
        let error = parse_chat_request(body.to_string().as_bytes())
            .expect_err(&format!("{field} should be rejected in {body}"));
        assert_eq!(error.kind, ErrorKind::InvalidRequest, "{field}");
        assert_eq!(error.status, 400, "{field}");
        assert_eq!(error.param.as_deref(), Some(field), "{body}");
        assert!(
            error.message.starts_with(&format!("{field}: ")),
            "{field}: {}",
            error.message
        );
    }
}

#[test]
fn bodies_that_are_not_json_objects_are_400s_without_panicking() {
    let bodies: [&[u8]; 8] = [
        b"",
        b"{",
        b"[]",
        b"null",
        b"\"text\"",
        b"\xff\xfe",
        b"{\"model\": \"m\", \"max_tokens\": 1, \"messages\": [",
        &[b'['; 10_000],
    ];
    for body in bodies {
        let error = parse_chat_request(body).expect_err("must be rejected");
        assert_eq!(error.status, 400);
    }
}
