//! Anthropic Messages API adapter (`POST {base_url}/v1/messages`, providers.md §2).
//!
//! A caller that speaks Anthropic itself gets its body forwarded nearly verbatim (only `model` and
//! `stream` are set), so vendor parameters this adapter does not know survive; everyone else's
//! request is mapped field by field from the canonical form.

mod errors;
pub mod request;
pub mod response;
pub mod stream;
pub mod wire;

#[cfg(test)]
mod tests;

use bytes::Bytes;
use futures_util::StreamExt;
use http::Response;
use hyper::body::Incoming;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};
use tokio::time::Instant;
use tollgate_types::{
    ChatRequest, Dialect, EmbeddingRequest, EmbeddingResponse, GatewayError, NativeReply,
};

use self::errors::ErrorContext;
use self::stream::{Flow, StreamMapper};
use self::wire::{MessagesResponse, UsageOnly};
use crate::http::{json_post, read_body, sse_events, unreadable_body};
use crate::{ChatReply, ChatStream, Provider, ProviderKind, ProviderSpec, Target, UpstreamClient};

/// The API version this adapter speaks; a `anthropic-version` in the provider's configured
/// headers replaces it.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

pub struct AnthropicProvider {
    spec: ProviderSpec,
    client: UpstreamClient,
    messages_url: String,
    errors: ErrorContext,
}

impl AnthropicProvider {
    pub fn new(spec: ProviderSpec, client: UpstreamClient) -> Self {
        let messages_url = format!("{}/v1/messages", spec.base_url.trim_end_matches('/'));
        let errors = ErrorContext {
            provider: spec.name.clone(),
            api_key: spec.api_key.clone(),
        };
        AnthropicProvider {
            spec,
            client,
            messages_url,
            errors,
        }
    }

    /// The body to send: the caller's own (passthrough) or the mapped canonical request. Also
    /// says whether `response_format` is emulated with the JSON tool.
    fn request_body(
        &self,
        request: &ChatRequest,
        target: &Target,
        stream: bool,
    ) -> Result<(Vec<u8>, bool), GatewayError> {
        let encoded = match request.passthrough_for(Dialect::Anthropic) {
            Some(body) => serde_json::to_vec(&PassthroughBody {
                body,
                model: &target.upstream_model,
                stream,
            })
            .map(|bytes| (bytes, false)),
            None => {
                let wire = request::build_request(request, &target.upstream_model, stream)?;
                let json_mode = request::json_mode_schema(request).is_some();
                serde_json::to_vec(&wire).map(|bytes| (bytes, json_mode))
            }
        };
        encoded.map_err(|error| {
            tracing::error!(%error, "could not encode an anthropic request");
            GatewayError::internal()
        })
    }

    /// Sends the request; `Ok` only for a 2xx answer, with the call's deadline.
    async fn send(
        &self,
        body: Vec<u8>,
        target: &Target,
    ) -> Result<(Response<Incoming>, Instant), GatewayError> {
        let deadline = Instant::now() + target.total_timeout;
        let mut headers: Vec<(&str, &str)> = Vec::with_capacity(2);
        if let Some(key) = self.spec.api_key.as_deref() {
            headers.push(("x-api-key", key));
        }
        let version_configured = self
            .spec
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("anthropic-version"));
        if !version_configured {
            headers.push(("anthropic-version", ANTHROPIC_VERSION));
        }
        let http_request = json_post(&self.messages_url, &headers, &self.spec.headers, body)?;
        let response = self
            .client
            .send(http_request, target.first_byte_timeout)
            .await?;
        let status = response.status();
        if status.is_success() {
            return Ok((response, deadline));
        }
        let (parts, body) = response.into_parts();
        // An unreadable error body still leaves the status to go by.
        let body = read_body(body, deadline).await.unwrap_or_default();
        Err(self
            .errors
            .http_failure(status.as_u16(), &parts.headers, &body))
    }
}

#[async_trait::async_trait]
impl Provider for AnthropicProvider {
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
        let (body, json_mode) = self.request_body(request, target, false)?;
        let (response, deadline) = self.send(body, target).await?;
        let body = read_body(response.into_body(), deadline).await?;
        if request.passthrough_for(Dialect::Anthropic).is_some() {
            return native_reply(&self.spec.name, body).map(ChatReply::Native);
        }
        let parsed: MessagesResponse = serde_json::from_slice(&body)
            .map_err(|error| unreadable_body(&self.spec.name, error))?;
        Ok(ChatReply::Canonical(response::to_canonical(
            parsed, json_mode,
        )))
    }

    async fn chat_stream(
        &self,
        request: &ChatRequest,
        target: &Target,
    ) -> Result<ChatStream, GatewayError> {
        let (body, json_mode) = self.request_body(request, target, true)?;
        let (response, deadline) = self.send(body, target).await?;
        let mut mapper = if request.passthrough_for(Dialect::Anthropic).is_some() {
            StreamMapper::passthrough(self.errors.clone())
        } else {
            StreamMapper::canonical(self.errors.clone(), json_mode)
        };
        // Between events the upstream may be silent only as long as it may take to answer at all.
        let events = sse_events(
            response.into_body(),
            target.first_byte_timeout,
            target.stream_idle_timeout,
            deadline,
        );
        Ok(Box::pin(async_stream::stream! {
            let mut events = std::pin::pin!(events);
            let mut out = Vec::new();
            loop {
                let flow = match events.next().await {
                    Some(Ok(event)) => mapper.on_event(&event, &mut out),
                    Some(Err(error)) => {
                        mapper.on_transport_error(error, &mut out);
                        Flow::End
                    }
                    None => {
                        mapper.on_end_of_body(&mut out);
                        Flow::End
                    }
                };
                for event in out.drain(..) {
                    yield event;
                }
                if flow == Flow::End {
                    break;
                }
            }
        }))
    }

    async fn embed(
        &self,
        _request: &EmbeddingRequest,
        _target: &Target,
    ) -> Result<EmbeddingResponse, GatewayError> {
        Err(GatewayError::invalid_param(
            "model",
            "Anthropic has no embeddings API; configure an embedding model on another provider",
        ))
    }
}

/// A same-dialect answer: forwarded as it came, with only its usage read.
fn native_reply(provider: &str, body: Bytes) -> Result<NativeReply, GatewayError> {
    let usage = serde_json::from_slice::<UsageOnly>(&body)
        .map_err(|error| unreadable_body(provider, error))?
        .usage
        .to_canonical();
    Ok(NativeReply {
        dialect: Dialect::Anthropic,
        body,
        usage,
        provider_cost: None,
    })
}

/// The caller's body with `model` and `stream` replaced, serialized without copying the body
/// (it may hold megabytes of images).
struct PassthroughBody<'a> {
    body: &'a Map<String, Value>,
    model: &'a str,
    stream: bool,
}

impl Serialize for PassthroughBody<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("model", self.model)?;
        for (key, value) in self.body {
            if key != "model" && key != "stream" {
                map.serialize_entry(key, value)?;
            }
        }
        if self.stream {
            map.serialize_entry("stream", &true)?;
        }
        map.end()
    }
}
