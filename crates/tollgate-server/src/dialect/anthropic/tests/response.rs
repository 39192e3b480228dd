use serde_json::{Value, json};
use tollgate_types::{
    AssistantMessage, ChatResponse, Choice, Cost, CostSource, ErrorKind, ErrorSource, FinishReason,
    GatewayError, NanoUsd, ToolCall, Usage,
};

use crate::dialect::anthropic::{render_chat_response, render_error};

fn response(message: AssistantMessage, finish_reason: FinishReason) -> ChatResponse {
    ChatResponse {
        id: "chatcmpl-123".into(),
        model: "fast".into(),
        created: 1,
        choices: vec![Choice {
            index: 0,
            message,
            finish_reason,
        }],
        usage: Usage {
            input_tokens: 1250,
            output_tokens: 30,
            cached_input_tokens: 1200,
            cache_write_tokens: 10,
            reasoning_tokens: 0,
        },
        provider_cost: None,
        system_fingerprint: None,
    }
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("valid JSON")
}

#[test]
fn renders_an_anthropic_message_with_uncached_input_and_an_exact_cost() {
    let message = AssistantMessage {
        content: Some("Let me check.".into()),
        tool_calls: vec![
            ToolCall {
                id: "toolu_01".into(),
                name: "get_weather".into(),
                arguments: r#"{"city":"Oslo"}"#.into(),
            },
            ToolCall {
                id: "call_2".into(),
                name: "broken".into(),
                arguments: "{oops".into(),
            },
        ],
        reasoning: None,
        refusal: None,
    };
    let cost = Cost {
        usd: NanoUsd(1_230_000),
        source: CostSource::Catalog,
    };
    let bytes = render_chat_response(&response(message, FinishReason::ToolCalls), Some(&cost));
    assert_eq!(
        json_of(&bytes),
        json!({
            "id": "msg_chatcmpl-123", "type": "message", "role": "assistant", "model": "fast",
            "content": [
                {"type": "text", "text": "Let me check."},
                {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Oslo"}},
                {"type": "tool_use", "id": "call_2", "name": "broken", "input": {}}
            ],
            "stop_reason": "tool_use", "stop_sequence": null,
            "usage": {"input_tokens": 40, "output_tokens": 30, "cache_read_input_tokens": 1200,
                      "cache_creation_input_tokens": 10, "cost": 0.00123, "cost_source": "catalog"}
        })
    );
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains(r#""cost":0.00123,"#), "exact decimal: {text}");
}

#[test]
fn keeps_msg_ids_reports_the_stop_sequence_and_omits_cost_when_unknown() {
    let mut answer = response(
        AssistantMessage {
            content: Some("done".into()),
            reasoning: Some("thought".into()),
            ..AssistantMessage::default()
        },
        FinishReason::StopSequence(Some("END".into())),
    );
    answer.id = "msg_01".into();
    let body = json_of(&render_chat_response(&answer, None));
    assert_eq!(body["id"], "msg_01");
    assert_eq!(body["stop_reason"], "stop_sequence");
    assert_eq!(body["stop_sequence"], "END");
    assert_eq!(
        body["content"],
        json!([{"type": "thinking", "thinking": "thought", "signature": ""},
               {"type": "text", "text": "done"}])
    );
    assert!(body["usage"].get("cost").is_none());
    assert!(body["usage"].get("cost_source").is_none());
}

#[test]
fn finish_reasons_use_anthropic_words() {
    for (reason, expected) in [
        (FinishReason::Stop, "end_turn"),
        (FinishReason::Length, "max_tokens"),
        (FinishReason::ContentFilter, "refusal"),
        (FinishReason::Other("weird".into()), "end_turn"),
    ] {
        let body = json_of(&render_chat_response(
            &response(AssistantMessage::default(), reason),
            None,
        ));
        assert_eq!(body["stop_reason"], expected);
        assert_eq!(body["content"], json!([]));
    }
}

#[test]
fn errors_render_in_anthropic_shape_with_the_sdk_types() {
    let cases = [
        (
            GatewayError::invalid_request("bad"),
            "invalid_request_error",
        ),
        (GatewayError::authentication("who"), "authentication_error"),
        (GatewayError::permission_denied("no"), "permission_error"),
        (GatewayError::model_not_found("x"), "not_found_error"),
        (GatewayError::payload_too_large(10), "request_too_large"),
        (
            GatewayError::upstream(ErrorKind::RateLimited, "slow"),
            "rate_limit_error",
        ),
        (
            GatewayError::upstream(ErrorKind::UpstreamUnavailable, "busy"),
            "overloaded_error",
        ),
        (
            GatewayError::upstream(ErrorKind::UpstreamTimeout, "late"),
            "api_error",
        ),
        (
            GatewayError::upstream(ErrorKind::UpstreamError, "broken"),
            "api_error",
        ),
        (GatewayError::internal(), "api_error"),
        (
            GatewayError::new(ErrorKind::Internal, ErrorSource::Internal, "x"),
            "api_error",
        ),
    ];
    for (error, expected) in cases {
        let body = json_of(&render_error(&error));
        assert_eq!(
            body,
            json!({"type": "error", "error": {"type": expected, "message": error.message}})
        );
    }
}
