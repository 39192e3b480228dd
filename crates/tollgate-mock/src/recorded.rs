//! What the mock remembers about each request, so tests can assert what a gateway sent upstream.

use bytes::Bytes;
use http::{HeaderMap, Method};
use serde_json::{Map, Value, json};

use crate::Flavour;

/// One request as received, before any fault or validation was applied.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// The flavour whose prefix the path starts with.
    pub flavour: Flavour,
    pub method: Method,
    /// Path and query, e.g. `/azure/openai/deployments/d1/chat/completions?api-version=2024-10-21`.
    pub path: String,
    pub headers: HeaderMap,
    /// The raw body bytes.
    pub body: Bytes,
    /// The body parsed as JSON, when it is valid JSON.
    pub json: Option<Value>,
}

impl RecordedRequest {
    /// A header's value as text (names are case-insensitive); `None` if absent or not UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The path without the query.
    pub fn path_only(&self) -> &str {
        self.path.split('?').next().unwrap_or(&self.path)
    }

    /// The raw query string, if any.
    pub fn query(&self) -> Option<&str> {
        self.path.split_once('?').map(|(_, q)| q)
    }

    /// The body as text (lossy), handy in assertion messages.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A JSON view for the control endpoint (`GET /_mock/requests`) used by non-Rust tests.
    pub(crate) fn to_json(&self) -> Value {
        let mut headers = Map::new();
        for (name, value) in &self.headers {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            headers.insert(name.as_str().to_owned(), Value::String(value));
        }
        json!({
            "flavour": self.flavour.name(),
            "method": self.method.as_str(),
            "path": self.path,
            "headers": headers,
            "body": self.json.clone().unwrap_or_else(|| Value::String(self.body_text())),
        })
    }
}
