//! Canonical request → Gemini body, and JSON Schema → Gemini's OpenAPI subset.

use serde_json::{Value, json};
use tollgate_types::{
    ChatRequest, ContentPart, ImageSource, Message, ResponseFormat, Role, Tool, ToolCall,
    ToolChoice,
};

use crate::gemini::request::{build_request, guess_image_mime_type};
use crate::gemini::schema::to_gemini_schema;

fn body(request: &ChatRequest) -> Value {
    serde_json::to_value(build_request(request).unwrap()).unwrap()
}

fn request(messages: Vec<Message>) -> ChatRequest {
    ChatRequest {
        model: "gemini".into(),
        messages,
        ..ChatRequest::default()
    }
}

fn assistant_calls(calls: &[(&str, &str, &str)]) -> Message {
    Message {
        tool_calls: calls
            .iter()
            .map(|(id, name, arguments)| ToolCall {
                id: (*id).into(),
                name: (*name).into(),
                arguments: (*arguments).into(),
            })
            .collect(),
        ..Message::text(Role::Assistant, "")
    }
}

fn tool_result(call_id: &str, text: &str) -> Message {
    Message {
        tool_call_id: Some(call_id.into()),
        ..Message::text(Role::Tool, text)
    }
}

// ---------------------------------------------------------------- request

#[test]
fn system_messages_become_the_system_instruction_and_roles_alternate() {
    let body = body(&request(vec![
        Message::text(Role::System, "Be brief."),
        Message::text(Role::User, "Hi"),
        Message::text(Role::User, "there"),
        Message::text(Role::Assistant, "Hello"),
        Message::text(Role::System, "Also polite."),
    ]));
    assert_eq!(
        body,
        json!({
            "systemInstruction": {"parts": [{"text": "Be brief."}, {"text": "Also polite."}]},
            "contents": [
                {"role": "user", "parts": [{"text": "Hi"}, {"text": "there"}]},
                {"role": "model", "parts": [{"text": "Hello"}]}
            ]
        })
    );
}

#[test]
fn tool_results_recover_the_function_name_from_the_earlier_call() {
    let mut named = tool_result("unknown-id", "plain text");
    named.name = Some("fallback_tool".into());
    let body = body(&request(vec![
        Message::text(Role::User, "Weather in Oslo and Rome?"),
        assistant_calls(&[
            ("call_a", "get_weather", r#"{"city":"Oslo"}"#),
            ("call_b", "get_time", ""),
        ]),
        tool_result("call_a", r#"{"temp_c": 3}"#),
        tool_result("call_b", "12:00"),
        named,
        Message::text(Role::User, "Thanks"),
    ]));
    assert_eq!(
        body["contents"],
        json!([
            {"role": "user", "parts": [{"text": "Weather in Oslo and Rome?"}]},
            {"role": "model", "parts": [
                {"functionCall": {"name": "get_weather", "args": {"city": "Oslo"}}},
                {"functionCall": {"name": "get_time", "args": {}}}
            ]},
            {"role": "user", "parts": [
                {"functionResponse": {"name": "get_weather", "response": {"temp_c": 3}}},
                {"functionResponse": {"name": "get_time", "response": {"content": "12:00"}}},
                {"functionResponse": {"name": "fallback_tool", "response": {"content": "plain text"}}},
                {"text": "Thanks"}
            ]}
        ])
    );
}

#[test]
fn repeated_call_ids_resolve_to_the_latest_call_and_errors_are_wrapped_as_error() {
    let mut failed = tool_result("call_0", "boom");
    failed.is_error = true;
    let body = body(&request(vec![
        Message::text(Role::User, "a"),
        assistant_calls(&[("call_0", "first", "{}")]),
        tool_result("call_0", "[1, 2]"),
        Message::text(Role::Assistant, "ok"),
        Message::text(Role::User, "b"),
        assistant_calls(&[("call_0", "second", "{}")]),
        failed,
    ]));
    let parts = &body["contents"][2]["parts"];
    assert_eq!(parts[0]["functionResponse"]["name"], "first");
    assert_eq!(
        parts[0]["functionResponse"]["response"],
        json!({"content": "[1, 2]"})
    );
    let last = &body["contents"][6]["parts"][0]["functionResponse"];
    assert_eq!(last["name"], "second");
    assert_eq!(last["response"], json!({"error": "boom"}));
}

#[test]
fn bad_tool_arguments_and_orphan_tool_results_are_the_callers_400() {
    for arguments in ["{not json", "[1]"] {
        let error = build_request(&request(vec![
            Message::text(Role::User, "x"),
            assistant_calls(&[("c1", "f", arguments)]),
        ]))
        .unwrap_err();
        assert_eq!(error.status, 400);
        assert_eq!(error.param.as_deref(), Some("messages"));
    }
    let orphan = build_request(&request(vec![tool_result("nope", "x")])).unwrap_err();
    assert_eq!(orphan.status, 400);
}

#[test]
fn images_map_to_inline_data_or_file_data() {
    let message = Message {
        content: vec![
            ContentPart::Image {
                source: ImageSource::from_url("data:image/png;base64,iVBOR"),
                detail: None,
            },
            ContentPart::Image {
                source: ImageSource::Url("https://x.test/cat.WEBP?size=2".into()),
                detail: Some("high".into()),
            },
            ContentPart::Image {
                source: ImageSource::Url("gs://bucket/photo".into()),
                detail: None,
            },
        ],
        ..Message::text(Role::User, "")
    };
    assert_eq!(
        body(&request(vec![message]))["contents"][0]["parts"],
        json!([
            {"inlineData": {"mimeType": "image/png", "data": "iVBOR"}},
            {"fileData": {"mimeType": "image/webp", "fileUri": "https://x.test/cat.WEBP?size=2"}},
            {"fileData": {"mimeType": "image/jpeg", "fileUri": "gs://bucket/photo"}}
        ])
    );
    assert_eq!(
        guess_image_mime_type("https://a.test/x.png#frag"),
        "image/png"
    );
}

#[test]
fn sampling_options_and_json_schema_go_to_generation_config() {
    let mut request = request(vec![Message::text(Role::User, "x")]);
    request.max_tokens = Some(100);
    request.temperature = Some(0.5);
    request.top_p = Some(0.9);
    request.top_k = Some(40);
    request.stop = vec!["END".into()];
    request.n = Some(2);
    request.seed = Some(7);
    request.presence_penalty = Some(0.1);
    request.frequency_penalty = Some(0.2);
    request.reasoning_effort = Some("medium".into());
    request.response_format = Some(ResponseFormat::JsonSchema {
        name: "answer".into(),
        strict: Some(true),
        schema: json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "additionalProperties": false,
            "strict": true,
            "properties": {"city": {"type": "string", "format": "email"}},
            "required": ["city"]
        }),
    });
    assert_eq!(
        body(&request)["generationConfig"],
        json!({
            "maxOutputTokens": 100, "temperature": 0.5, "topP": 0.9, "topK": 40,
            "stopSequences": ["END"], "candidateCount": 2, "seed": 7,
            "presencePenalty": 0.1, "frequencyPenalty": 0.2,
            "responseMimeType": "application/json",
            "responseSchema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
            "thinkingConfig": {"thinkingBudget": 8192, "includeThoughts": true}
        })
    );
    request.response_format = Some(ResponseFormat::JsonObject);
    request.reasoning_effort = Some("high".into());
    let config = &body(&request)["generationConfig"];
    assert_eq!(config["responseMimeType"], "application/json");
    assert!(config.get("responseSchema").is_none());
    assert_eq!(config["thinkingConfig"]["thinkingBudget"], 24576);
}

#[test]
fn tools_and_tool_choice_map_to_function_declarations_and_calling_config() {
    let mut request = request(vec![Message::text(Role::User, "x")]);
    request.tools = vec![
        Tool {
            name: "get_weather".into(),
            description: Some("Weather by city".into()),
            parameters: json!({"type": "object", "additionalProperties": false,
                "properties": {"city": {"type": "string"}}, "required": ["city"]}),
            strict: Some(true),
        },
        Tool {
            name: "now".into(),
            description: None,
            parameters: json!({"type": "object", "properties": {}}),
            strict: None,
        },
    ];
    let choices = [
        (ToolChoice::Auto, json!({"mode": "AUTO"})),
        (ToolChoice::None, json!({"mode": "NONE"})),
        (ToolChoice::Required, json!({"mode": "ANY"})),
        (
            ToolChoice::Named("now".into()),
            json!({"mode": "ANY", "allowedFunctionNames": ["now"]}),
        ),
    ];
    for (choice, expected) in choices {
        request.tool_choice = Some(choice);
        let body = body(&request);
        assert_eq!(body["toolConfig"]["functionCallingConfig"], expected);
        assert_eq!(
            body["tools"],
            json!([{"functionDeclarations": [
                {"name": "get_weather", "description": "Weather by city",
                 "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
                {"name": "now"}
            ]}])
        );
    }
}

// ---------------------------------------------------------------- schema

#[test]
fn schema_stripping_is_recursive_and_keeps_property_names() {
    let schema = json!({
        "type": "object",
        "additionalProperties": false,
        "$defs": {"Place": {"type": "object", "additionalProperties": false,
            "properties": {"name": {"type": "string"}}}},
        "properties": {
            "additionalProperties": {"type": "string", "$comment": "a property with a keyword's name"},
            "place": {"$ref": "#/$defs/Place", "description": "where"},
            "tags": {"type": "array", "items": {"type": "string", "minLength": 1, "examples": ["a"]}},
            "maybe": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
            "either": {"type": ["string", "null"]},
            "kind": {"const": "fixed"},
            "nested": {"allOf": [{"$ref": "#/$defs/Place"}]}
        }
    });
    assert_eq!(
        to_gemini_schema(&schema),
        json!({
            "type": "object",
            "properties": {
                "additionalProperties": {"type": "string"},
                "place": {"type": "object", "description": "where",
                    "properties": {"name": {"type": "string"}}},
                "tags": {"type": "array", "items": {"type": "string", "minLength": 1}},
                "maybe": {"type": "integer", "nullable": true},
                "either": {"type": "string", "nullable": true},
                "kind": {"enum": ["fixed"]},
                "nested": {"type": "object", "properties": {"name": {"type": "string"}}}
            }
        })
    );
}

#[test]
fn recursive_references_stop_instead_of_looping() {
    let schema = json!({
        "$defs": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}},
        "$ref": "#/$defs/Node"
    });
    let converted = to_gemini_schema(&schema);
    assert_eq!(converted["type"], "object");
    assert_eq!(converted["properties"]["next"]["type"], "object");
}
