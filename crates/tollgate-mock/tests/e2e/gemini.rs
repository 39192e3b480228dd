use serde_json::{Value, json};
use tollgate_mock::Flavour;

use crate::common::*;

fn url(mock: &tollgate_mock::MockServer, model: &str, action: &str) -> String {
    format!("{}/models/{model}:{action}", mock.url(Flavour::Gemini))
}

#[tokio::test]
async fn generate_content_with_usage_metadata() {
    let mock = mock().await;
    let body = json!({
        "systemInstruction": {"parts": [{"text": "Be brief. REASON"}]},
        "contents": [{"role": "user", "parts": [{"text": "hello "}, {"text": "CACHED world"}]}],
        "generationConfig": {"maxOutputTokens": 100}
    });
    let answer = post(
        &url(&mock, "gemini-2.5-flash", "generateContent"),
        &[("x-goog-api-key", KEY)],
        &body,
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert!(
        answer
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let json = answer.json();
    let candidate = &json["candidates"][0];
    assert_eq!(candidate["content"]["role"], "model");
    assert_eq!(
        candidate["content"]["parts"],
        json!([{"text": "echo: hello CACHED world"}])
    );
    assert_eq!(candidate["finishReason"], "STOP");
    assert_eq!(candidate["index"], 0);
    assert_eq!(json["modelVersion"], "gemini-2.5-flash");
    assert!(json["responseId"].is_string());
    let usage = &json["usageMetadata"];
    assert_eq!(usage["promptTokenCount"], 6);
    assert_eq!(usage["cachedContentTokenCount"], 3);
    assert_eq!(usage["candidatesTokenCount"], 4);
    assert_eq!(usage["thoughtsTokenCount"], 7);
    assert_eq!(usage["totalTokenCount"], 6 + 4 + 7);

    // ?key= works too; snake_case field names are accepted, as Google's parser does.
    let snake = json!({"contents": [{"parts": [{"text": "a b c"}]}], "generation_config": {"max_output_tokens": 2, "candidate_count": 2}});
    let json = post(
        &format!("{}?key={KEY}", url(&mock, "g", "generateContent")),
        &[],
        &snake,
    )
    .await
    .json();
    assert_eq!(json["candidates"].as_array().unwrap().len(), 2);
    assert_eq!(json["candidates"][1]["index"], 1);
    assert_eq!(
        json["candidates"][0]["content"]["parts"][0]["text"],
        "echo: a"
    );
    assert_eq!(json["candidates"][0]["finishReason"], "MAX_TOKENS");
    assert_eq!(json["usageMetadata"]["candidatesTokenCount"], 4);
    assert!(
        json["usageMetadata"]
            .get("cachedContentTokenCount")
            .is_none(),
        "zero counts are omitted"
    );
}

#[tokio::test]
async fn errors_use_google_shape() {
    let mock = mock().await;
    let body = json!({"contents": [{"role": "user", "parts": [{"text": "x"}]}]});
    let missing = post(&url(&mock, "g", "generateContent"), &[], &body).await;
    assert_eq!(missing.status, 401);
    let error = &missing.json()["error"];
    assert_eq!(error["code"], 401);
    assert_eq!(error["status"], "UNAUTHENTICATED");
    assert!(error["message"].is_string());
    let wrong = post(
        &format!("{}?key=nope", url(&mock, "g", "generateContent")),
        &[],
        &body,
    )
    .await;
    assert_eq!(wrong.status, 401);

    for bad in [
        json!({}),
        json!({"contents": []}),
        json!({"contents": [{"role": "user"}]}),
        json!({"contents": "x"}),
    ] {
        let answer = post(
            &url(&mock, "g", "generateContent"),
            &[("x-goog-api-key", KEY)],
            &bad,
        )
        .await;
        assert_eq!(answer.status, 400, "{bad}");
        assert_eq!(answer.json()["error"]["status"], "INVALID_ARGUMENT");
        assert_eq!(answer.json()["error"]["code"], 400);
    }
    let unknown = post(
        &url(&mock, "g", "fooBar"),
        &[("x-goog-api-key", KEY)],
        &body,
    )
    .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["error"]["status"], "NOT_FOUND");
    assert!(unknown.header("x-request-id").is_none());
    assert_eq!(mock.hits(Flavour::Gemini), 7);
}

#[tokio::test]
async fn stream_is_data_only_with_running_usage() {
    let mock = mock().await;
    let body = json!({"contents": [{"role": "user", "parts": [{"text": "one two three"}]}]});
    let streamed = stream(
        &format!(
            "{}?alt=sse",
            url(&mock, "gemini-2.5-pro", "streamGenerateContent")
        ),
        &[("x-goog-api-key", KEY)],
        &body,
    )
    .await;
    assert_eq!(streamed.status, 200);
    assert_eq!(streamed.header("content-type"), Some("text/event-stream"));
    assert!(streamed.error.is_none());
    let text = streamed.text();
    assert!(!text.contains("event:") && !text.contains("[DONE]"));
    let chunks: Vec<Value> = streamed.events().iter().map(SseEvent::json).collect();
    assert_eq!(chunks.len(), 4);
    let joined: String = chunks
        .iter()
        .map(|c| {
            c["candidates"][0]["content"]["parts"][0]["text"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(joined, "echo: one two three");
    assert!(
        chunks
            .iter()
            .all(|c| c["usageMetadata"]["promptTokenCount"] == 3)
    );
    let running: Vec<u64> = chunks
        .iter()
        .map(|c| c["usageMetadata"]["candidatesTokenCount"].as_u64().unwrap())
        .collect();
    assert_eq!(running, vec![1, 2, 3, 4]);
    assert!(
        chunks[..3]
            .iter()
            .all(|c| c["candidates"][0].get("finishReason").is_none())
    );
    assert_eq!(chunks[3]["candidates"][0]["finishReason"], "STOP");
    assert_eq!(chunks[3]["usageMetadata"]["totalTokenCount"], 7);

    // Without alt=sse: one JSON array of the same chunks.
    let array = post(
        &url(&mock, "g", "streamGenerateContent"),
        &[("x-goog-api-key", KEY)],
        &body,
    )
    .await
    .json();
    assert_eq!(array.as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn function_call_and_function_response() {
    let mock = mock().await;
    let tools = json!([{"functionDeclarations": [{"name": "get_weather", "parameters": {"type": "object"}}]}]);
    let ask = json!({"tools": tools, "contents": [{"role": "user", "parts": [{"text": "weather in Oslo"}]}]});
    let json = post(
        &url(&mock, "g", "generateContent"),
        &[("x-goog-api-key", KEY)],
        &ask,
    )
    .await
    .json();
    let candidate = &json["candidates"][0];
    assert_eq!(candidate["finishReason"], "STOP");
    assert_eq!(
        candidate["content"]["parts"],
        json!([{"functionCall": {"name": "get_weather", "args": {"input": "weather in Oslo"}}}])
    );
    assert_eq!(json["usageMetadata"]["candidatesTokenCount"], 5);

    let none = json!({"tools": tools, "toolConfig": {"functionCallingConfig": {"mode": "NONE"}},
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}]});
    let json = post(
        &url(&mock, "g", "generateContent"),
        &[("x-goog-api-key", KEY)],
        &none,
    )
    .await
    .json();
    assert_eq!(
        json["candidates"][0]["content"]["parts"][0]["text"],
        "echo: hi"
    );

    let result = json!({"tools": tools, "contents": [
        {"role": "user", "parts": [{"text": "weather in Oslo"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {"input": "weather in Oslo"}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"temp_c": 3}}}]}
    ]});
    let json = post(
        &url(&mock, "g", "generateContent"),
        &[("x-goog-api-key", KEY)],
        &result,
    )
    .await
    .json();
    assert_eq!(
        json["candidates"][0]["content"]["parts"][0]["text"],
        "tool said: {\"temp_c\":3}"
    );

    let wrapped = json!({"contents": [
        {"role": "user", "parts": [{"text": "q"}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {"content": "plain words"}}}]}
    ]});
    let json = post(
        &url(&mock, "g", "generateContent"),
        &[("x-goog-api-key", KEY)],
        &wrapped,
    )
    .await
    .json();
    assert_eq!(
        json["candidates"][0]["content"]["parts"][0]["text"],
        "tool said: plain words"
    );
}

#[tokio::test]
async fn embeddings_single_and_batch() {
    let mock = mock().await;
    let single = post(
        &url(&mock, "text-embedding-004", "embedContent"),
        &[("x-goog-api-key", KEY)],
        &json!({"content": {"parts": [{"text": "hello"}]}, "outputDimensionality": 8}),
    )
    .await;
    assert_eq!(single.status, 200, "{}", single.text());
    let values = single.json()["embedding"]["values"].clone();
    assert_eq!(values.as_array().unwrap().len(), 8);

    let batch = post(
        &url(&mock, "text-embedding-004", "batchEmbedContents"),
        &[("x-goog-api-key", KEY)],
        &json!({"requests": [
            {"model": "models/text-embedding-004", "content": {"parts": [{"text": "hello"}]}, "outputDimensionality": 8},
            {"model": "models/text-embedding-004", "content": {"parts": [{"text": "bye"}]}}
        ]}),
    )
    .await
    .json();
    let embeddings = batch["embeddings"].as_array().unwrap();
    assert_eq!(embeddings.len(), 2);
    assert_eq!(embeddings[0]["values"], values, "same text, same vector");
    assert_eq!(embeddings[1]["values"].as_array().unwrap().len(), 16);

    let bad = post(
        &url(&mock, "e", "embedContent"),
        &[("x-goog-api-key", KEY)],
        &json!({"content": {}}),
    )
    .await;
    assert_eq!(bad.status, 400);
}
