use serde_json::{Value, json};
use tollgate_mock::Flavour;

use crate::common::*;

#[tokio::test]
async fn openrouter_reports_exact_cost() {
    let mock = mock().await;
    let (h, v) = bearer();
    let url = format!("{}/chat/completions", mock.url(Flavour::OpenRouter));
    let body =
        json!({"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "a b c"}]});
    let answer = post(&url, &[(h, &v)], &body).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    // 3 prompt tokens * 1e-6 + 4 completion tokens * 2e-6 = 0.000011, written without float noise.
    assert!(
        answer.text().contains(r#""cost":0.000011"#),
        "{}",
        answer.text()
    );
    let json = answer.json();
    assert!(json["id"].as_str().unwrap().starts_with("gen-"));
    let usage = &json["usage"];
    assert_eq!(usage["is_byok"], false);
    assert!(usage["cost_details"]["upstream_inference_cost"].is_null());
    assert_eq!(
        usage["cost_details"]["upstream_inference_prompt_cost"].as_f64(),
        Some(0.000003)
    );
    assert_eq!(
        usage["cost_details"]["upstream_inference_completions_cost"].as_f64(),
        Some(0.000008)
    );
    assert_eq!(usage["prompt_tokens_details"]["cache_write_tokens"], 0);
    assert!(answer.header("x-ratelimit-limit-requests").is_some());

    let cache =
        json!({"model": "m", "messages": [{"role": "user", "content": "CACHE_WRITE x y z"}]});
    let usage = post(&url, &[(h, &v)], &cache).await.json()["usage"].clone();
    assert_eq!(usage["prompt_tokens_details"]["cache_write_tokens"], 2);
}

#[tokio::test]
async fn openrouter_stream_has_comments_and_cost_in_usage_chunk() {
    let mock = mock().await;
    let (h, v) = bearer();
    let url = format!("{}/chat/completions", mock.url(Flavour::OpenRouter));
    let body = json!({"model": "m", "stream": true, "stream_options": {"include_usage": true},
        "messages": [{"role": "user", "content": "one two three"}]});
    let streamed = stream(&url, &[(h, &v)], &body).await;
    assert!(
        streamed.text().starts_with(": OPENROUTER PROCESSING\n\n"),
        "{}",
        streamed.text()
    );
    assert_eq!(sse_comments(&streamed.bytes()).len(), 2);
    let events = streamed.events();
    assert_eq!(events.last().unwrap().data, "[DONE]");
    let usage_chunk = events[events.len() - 2].json();
    assert_eq!(usage_chunk["choices"], json!([]));
    assert!(streamed.text().contains(r#""cost":0.000011"#));
    assert_eq!(usage_chunk["usage"]["is_byok"], false);
    assert!(usage_chunk["usage"]["cost_details"].is_object());

    // OpenRouter's own `usage.include` switch works too.
    let body = json!({"model": "m", "stream": true, "usage": {"include": true},
        "messages": [{"role": "user", "content": "x"}]});
    let events = stream(&url, &[(h, &v)], &body).await.events();
    assert!(events[events.len() - 2].json()["usage"]["cost"].is_number());
}

#[tokio::test]
async fn openrouter_errors_have_numeric_code() {
    let mock = mock().await;
    let url = format!("{}/chat/completions", mock.url(Flavour::OpenRouter));
    let answer = post(
        &url,
        &[("authorization", "Bearer nope")],
        &json!({"model": "m", "messages": []}),
    )
    .await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.json()["error"]["code"], 401);
    assert!(answer.json()["error"]["message"].is_string());
}

#[tokio::test]
async fn azure_needs_api_version_and_api_key() {
    let mock = mock().await;
    let base = format!("{}/openai/deployments/my-gpt", mock.url(Flavour::Azure));
    let body = json!({"messages": [{"role": "user", "content": "hello"}]});

    let no_version = post(
        &format!("{base}/chat/completions"),
        &[("api-key", KEY)],
        &body,
    )
    .await;
    assert_eq!(no_version.status, 404);
    assert_eq!(
        no_version.json(),
        json!({"error": {"code": "404", "message": "Resource not found"}})
    );

    let url = format!("{base}/chat/completions?api-version=2024-10-21");
    let (h, v) = bearer();
    let bearer_only = post(&url, &[(h, &v)], &body).await;
    assert_eq!(bearer_only.status, 401);
    assert_eq!(bearer_only.json()["error"]["code"], "401");

    let answer = post(&url, &[("api-key", KEY)], &body).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert!(answer.header("apim-request-id").is_some());
    let json = answer.json();
    assert_eq!(json["model"], "my-gpt");
    assert_eq!(json["choices"][0]["message"]["content"], "echo: hello");
    assert_eq!(
        json["choices"][0]["content_filter_results"]["hate"]["filtered"],
        false
    );
    assert!(json["prompt_filter_results"].is_array());

    let invalid = post(&url, &[("api-key", KEY)], &json!({"messages": "x"})).await;
    assert_eq!(invalid.status, 400);
    assert_eq!(invalid.json()["error"]["type"], "invalid_request_error");
    assert_eq!(mock.hits(Flavour::Azure), 4);
}

#[tokio::test]
async fn azure_stream_opens_with_filter_chunk() {
    let mock = mock().await;
    let url = format!(
        "{}/openai/deployments/d1/chat/completions?api-version=2024-10-21",
        mock.url(Flavour::Azure)
    );
    let body = json!({"stream": true, "messages": [{"role": "user", "content": "hi there"}]});
    let events = stream(&url, &[("api-key", KEY)], &body).await.events();
    let first = events[0].json();
    assert_eq!(first["choices"], json!([]));
    assert_eq!(first["model"], "");
    assert!(first["prompt_filter_results"].is_array());
    let text: String = events[1..events.len() - 1]
        .iter()
        .map(SseEvent::json)
        .filter_map(|c: Value| {
            c["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(text, "echo: hi there");
    assert_eq!(events.last().unwrap().data, "[DONE]");
}

#[tokio::test]
async fn azure_embeddings() {
    let mock = mock().await;
    let url = format!(
        "{}/openai/deployments/emb/embeddings?api-version=2024-10-21",
        mock.url(Flavour::Azure)
    );
    let json = post(&url, &[("api-key", KEY)], &json!({"input": "x"}))
        .await
        .json();
    assert_eq!(json["model"], "emb");
    assert_eq!(json["data"][0]["embedding"].as_array().unwrap().len(), 16);
}
