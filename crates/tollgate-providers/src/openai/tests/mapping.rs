//! Canonical ↔ wire mappings, without HTTP.

use serde_json::{Value, json};
use tollgate_types::{
    ChatRequest, ContentPart, Dialect, FinishReason, ImageSource, Message, NanoUsd, ResponseFormat,
    Role, Tool, ToolCall, ToolChoice,
};

use super::super::errors::{ErrorScope, parse_failure};
use super::super::request::{WireOptions, chat_body, passthrough_body};
use super::super::response::{canonical_response, header_cost, native_reply};
use super::super::{embeddings, encode_component, host_of};

const OPENAI: WireOptions = WireOptions {
    max_completion_tokens: true,
    omit_model: false,
    openrouter: false,
};
const THIRD_PARTY: WireOptions = WireOptions {
    max_completion_tokens: false,
    omit_model: false,
    openrouter: false,
};
const OPENROUTER: WireOptions = WireOptions {
    max_completion_tokens: false,
    omit_model: false,
    openrouter: true,
};

fn scope() -> ErrorScope {
    ErrorScope {
        provider: "up".into(),
        api_key: Some("secret-key-123".into()),
    }
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

fn full_request() -> ChatRequest {
    ChatRequest {
        model: "public".into(),
        messages: vec![
            Message::text(Role::System, "Be brief."),
            Message {
                content: vec![
                    ContentPart::Text {
                        text: "What is this?".into(),
                    },
                    ContentPart::Image {
                        source: ImageSource::Base64 {
                            media_type: "image/png".into(),
                            data: "iVBOR".into(),
                        },
                        detail: Some("low".into()),
                    },
                ],
                ..Message::text(Role::User, "")
            },
            Message {
                content: vec![],
                tool_calls: vec![ToolCall {
                    id: "call_1".into(),
                    name: "get_weather".into(),
                    arguments: r#"{"city":"Oslo"}"#.into(),
                }],
                ..Message::text(Role::Assistant, "")
            },
            Message {
                tool_call_id: Some("call_1".into()),
                name: Some("get_weather".into()),
                ..Message::text(Role::Tool, r#"{"temp_c":3}"#)
            },
        ],
        tools: vec![Tool {
            name: "get_weather".into(),
            description: Some("Weather by city".into()),
            parameters: json!({"type":"object","properties":{"city":{"type":"string"}}}),
            strict: Some(true),
        }],
        tool_choice: Some(ToolChoice::Named("get_weather".into())),
        parallel_tool_calls: Some(false),
        response_format: Some(ResponseFormat::JsonSchema {
            name: "answer".into(),
            schema: json!({"type":"object"}),
            strict: Some(true),
        }),
        temperature: Some(0.5),
        top_p: Some(0.9),
        top_k: Some(40),
        max_tokens: Some(100),
        stop: vec!["END".into()],
        n: Some(1),
        seed: Some(7),
        presence_penalty: Some(0.1),
        frequency_penalty: Some(-0.1),
        user: Some("u1".into()),
        reasoning_effort: Some("low".into()),
        ..ChatRequest::default()
    }
}

#[test]
fn canonical_request_maps_every_field() {
    let body = json_of(&chat_body(&full_request(), "gpt-4o", OPENAI, false).unwrap());
    assert_eq!(
        body,
        json!({
            "model": "gpt-4o",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBOR", "detail": "low"}}
                ]},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}
                ]},
                {"role": "tool", "content": "{\"temp_c\":3}", "tool_call_id": "call_1"}
            ],
            "tools": [{"type": "function", "function": {
                "name": "get_weather", "description": "Weather by city",
                "parameters": {"type":"object","properties":{"city":{"type":"string"}}}, "strict": true}}],
            "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
            "parallel_tool_calls": false,
            "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "schema": {"type":"object"}, "strict": true}},
            "temperature": 0.5,
            "top_p": 0.9,
            "max_completion_tokens": 100,
            "stop": ["END"],
            "n": 1,
            "seed": 7,
            "presence_penalty": 0.1,
            "frequency_penalty": -0.1,
            "user": "u1",
            "reasoning_effort": "low"
        })
    );
}

#[test]
fn third_party_servers_get_max_tokens_and_streams_always_ask_for_usage() {
    let body = json_of(&chat_body(&full_request(), "llama", THIRD_PARTY, true).unwrap());
    assert_eq!(body["max_tokens"], 100);
    assert!(body.get("max_completion_tokens").is_none());
    assert!(body.get("top_k").is_none(), "only OpenRouter gets top_k");
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
    assert!(body.get("usage").is_none());
}

#[test]
fn openrouter_asks_for_usage_accounting_and_azure_omits_the_model() {
    let body = json_of(&chat_body(&full_request(), "openai/gpt-4o", OPENROUTER, false).unwrap());
    assert_eq!(body["usage"], json!({"include": true}));
    assert_eq!(body["top_k"], 40);
    let azure = WireOptions {
        max_completion_tokens: true,
        omit_model: true,
        openrouter: false,
    };
    let body = json_of(&chat_body(&full_request(), "my-deployment", azure, false).unwrap());
    assert!(body.get("model").is_none());
}

#[test]
fn several_text_parts_join_except_for_user_turns() {
    let two_texts = vec![
        ContentPart::Text { text: "a".into() },
        ContentPart::Text { text: "b".into() },
    ];
    let request = ChatRequest {
        messages: vec![
            Message {
                content: two_texts.clone(),
                ..Message::text(Role::System, "")
            },
            Message {
                content: two_texts,
                ..Message::text(Role::User, "")
            },
            Message {
                content: vec![],
                ..Message::text(Role::Assistant, "")
            },
        ],
        tool_choice: Some(ToolChoice::Required),
        response_format: Some(ResponseFormat::JsonObject),
        ..ChatRequest::default()
    };
    let body = json_of(&chat_body(&request, "m", THIRD_PARTY, false).unwrap());
    assert_eq!(body["messages"][0]["content"], "a\nb");
    assert_eq!(
        body["messages"][1]["content"],
        json!([{"type":"text","text":"a"},{"type":"text","text":"b"}])
    );
    assert_eq!(body["messages"][2]["content"], "");
    assert_eq!(body["tool_choice"], "required");
    assert_eq!(body["response_format"], json!({"type": "json_object"}));
}

fn object(body: Value) -> serde_json::Map<String, Value> {
    let Value::Object(map) = body else {
        panic!("not an object")
    };
    map
}

#[test]
fn passthrough_replaces_only_the_model_and_forces_stream_usage() {
    let original = object(json!({
        "model": "public", "messages": [{"role": "user", "content": "hi"}],
        "logit_bias": {"50256": -100}, "stream": true,
        "stream_options": {"include_usage": false, "continuous_usage_stats": true},
        "max_tokens": 5
    }));
    let body = json_of(&passthrough_body(&original, "gpt-4o-mini", OPENAI, true).unwrap());
    assert_eq!(
        body,
        json!({
            "model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}],
            "logit_bias": {"50256": -100}, "stream": true,
            "stream_options": {"include_usage": true, "continuous_usage_stats": true},
            "max_tokens": 5
        })
    );
}

#[test]
fn passthrough_without_stream_drops_stream_options_and_openrouter_gets_usage() {
    let original = object(json!({
        "model": "public", "messages": [], "usage": {"include": false, "x": 1}
    }));
    let body = json_of(&passthrough_body(&original, "vendor/m", OPENROUTER, false).unwrap());
    assert_eq!(
        body,
        json!({"model": "vendor/m", "messages": [], "usage": {"include": true, "x": 1}})
    );
    let body = json_of(&passthrough_body(&original, "m", THIRD_PARTY, false).unwrap());
    assert_eq!(body["usage"], json!({"include": false, "x": 1}));
    assert!(body.get("stream").is_none());
}

const OPENROUTER_COMPLETION: &str = r#"{
  "id": "gen-1", "object": "chat.completion", "created": 1731000000, "model": "openai/gpt-4o",
  "system_fingerprint": "fp_1",
  "choices": [{"index": 0, "finish_reason": "tool_calls", "logprobs": null,
    "message": {"role": "assistant", "content": null, "reasoning": "thinking...",
      "tool_calls": [{"id": "call_9", "type": "function",
        "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}]}}],
  "usage": {"prompt_tokens": 194, "completion_tokens": 20, "total_tokens": 214,
    "prompt_tokens_details": {"cached_tokens": 64, "cache_write_tokens": 100, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 5},
    "cost": 0.00095, "is_byok": false}
}"#;

#[test]
fn response_maps_choices_usage_and_exact_cost() {
    let response = canonical_response(&scope(), OPENROUTER_COMPLETION.as_bytes(), None).unwrap();
    assert_eq!(response.id, "gen-1");
    assert_eq!(response.model, "openai/gpt-4o");
    assert_eq!(response.created, 1_731_000_000);
    assert_eq!(response.system_fingerprint.as_deref(), Some("fp_1"));
    let choice = &response.choices[0];
    assert_eq!(choice.finish_reason, FinishReason::ToolCalls);
    assert_eq!(choice.message.content, None);
    assert_eq!(choice.message.reasoning.as_deref(), Some("thinking..."));
    assert_eq!(
        choice.message.tool_calls,
        vec![ToolCall {
            id: "call_9".into(),
            name: "get_weather".into(),
            arguments: r#"{"city":"Oslo"}"#.into()
        }]
    );
    let usage = response.usage;
    assert_eq!(
        (
            usage.input_tokens,
            usage.output_tokens,
            usage.cached_input_tokens,
            usage.cache_write_tokens,
            usage.reasoning_tokens
        ),
        (194, 20, 64, 100, 5)
    );
    assert_eq!(response.provider_cost, Some(NanoUsd(950_000)));
}

#[test]
fn cost_is_never_rounded_through_a_float() {
    // 0.1 + 0.2 style values: f64 would print 0.30000000000000004 somewhere along the way.
    let body =
        r#"{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"cost":0.300000001}}"#;
    let response = canonical_response(&scope(), body.as_bytes(), None).unwrap();
    assert_eq!(response.provider_cost, Some(NanoUsd(300_000_001)));
    let body = r#"{"choices":[],"usage":{"cost":1.5e-7}}"#;
    let response = canonical_response(&scope(), body.as_bytes(), None).unwrap();
    assert_eq!(response.provider_cost, Some(NanoUsd(150)));
    let body = r#"{"choices":[],"usage":{"cost":null}}"#;
    let response = canonical_response(&scope(), body.as_bytes(), None).unwrap();
    assert_eq!(response.provider_cost, None);
    let body = r#"{"choices":[],"usage":{"cost":"0.25"}}"#;
    let response = canonical_response(&scope(), body.as_bytes(), None).unwrap();
    assert_eq!(response.provider_cost, Some(NanoUsd(250_000_000)));
}

#[test]
fn lenient_with_what_compatible_servers_send() {
    let body = r#"{"id":"x","choices":[{"message":{"content":[{"type":"thinking","thinking":"hm"},{"type":"text","text":"Hi"}],
        "reasoning_content":"because","tool_calls":null},"finish_reason":null}],
        "usage":{"prompt_tokens":10.0,"completion_tokens":null,"prompt_tokens_details":null,"prompt_cache_hit_tokens":4}}"#;
    let response = canonical_response(&scope(), body.as_bytes(), None).unwrap();
    let choice = &response.choices[0];
    assert_eq!(choice.message.content.as_deref(), Some("Hi"));
    assert_eq!(choice.message.reasoning.as_deref(), Some("because"));
    assert_eq!(choice.finish_reason, FinishReason::Stop);
    assert_eq!(response.usage.input_tokens, 10);
    assert_eq!(response.usage.output_tokens, 0);
    assert_eq!(response.usage.cached_input_tokens, 4);
    assert!(response.created > 0, "a missing `created` is filled in");

    let legacy = r#"{"choices":[{"message":{"content":null,"function_call":{"name":"f","arguments":{"a":1}}},"finish_reason":"function_call"}],"usage":null}"#;
    let response = canonical_response(&scope(), legacy.as_bytes(), None).unwrap();
    let call = &response.choices[0].message.tool_calls[0];
    assert_eq!(
        (call.name.as_str(), call.arguments.as_str()),
        ("f", r#"{"a":1}"#)
    );
    assert!(call.id.starts_with("call_"));
    assert_eq!(response.choices[0].finish_reason, FinishReason::ToolCalls);
    assert_eq!(response.usage, tollgate_types::Usage::default());
}

#[test]
fn unreadable_and_error_bodies_on_2xx() {
    let error = canonical_response(&scope(), b"<html>oops</html>", None).unwrap_err();
    assert_eq!(
        (error.status, error.code.as_deref()),
        (502, Some("upstream_bad_response"))
    );
    let error = canonical_response(
        &scope(),
        br#"{"error":{"message":"Rate limit exceeded","code":429}}"#,
        None,
    )
    .unwrap_err();
    assert_eq!(error.status, 429);
    assert!(error.message.contains("Rate limit exceeded"));
}

#[test]
fn native_reply_reads_only_usage_and_cost() {
    let body = bytes::Bytes::from_static(OPENROUTER_COMPLETION.as_bytes());
    let reply = native_reply(&scope(), body.clone(), Some(NanoUsd(1))).unwrap();
    assert_eq!(reply.body, body);
    assert_eq!(reply.dialect, Dialect::OpenAi);
    assert_eq!(reply.usage.input_tokens, 194);
    assert_eq!(
        reply.provider_cost,
        Some(NanoUsd(950_000)),
        "the body's cost wins"
    );

    let plain = bytes::Bytes::from_static(br#"{"choices":[],"usage":{"prompt_tokens":3}}"#);
    let reply = native_reply(&scope(), plain, Some(NanoUsd(7))).unwrap();
    assert_eq!(reply.provider_cost, Some(NanoUsd(7)));
}

#[test]
fn litellm_cost_header_is_read_exactly() {
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "x-litellm-response-cost",
        http::HeaderValue::from_static("0.000123"),
    );
    assert_eq!(header_cost(&headers), Some(NanoUsd(123_000)));
}

#[test]
fn error_bodies_of_every_shape() {
    let openai = parse_failure(
        br#"{"error":{"message":"Incorrect API key","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#,
    );
    assert_eq!(openai.message.as_deref(), Some("Incorrect API key"));
    assert_eq!(openai.code.as_deref(), Some("invalid_api_key"));

    let quota =
        parse_failure(br#"{"error":{"message":"quota","type":"insufficient_quota","code":null}}"#);
    assert_eq!(quota.code.as_deref(), Some("insufficient_quota"));

    let azure = parse_failure(
        br#"{"error":{"message":"filtered","innererror":{"code":"ResponsibleAIPolicyViolation"}}}"#,
    );
    assert_eq!(azure.code.as_deref(), Some("ResponsibleAIPolicyViolation"));

    let fastapi = parse_failure(br#"{"detail":[{"loc":["body","x"],"msg":"bad"}]}"#);
    assert!(fastapi.message.unwrap().contains("bad"));

    let bare = parse_failure(br#"{"error":"model not loaded"}"#);
    assert_eq!(bare.message.as_deref(), Some("model not loaded"));

    let text = parse_failure(b"  Bad Gateway\n");
    assert_eq!(text.message.as_deref(), Some("Bad Gateway"));
    assert!(parse_failure(b"").message.is_none());

    let long = "x".repeat(5000);
    assert!(
        parse_failure(long.as_bytes())
            .message
            .unwrap()
            .chars()
            .count()
            < 600
    );
}

#[test]
fn status_errors_hide_the_key() {
    let headers = http::HeaderMap::new();
    let error = scope().status_error(
        401,
        &headers,
        br#"{"error":{"message":"Incorrect API key provided: secret-key-123","code":"invalid_api_key"}}"#,
    );
    assert_eq!(error.status, 502);
    assert!(
        !error.message.contains("secret-key-123"),
        "{}",
        error.message
    );
}

#[test]
fn urls_and_hosts() {
    assert_eq!(host_of("https://api.openai.com/v1"), "api.openai.com");
    assert_eq!(host_of("http://user:pw@127.0.0.1:8000/v1"), "127.0.0.1");
    assert_eq!(host_of("api.openai.com"), "api.openai.com");
    assert_eq!(encode_component("gpt-4o_mini.v2"), "gpt-4o_mini.v2");
    assert_eq!(encode_component("a/b?c"), "a%2Fb%3Fc");
}

#[test]
fn embeddings_body_and_answer() {
    let request = tollgate_types::EmbeddingRequest {
        model: "public".into(),
        input: tollgate_types::EmbeddingInput::Tokens(vec![vec![1, 2], vec![3]]),
        dimensions: Some(8),
        encoding_format: tollgate_types::EncodingFormat::Base64,
        user: Some("u".into()),
    };
    let body =
        json_of(&embeddings::embedding_body(&request, "text-embedding-3-small", false).unwrap());
    assert_eq!(
        body,
        json!({"model":"text-embedding-3-small","input":[[1,2],[3]],"encoding_format":"float","dimensions":8,"user":"u"})
    );

    // Out of order, one as base64 (a server ignoring encoding_format): 1.0f32 = 0000803f.
    let answer = br#"{"object":"list","model":"m","data":[
        {"object":"embedding","index":1,"embedding":"AACAPw=="},
        {"object":"embedding","index":0,"embedding":[0.5,-0.25]}],
        "usage":{"prompt_tokens":3,"total_tokens":3}}"#;
    let response = embeddings::parse_embeddings(&scope(), answer, 2, "fallback").unwrap();
    assert_eq!(response.vectors, vec![vec![0.5, -0.25], vec![1.0]]);
    assert_eq!(response.usage.input_tokens, 3);
    assert_eq!(response.model, "m");

    let error = embeddings::parse_embeddings(&scope(), answer, 3, "m").unwrap_err();
    assert_eq!(error.status, 502);
}
