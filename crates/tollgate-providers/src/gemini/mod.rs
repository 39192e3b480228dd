//! Google Gemini (Developer API): `generateContent`, `streamGenerateContent?alt=sse` and
//! `batchEmbedContents`, mapped to and from the canonical types (providers.md §3).
//!
//! The key travels in the `x-goog-api-key` header, never in the `?key=` query Gemini also
//! accepts, because URLs end up in logs and traces.

mod embeddings;
mod errors;
mod request;
mod response;
mod schema;
mod stream;
mod wire;

#[cfg(test)]
mod tests;

use http::Response;
use hyper::body::Incoming;
use serde::Serialize;
use tokio::time::Instant;
use tollgate_types::{ChatRequest, EmbeddingRequest, EmbeddingResponse, GatewayError};

use crate::http::{json_post, read_body, sse_events, unreadable_body};
use crate::{ChatReply, ChatStream, Provider, ProviderKind, ProviderSpec, Target, UpstreamClient};

pub struct GeminiProvider {
    spec: ProviderSpec,
    client: UpstreamClient,
}

impl GeminiProvider {
    pub fn new(spec: ProviderSpec, client: UpstreamClient) -> Self {
        GeminiProvider { spec, client }
    }

    /// `{base_url}/models/{model}:{method}`; a configured model already written `models/x` is
    /// accepted too.
    fn url(&self, upstream_model: &str, method: &str) -> String {
        let model = upstream_model
            .strip_prefix("models/")
            .unwrap_or(upstream_model);
        format!("{}/models/{model}:{method}", self.spec.base_url)
    }

    /// POSTs a JSON body and returns the response once its 2xx headers arrived; a non-2xx answer
    /// is read (before `deadline`) and mapped to an error.
    async fn post(
        &self,
        url: &str,
        body: &impl Serialize,
        target: &Target,
        deadline: Instant,
    ) -> Result<Response<Incoming>, GatewayError> {
        let body = serde_json::to_vec(body).map_err(|error| {
            tracing::error!(%error, "could not serialise a Gemini request");
            GatewayError::internal()
        })?;
        let api_key = self.spec.api_key.as_deref();
        let auth: &[(&str, &str)] = match api_key {
            Some(key) => &[("x-goog-api-key", key)],
            None => &[],
        };
        let request = json_post(url, auth, &self.spec.headers, body)?;
        let response = self.client.send(request, target.first_byte_timeout).await?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let (parts, body) = response.into_parts();
        // An unreadable error body still maps by its status.
        let body = read_body(body, deadline).await.unwrap_or_default();
        Err(errors::upstream_failure(
            &self.spec.name,
            status.as_u16(),
            &parts.headers,
            &body,
            api_key,
        ))
    }

    async fn post_for_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
        body: &impl Serialize,
        target: &Target,
    ) -> Result<T, GatewayError> {
        let deadline = Instant::now() + target.total_timeout;
        let response = self.post(url, body, target, deadline).await?;
        let bytes = read_body(response.into_body(), deadline).await?;
        serde_json::from_slice(&bytes).map_err(|error| unreadable_body(&self.spec.name, error))
    }
}

#[async_trait::async_trait]
impl Provider for GeminiProvider {
    fn name(&self) -> &str {
        &self.spec.name
    }

    fn kind(&self) -> ProviderKind {
        self.spec.kind
    }

    fn base_url(&self) -> &str {
        &self.spec.base_url
    }

    async fn chat(
        &self,
        request: &ChatRequest,
        target: &Target,
    ) -> Result<ChatReply, GatewayError> {
        let body = request::build_request(request)?;
        let url = self.url(&target.upstream_model, "generateContent");
        let wire: wire::GenerateContentResponse = self.post_for_json(&url, &body, target).await?;
        if let Some(error) = wire.error {
            let status = error.code.unwrap_or(500);
            return Err(errors::from_error_body(
                &self.spec.name,
                status,
                &http::HeaderMap::new(),
                error,
                self.spec.api_key.as_deref(),
            ));
        }
        Ok(ChatReply::Canonical(response::chat_response(
            wire,
            &target.upstream_model,
        )))
    }

    async fn chat_stream(
        &self,
        request: &ChatRequest,
        target: &Target,
    ) -> Result<ChatStream, GatewayError> {
        let body = request::build_request(request)?;
        let url = self.url(&target.upstream_model, "streamGenerateContent?alt=sse");
        let deadline = Instant::now() + target.total_timeout;
        let response = self.post(&url, &body, target, deadline).await?;
        let events = sse_events(
            response.into_body(),
            target.first_byte_timeout,
            target.stream_idle_timeout,
            deadline,
        );
        let state = stream::StreamState::new(
            &self.spec.name,
            &target.upstream_model,
            self.spec.api_key.as_deref(),
        );
        Ok(stream::canonical_stream(events, state))
    }

    async fn embed(
        &self,
        request: &EmbeddingRequest,
        target: &Target,
    ) -> Result<EmbeddingResponse, GatewayError> {
        let model = target
            .upstream_model
            .strip_prefix("models/")
            .unwrap_or(&target.upstream_model);
        let model_ref = format!("models/{model}");
        let body = embeddings::build_embed_request(request, &model_ref)?;
        let url = self.url(model, "batchEmbedContents");
        let wire = self.post_for_json(&url, &body, target).await?;
        embeddings::embedding_response(&self.spec.name, wire, request, model)
    }
}
