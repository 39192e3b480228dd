//! Azure OpenAI "classic" deployments: the OpenAI body and answers, addressed by deployment name
//! in the path, with a mandatory `api-version` query and `api-key` header auth.

use axum::response::Response;

use crate::call::Call;
use crate::embeddings;
use crate::errors::ErrorKind;
use crate::openai;

/// `POST /azure/openai/deployments/{deployment}/chat/completions?api-version=...`
pub(crate) async fn chat(call: Call) -> Response {
    match deployment(&call) {
        Ok(deployment) => openai::chat_as(call, Some(deployment)).await,
        Err(response) => response,
    }
}

/// `POST /azure/openai/deployments/{deployment}/embeddings?api-version=...`
pub(crate) async fn embeddings(call: Call) -> Response {
    match deployment(&call) {
        Ok(deployment) => embeddings::openai(call, Some(deployment)).await,
        Err(response) => response,
    }
}

/// The deployment named in the path; without `api-version` Azure answers 404 before anything
/// else, key checks included.
fn deployment(call: &Call) -> Result<String, Response> {
    let not_found = || call.error(ErrorKind::NotFound, "Resource not found");
    if call.query_param("api-version").is_none_or(|v| v.is_empty()) {
        return Err(not_found());
    }
    call.path_segment(3)
        .filter(|d| !d.is_empty())
        .ok_or_else(not_found)
}
