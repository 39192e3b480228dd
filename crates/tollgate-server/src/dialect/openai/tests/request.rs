//! `parse_chat_request` / `parse_embedding_request`: the mapping, and 400s naming the field.

use serde_json::{Value, json};
use tollgate_types::{
    ContentPart, Dialect, EmbeddingInput, EncodingFormat, ErrorKind, ImageSource, ResponseFormat,
    Role, ToolChoice,
};

use super::super::{parse_chat_request, parse_embedding_request};

fn parse(body: Value) -> Result<tollgate_types::ChatRequest, tollgate_types::GatewayError> {
    parse_chat_request(body.to_string().as_bytes())
}

fn with(extra: Value) -> Value {
    let mut body = json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]});
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    body
}

/// Asserts a 400 naming `param`, whose message names it too.
#[track_caller]
fn rejects(body: Value, param: &str) {
    let error = parse(body.clone()).expect_err(&format!("accepted {body}"));
    assert_eq!(error.status, 400, "{error}");
    assert_eq!(error.kind, ErrorKind::InvalidRequest);
    assert_eq!(
        error.param.as_deref(),
        Some(param),
        "{} for {body}",
        error.message
    );
    assert!(error.message.contains(param), "{}", error.message);
}

#[test]
fn full_request_maps_to_canonical() {
    let body = json!({
        "model": "fast",
        "messages": [
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBOR", "detail": "high"}}]},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "{\"temp_c\":3}"}
        ],
        "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}, "strict": true}}],
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        "parallel_tool_calls": false,
        "response_format": {"type": "json_schema", "json_schema": {"name": "out", "schema": {"type": "object"}, "strict": true}},
        "temperature": 0.2, "top_p": 1, "n": 1, "max_tokens": 50, "max_completion_tokens": 60,
        "stop": ["a", "b"], "stream": true, "stream_options": {"include_usage": true},
        "seed": -5, "presence_penalty": 0.5, "frequency_penalty": -2, "user": "u1",
        "reasoning_effort": "minimal", "logit_bias": {"1": 2}, "top_k": 20
    });
    let request = parse(body.clone()).unwrap();
    assert_eq!(request.model, "fast");
    assert_eq!(request.messages.len(), 4);
    assert_eq!(request.messages[0].role, Role::System);
    assert_eq!(request.messages[0].joined_text(), "Be brief.");
    assert_eq!(
        request.messages[1].content[1],
        ContentPart::Image {
            source: ImageSource::Base64 {
                media_type: "image/png".into(),
                data: "iVBOR".into()
            },
            detail: Some("high".into())
        }
    );
    let assistant = &request.messages[2];
    assert!(assistant.content.is_empty());
    assert_eq!(assistant.tool_calls[0].arguments, "{\"city\":\"Oslo\"}");
    assert_eq!(request.messages[3].role, Role::Tool);
    assert_eq!(request.messages[3].tool_call_id.as_deref(), Some("call_1"));
    assert_eq!(request.tools[0].strict, Some(true));
    assert_eq!(
        request.tool_choice,
        Some(ToolChoice::Named("get_weather".into()))
    );
    assert_eq!(request.parallel_tool_calls, Some(false));
    assert!(
        matches!(request.response_format, Some(ResponseFormat::JsonSchema { ref name, .. }) if name == "out")
    );
    assert_eq!(request.temperature, Some(0.2));
    assert_eq!(request.top_p, Some(1.0));
    assert_eq!(request.max_tokens, Some(60), "max_completion_tokens wins");
    assert_eq!(request.stop, vec!["a", "b"]);
    assert_eq!((request.stream, request.include_usage), (true, true));
    assert_eq!(request.seed, Some(-5));
    assert_eq!(request.frequency_penalty, Some(-2.0));
    assert_eq!(request.user.as_deref(), Some("u1"));
    assert_eq!(request.reasoning_effort.as_deref(), Some("minimal"));
    assert_eq!(request.top_k, Some(20));
    let passthrough = request.passthrough_for(Dialect::OpenAi).unwrap();
    assert_eq!(
        &Value::Object(passthrough.clone()),
        &body,
        "the whole body is kept"
    );
}

#[test]
fn legacy_functions_become_tools() {
    let request = parse(with(json!({
        "messages": [
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": null, "function_call": {"name": "get_weather", "arguments": "{}"}},
            {"role": "function", "name": "get_weather", "content": "sunny"}
        ],
        "functions": [{"name": "get_weather", "parameters": {"type": "object"}}],
        "function_call": {"name": "get_weather"}
    })))
    .unwrap();
    assert_eq!(request.tools[0].name, "get_weather");
    assert_eq!(
        request.tool_choice,
        Some(ToolChoice::Named("get_weather".into()))
    );
    let call_id = &request.messages[1].tool_calls[0].id;
    let result = &request.messages[2];
    assert_eq!(result.role, Role::Tool);
    assert_eq!(
        result.tool_call_id.as_ref(),
        Some(call_id),
        "result pairs with its call"
    );
    assert_eq!(result.name.as_deref(), Some("get_weather"));
}

#[test]
fn defaults_and_nulls() {
    let request = parse(with(json!({"temperature": null, "stream": false, "tools": [
        {"type": "function", "function": {"name": "noargs"}}], "tool_choice": "required", "stop": "x"})))
    .unwrap();
    assert_eq!(request.temperature, None);
    assert_eq!(
        request.tools[0].parameters,
        json!({"type": "object", "properties": {}})
    );
    assert_eq!(request.tool_choice, Some(ToolChoice::Required));
    assert_eq!(request.stop, vec!["x"]);
    assert!(!request.include_usage);
}

#[test]
fn malformed_requests_name_the_field() {
    let cases = [
        (
            json!({"messages": [{"role": "user", "content": "x"}]}),
            "model",
        ),
        (json!({"model": 5, "messages": []}), "model"),
        (json!({"model": "", "messages": []}), "model"),
        (json!({"model": "m"}), "messages"),
        (json!({"model": "m", "messages": []}), "messages"),
        (
            json!({"model": "m", "messages": {"role": "user"}}),
            "messages",
        ),
        (json!({"model": "m", "messages": ["hi"]}), "messages[0]"),
        (
            json!({"model": "m", "messages": [{"content": "x"}]}),
            "messages[0].role",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}, {"role": "robot", "content": "x"}]}),
            "messages[1].role",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user"}]}),
            "messages[0].content",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": 3}]}),
            "messages[0].content",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "video", "url": "x"}]}]}),
            "messages[0].content[0].type",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": [{"text": "x"}]}]}),
            "messages[0].content[0].type",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "text"}]}]}),
            "messages[0].content[0].text",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]}),
            "messages[0].content[0].type",
        ),
        (
            json!({"model": "m", "messages": [{"role": "system", "content": [{"type": "image_url", "image_url": {"url": "u"}}]}]}),
            "messages[0].content[0].type",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "u", "detail": "max"}}]}]}),
            "messages[0].content[0].image_url.detail",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]}),
            "messages[0].content[0].image_url.url",
        ),
        (
            json!({"model": "m", "messages": [{"role": "tool", "content": "x"}]}),
            "messages[0].tool_call_id",
        ),
        (
            json!({"model": "m", "messages": [{"role": "function", "content": "x"}]}),
            "messages[0].name",
        ),
        (
            json!({"model": "m", "messages": [{"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": "{}"}}]}]}),
            "messages[0].tool_calls[0].id",
        ),
        (
            json!({"model": "m", "messages": [{"role": "assistant", "tool_calls": [{"id": "1", "function": {"name": "f", "arguments": {"a": 1}}}]}]}),
            "messages[0].tool_calls[0].function.arguments",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "x", "name": 5}]}),
            "messages[0].name",
        ),
    ];
    for (body, param) in cases {
        rejects(body, param);
    }
}

#[test]
fn malformed_parameters_name_the_field() {
    let cases = [
        (json!({"temperature": 2.5}), "temperature"),
        (json!({"temperature": "hot"}), "temperature"),
        (json!({"top_p": -0.1}), "top_p"),
        (json!({"n": 0}), "n"),
        (json!({"n": 129}), "n"),
        (json!({"n": 1.5}), "n"),
        (json!({"max_tokens": 0}), "max_tokens"),
        (json!({"max_tokens": 5_000_000_000u64}), "max_tokens"),
        (
            json!({"max_completion_tokens": -1}),
            "max_completion_tokens",
        ),
        (json!({"stop": ["a", "b", "c", "d", "e"]}), "stop"),
        (json!({"stop": [1]}), "stop[0]"),
        (json!({"stop": 1}), "stop"),
        (json!({"stream": "yes"}), "stream"),
        (
            json!({"stream_options": {"include_usage": true}}),
            "stream_options",
        ),
        (
            json!({"stream": true, "stream_options": {"include_usage": 1}}),
            "stream_options.include_usage",
        ),
        (json!({"seed": 1.5}), "seed"),
        (json!({"seed": 18446744073709551615u64}), "seed"),
        (json!({"presence_penalty": 3}), "presence_penalty"),
        (json!({"frequency_penalty": -2.01}), "frequency_penalty"),
        (json!({"user": 1}), "user"),
        (json!({"reasoning_effort": ""}), "reasoning_effort"),
        (json!({"parallel_tool_calls": "no"}), "parallel_tool_calls"),
        (json!({"tools": {}}), "tools"),
        (
            json!({"tools": [{"type": "code_interpreter"}]}),
            "tools[0].type",
        ),
        (
            json!({"tools": [{"type": "function"}]}),
            "tools[0].function",
        ),
        (
            json!({"tools": [{"type": "function", "function": {"name": "has space"}}]}),
            "tools[0].function.name",
        ),
        (
            json!({"tools": [{"type": "function", "function": {"name": "x".repeat(65)}}]}),
            "tools[0].function.name",
        ),
        (
            json!({"tools": [{"type": "function", "function": {"name": "f", "parameters": []}}]}),
            "tools[0].function.parameters",
        ),
        (json!({"tool_choice": "any"}), "tool_choice"),
        (json!({"tool_choice": "required"}), "tool_choice"),
        (json!({"tool_choice": 1}), "tool_choice"),
        (
            json!({"tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": {"type": "function", "function": {"name": "g"}}}),
            "tool_choice",
        ),
        (
            json!({"tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": {"type": "function", "function": {}}}),
            "tool_choice.function.name",
        ),
        (
            json!({"functions": [{"name": "f"}], "function_call": "required"}),
            "function_call",
        ),
        (
            json!({"response_format": {"type": "xml"}}),
            "response_format.type",
        ),
        (json!({"response_format": "json"}), "response_format"),
        (
            json!({"response_format": {"type": "json_schema"}}),
            "response_format.json_schema",
        ),
        (
            json!({"response_format": {"type": "json_schema", "json_schema": {"schema": {}}}}),
            "response_format.json_schema.name",
        ),
    ];
    for (extra, param) in cases {
        rejects(with(extra), param);
    }
}

#[test]
fn hostile_bodies_are_400s_not_panics() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"\"model\"".to_vec(),
        b"{\"model\": NaN}".to_vec(),
        b"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":1e400}".to_vec(),
        b"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":1e400}".to_vec(),
        b"{\"model\":\"m\",".to_vec(),
        b"\xff\xfe".to_vec(),
        deep.into_bytes(),
        format!("{{\"model\":\"m\",\"messages\":{}1{}}}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
    ];
    for body in bodies {
        let error = parse_chat_request(&body).unwrap_err();
        assert_eq!(error.status, 400);
        let error = parse_embedding_request(&body).unwrap_err();
        assert_eq!(error.status, 400);
    }
}

#[test]
fn embedding_inputs_of_every_shape() {
    let parse_input = |input: Value| {
        parse_embedding_request(json!({"model": "e", "input": input}).to_string().as_bytes())
            .map(|request| request.input)
    };
    assert_eq!(
        parse_input(json!("hi")).unwrap(),
        EmbeddingInput::Texts(vec!["hi".into()])
    );
    assert_eq!(
        parse_input(json!(["a", "b"])).unwrap(),
        EmbeddingInput::Texts(vec!["a".into(), "b".into()])
    );
    assert_eq!(
        parse_input(json!([1, 2, 3])).unwrap(),
        EmbeddingInput::Tokens(vec![vec![1, 2, 3]])
    );
    assert_eq!(
        parse_input(json!([[1], [2, 3]])).unwrap(),
        EmbeddingInput::Tokens(vec![vec![1], vec![2, 3]])
    );
    let request = parse_embedding_request(
        br#"{"model":"e","input":"x","encoding_format":"base64","dimensions":256,"user":"u"}"#,
    )
    .unwrap();
    assert_eq!(request.encoding_format, EncodingFormat::Base64);
    assert_eq!(request.dimensions, Some(256));
    assert_eq!(request.user.as_deref(), Some("u"));

    let too_many: Vec<&str> = vec!["x"; 2049];
    let cases = [
        (json!({"input": "x"}), "model"),
        (json!({"model": "e"}), "input"),
        (json!({"model": "e", "input": ""}), "input"),
        (json!({"model": "e", "input": []}), "input"),
        (json!({"model": "e", "input": too_many}), "input"),
        (json!({"model": "e", "input": ["a", 1]}), "input[1]"),
        (json!({"model": "e", "input": [[1], []]}), "input[1]"),
        (json!({"model": "e", "input": [[1], [-1]]}), "input[1][0]"),
        (json!({"model": "e", "input": [1, "a"]}), "input[1]"),
        (json!({"model": "e", "input": {}}), "input"),
        (
            json!({"model": "e", "input": "x", "encoding_format": "int8"}),
            "encoding_format",
        ),
        (
            json!({"model": "e", "input": "x", "dimensions": 0}),
            "dimensions",
        ),
        (json!({"model": "e", "input": "x", "user": false}), "user"),
    ];
    for (body, param) in cases {
        let error = parse_embedding_request(body.to_string().as_bytes()).unwrap_err();
        assert_eq!(
            error.param.as_deref(),
            Some(param),
            "{} for {body}",
            error.message
        );
    }
}
