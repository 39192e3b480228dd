//! `/_mock/...`: the Rust handle's inspection and scripting, over HTTP, for tests that run the
//! binary (Python SDK e2e tests, bench scripts). Not part of any provider's API; never counted.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::Fault;
use crate::Flavour;
use crate::state::App;

/// `GET /_mock/hits` → `{"openai": 1, ..., "total": 1, "models": {"gpt-4o-mini": 1}}`.
pub(crate) async fn hits(State(app): State<App>) -> Json<Value> {
    let mut counts = Map::new();
    for flavour in Flavour::ALL {
        counts.insert(flavour.name().to_owned(), json!(app.hits(flavour)));
    }
    counts.insert("total".to_owned(), json!(app.total_hits()));
    counts.insert("models".to_owned(), json!(app.all_model_hits()));
    Json(Value::Object(counts))
}

/// `GET /_mock/requests` → the recorded requests, oldest first.
pub(crate) async fn requests(State(app): State<App>) -> Json<Value> {
    Json(Value::Array(
        app.requests().iter().map(|r| r.to_json()).collect(),
    ))
}

/// `POST /_mock/faults` with `{"fault": "fail-500"}`, `{"faults": ["slow-100", "reset"]}` or
/// `{"status": 418, "body": "...", "headers": {"x-a": "b"}}` queues faults.
pub(crate) async fn push_faults(State(app): State<App>, body: axum::body::Bytes) -> Response {
    match parse_faults(&body) {
        Ok(faults) => {
            let queued = faults.len();
            for fault in faults {
                app.push_fault(fault);
            }
            Json(json!({"queued": queued, "pending": app.pending_faults()})).into_response()
        }
        Err(message) => (StatusCode::BAD_REQUEST, Json(json!({"error": message}))).into_response(),
    }
}

/// `POST /_mock/reset` forgets hits, recorded requests and queued faults.
pub(crate) async fn reset(State(app): State<App>) -> Json<Value> {
    app.clear();
    Json(json!({"ok": true}))
}

fn parse_faults(body: &[u8]) -> Result<Vec<Fault>, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))?;
    let parse = |v: &Value| -> Result<Fault, String> {
        v.as_str().ok_or("a fault name must be a string")?.parse()
    };
    if let Some(name) = value.get("fault") {
        return Ok(vec![parse(name)?]);
    }
    if let Some(names) = value.get("faults").and_then(Value::as_array) {
        return names.iter().map(parse).collect();
    }
    if let Some(status) = value.get("status").and_then(Value::as_u64) {
        let status = u16::try_from(status)
            .ok()
            .filter(|s| (100..=999).contains(s))
            .ok_or("status must be between 100 and 999")?;
        let body = value.get("body").map(|b| match b {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        let headers = value
            .get("headers")
            .and_then(Value::as_object)
            .map(|h| {
                h.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        return Ok(vec![Fault::Status {
            status,
            body,
            headers,
        }]);
    }
    Err("expected {\"fault\": name}, {\"faults\": [names]} or {\"status\": code}".to_owned())
}
