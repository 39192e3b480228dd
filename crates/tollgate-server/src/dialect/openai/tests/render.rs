//! `render_chat_response`, `render_embedding_response`, `render_error`.

use serde_json::{Value, json};
use tollgate_types::{
    AssistantMessage, ChatResponse, Choice, Cost, CostSource, EmbeddingResponse, EncodingFormat,
    ErrorKind, FinishReason, GatewayError, NanoUsd, ToolCall, Usage,
};

use super::super::{render_chat_response, render_embedding_response, render_error};

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

fn response() -> ChatResponse {
    ChatResponse {
        id: "chatcmpl-1".into(),
        model: "fast".into(),
        created: 1_731_000_000,
        choices: vec![Choice {
            index: 0,
            message: AssistantMessage {
                content: None,
                tool_calls: vec![ToolCall {
                    id: "call_1".into(),
                    name: "get_weather".into(),
                    arguments: "{\"city\":\"Oslo\"}".into(),
                }],
                reasoning: Some("thinking".into()),
                refusal: None,
            },
            finish_reason: FinishReason::ToolCalls,
        }],
        usage: Usage {
            input_tokens: 120,
            output_tokens: 25,
            cached_input_tokens: 64,
            cache_write_tokens: 0,
            reasoning_tokens: 5,
        },
        provider_cost: None,
        system_fingerprint: Some("fp_1".into()),
    }
}

#[test]
fn chat_completion_with_exact_cost() {
    let cost = Cost {
        usd: NanoUsd(950_000),
        source: CostSource::Provider,
    };
    let body = render_chat_response(&response(), Some(&cost));
    assert_eq!(
        json_of(&body),
        json!({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1_731_000_000, "model": "fast",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "refusal": null,
                "tool_calls": [{"id": "call_1", "type": "function",
                    "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}],
                "reasoning_content": "thinking"},
                "logprobs": null, "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": 120, "completion_tokens": 25, "total_tokens": 145,
                "prompt_tokens_details": {"cached_tokens": 64},
                "completion_tokens_details": {"reasoning_tokens": 5},
                "cost": 0.00095, "cost_source": "provider"},
            "system_fingerprint": "fp_1"
        })
    );
    // The number is written from the decimal, not through a float.
    let text = std::str::from_utf8(&body).unwrap();
    assert!(
        text.contains(r#""cost":0.00095,"cost_source":"provider""#),
        "{text}"
    );
}

#[test]
fn plain_answer_without_cost_or_id() {
    let mut plain = response();
    plain.id.clear();
    plain.created = 0;
    plain.system_fingerprint = None;
    plain.choices[0].message = AssistantMessage {
        content: Some("Hello".into()),
        ..AssistantMessage::default()
    };
    plain.choices[0].finish_reason = FinishReason::StopSequence(Some("END".into()));
    let body = json_of(&render_chat_response(&plain, None));
    assert!(body["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert!(body["created"].as_u64().unwrap() > 1_700_000_000);
    assert!(body.get("system_fingerprint").is_none());
    let message = &body["choices"][0]["message"];
    assert_eq!(
        message,
        &json!({"role": "assistant", "content": "Hello", "refusal": null})
    );
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert!(body["usage"].get("cost").is_none());
    assert!(body["usage"].get("cost_source").is_none());
}

#[test]
fn embeddings_as_floats_and_base64() {
    let response = EmbeddingResponse {
        model: "upstream".into(),
        vectors: vec![vec![0.5, -1.0], vec![1.0]],
        usage: Usage {
            input_tokens: 4,
            ..Usage::default()
        },
    };
    let floats = json_of(&render_embedding_response(
        &response,
        EncodingFormat::Float,
        "emb",
    ));
    assert_eq!(
        floats,
        json!({"object": "list", "model": "emb",
            "data": [{"object": "embedding", "index": 0, "embedding": [0.5, -1.0]},
                     {"object": "embedding", "index": 1, "embedding": [1.0]}],
            "usage": {"prompt_tokens": 4, "total_tokens": 4}})
    );
    let base64 = json_of(&render_embedding_response(
        &response,
        EncodingFormat::Base64,
        "emb",
    ));
    // 1.0f32 little-endian is 00 00 80 3f.
    assert_eq!(base64["data"][1]["embedding"], "AACAPw==");
}

#[test]
fn errors_in_openai_shape() {
    let error =
        GatewayError::invalid_param("messages[2].role", "Invalid value").with_code("invalid_value");
    assert_eq!(
        json_of(&render_error(&error)),
        json!({"error": {"message": "Invalid value", "type": "invalid_request_error",
            "param": "messages[2].role", "code": "invalid_value"}})
    );
    let types = [
        (
            GatewayError::authentication("bad key"),
            "authentication_error",
        ),
        (GatewayError::permission_denied("no"), "permission_error"),
        (GatewayError::model_not_found("x"), "not_found_error"),
        (GatewayError::payload_too_large(10), "invalid_request_error"),
        (
            GatewayError::upstream(ErrorKind::RateLimited, "slow").with_code("rate_limit_exceeded"),
            "rate_limit_error",
        ),
        (
            GatewayError::upstream(ErrorKind::RateLimited, "q").with_code("insufficient_quota"),
            "insufficient_quota",
        ),
        (
            GatewayError::upstream(ErrorKind::RateLimited, "b").with_code("budget_exceeded"),
            "insufficient_quota",
        ),
        (
            GatewayError::upstream(ErrorKind::UpstreamError, "x"),
            "api_error",
        ),
        (
            GatewayError::upstream(ErrorKind::UpstreamUnavailable, "x"),
            "api_error",
        ),
        (
            GatewayError::upstream(ErrorKind::UpstreamTimeout, "x"),
            "timeout_error",
        ),
        (GatewayError::internal(), "server_error"),
    ];
    for (error, kind) in types {
        let body = json_of(&render_error(&error));
        assert_eq!(body["error"]["type"], kind, "{error}");
        assert_eq!(body["error"]["message"], error.message.as_str());
    }
    let body = json_of(&render_error(&GatewayError::internal()));
    assert_eq!(body["error"]["param"], Value::Null);
    assert_eq!(body["error"]["code"], Value::Null);
}
