//! The OpenAI wire format, spoken to every OpenAI-compatible server (OpenAI, Groq, Together,
//! Mistral, DeepSeek, xAI, vLLM, Ollama: one adapter, a base URL each), to OpenRouter (plus its
//! exact `usage.cost`) and to Azure OpenAI (deployment in the path, `api-key` header).
//!
//! A caller that spoke OpenAI too gets passthrough: its own body goes upstream with only the
//! model (and the stream's usage flag) changed, and the answer comes back byte for byte, with
//! only usage and cost read out of it. Anyone else goes through the canonical mapping.

mod embeddings;
mod errors;
mod request;
mod response;
mod stream;
mod wire;

#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use http::HeaderMap;
use http::response::Parts;
use hyper::body::Incoming;
use tokio::time::Instant;
use tollgate_sse::SseEvent;
use tollgate_types::{
    ChatRequest, Dialect, EmbeddingRequest, EmbeddingResponse, GatewayError, StreamEvent,
};

use crate::http as upstream_http;
use crate::{ChatReply, ChatStream, Provider, ProviderKind, ProviderSpec, Target, UpstreamClient};
use errors::ErrorScope;
use request::WireOptions;
use stream::{ChunkMapper, EventMapper, NativeMapper, Step};

/// Azure's `api-version` when the config names none (the current GA version of the classic API).
const DEFAULT_AZURE_API_VERSION: &str = "2024-10-21";

/// An error body is only read to find a message; a slow one is not waited for.
const ERROR_BODY_TIMEOUT: Duration = Duration::from_secs(5);

/// After `[DONE]`, how long to wait for the end of the body so the connection can go back to the
/// pool; well-behaved servers end it at once.
const DRAIN_AFTER_DONE: Duration = Duration::from_millis(100);

pub struct OpenAiProvider {
    spec: ProviderSpec,
    client: UpstreamClient,
    options: WireOptions,
    scope: ErrorScope,
    /// Header name and value; none when no key is configured (local servers).
    auth: Option<(&'static str, String)>,
    endpoints: Endpoints,
}

enum Endpoints {
    Fixed {
        chat: String,
        embeddings: String,
    },
    /// Classic Azure: the deployment (the upstream model) is a path segment.
    AzureDeployment {
        base: String,
        api_version: String,
    },
}

impl OpenAiProvider {
    pub fn new(spec: ProviderSpec, client: UpstreamClient) -> Self {
        let base = spec.base_url.trim_end_matches('/').to_string();
        // Azure's newer v1 surface is plain OpenAI under `/openai/v1`, model in the body.
        let azure_v1 = spec.kind == ProviderKind::Azure && base.ends_with("/openai/v1");
        let classic_azure = spec.kind == ProviderKind::Azure && !azure_v1;
        let endpoints = if classic_azure {
            Endpoints::AzureDeployment {
                api_version: spec
                    .api_version
                    .clone()
                    .unwrap_or_else(|| DEFAULT_AZURE_API_VERSION.to_string()),
                base,
            }
        } else {
            Endpoints::Fixed {
                chat: format!("{base}/chat/completions"),
                embeddings: format!("{base}/embeddings"),
            }
        };
        let auth = spec.api_key.as_ref().map(|key| match spec.kind {
            ProviderKind::Azure => ("api-key", key.clone()),
            _ => ("authorization", format!("Bearer {key}")),
        });
        let options = WireOptions {
            max_completion_tokens: spec.kind == ProviderKind::Azure
                || host_of(&spec.base_url).eq_ignore_ascii_case("api.openai.com"),
            omit_model: classic_azure,
            openrouter: spec.kind == ProviderKind::OpenRouter,
        };
        let scope = ErrorScope {
            provider: spec.name.clone(),
            api_key: spec.api_key.clone(),
        };
        OpenAiProvider {
            spec,
            client,
            options,
            scope,
            auth,
            endpoints,
        }
    }

    fn url(&self, upstream_model: &str, operation: &str) -> Cow<'_, str> {
        match &self.endpoints {
            Endpoints::Fixed { chat, embeddings } => Cow::Borrowed(match operation {
                "embeddings" => embeddings,
                _ => chat,
            }),
            Endpoints::AzureDeployment { base, api_version } => Cow::Owned(format!(
                "{base}/openai/deployments/{}/{operation}?api-version={}",
                encode_component(upstream_model),
                encode_component(api_version),
            )),
        }
    }

    /// POSTs `body` and returns the response head and body of a 2xx answer; any other status
    /// becomes the mapped upstream error.
    async fn post(
        &self,
        url: &str,
        body: Vec<u8>,
        target: &Target,
        deadline: Instant,
    ) -> Result<(Parts, Incoming), GatewayError> {
        let auth = self
            .auth
            .as_ref()
            .map(|(name, value)| (*name, value.as_str()));
        let request = upstream_http::json_post(url, auth.as_slice(), &self.spec.headers, body)?;
        let response = self.client.send(request, target.first_byte_timeout).await?;
        let (parts, body) = response.into_parts();
        if !parts.status.is_success() {
            let error_deadline = deadline.min(Instant::now() + ERROR_BODY_TIMEOUT);
            let bytes = upstream_http::read_body(body, error_deadline)
                .await
                .unwrap_or_default();
            return Err(self
                .scope
                .status_error(parts.status.as_u16(), &parts.headers, &bytes));
        }
        Ok((parts, body))
    }

    fn expect_json(&self, headers: &HeaderMap) -> Result<(), GatewayError> {
        match content_type(headers) {
            Some(kind) if !kind.contains("json") => Err(self
                .scope
                .unreadable(format_args!("content type `{kind}` instead of JSON"))),
            _ => Ok(()),
        }
    }

    fn chat_body(&self, request: &ChatRequest, target: &Target, stream: bool) -> BodyResult {
        let body = match request.passthrough_for(Dialect::OpenAi) {
            Some(original) => {
                request::passthrough_body(original, &target.upstream_model, self.options, stream)?
            }
            None => request::chat_body(request, &target.upstream_model, self.options, stream)?,
        };
        Ok(body)
    }
}

type BodyResult = Result<Vec<u8>, GatewayError>;

#[async_trait::async_trait]
impl Provider for OpenAiProvider {
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
        let deadline = Instant::now() + target.total_timeout;
        let body = self.chat_body(request, target, false)?;
        let url = self.url(&target.upstream_model, "chat/completions");
        let (parts, body) = self.post(&url, body, target, deadline).await?;
        self.expect_json(&parts.headers)?;
        let bytes = upstream_http::read_body(body, deadline).await?;
        let header_cost = response::header_cost(&parts.headers);
        if request.passthrough_for(Dialect::OpenAi).is_some() {
            response::native_reply(&self.scope, bytes, header_cost).map(ChatReply::Native)
        } else {
            response::canonical_response(&self.scope, &bytes, header_cost).map(ChatReply::Canonical)
        }
    }

    async fn chat_stream(
        &self,
        request: &ChatRequest,
        target: &Target,
    ) -> Result<ChatStream, GatewayError> {
        let deadline = Instant::now() + target.total_timeout;
        let body = self.chat_body(request, target, true)?;
        let url = self.url(&target.upstream_model, "chat/completions");
        let (parts, body) = self.post(&url, body, target, deadline).await?;
        if let Some(kind) = content_type(&parts.headers)
            && !kind.contains("event-stream")
        {
            // Not a stream: some servers answer 200 with an error object.
            let bytes = upstream_http::read_body(body, deadline).await?;
            if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes)
                && let Some(error) = value.get("error").filter(|e| !e.is_null())
            {
                return Err(self.scope.inline_error(error));
            }
            return Err(self
                .scope
                .unreadable(format_args!("content type `{kind}` instead of a stream")));
        }
        let events = upstream_http::sse_events(
            body,
            target.first_byte_timeout,
            target.stream_idle_timeout,
            deadline,
        );
        Ok(if request.passthrough_for(Dialect::OpenAi).is_some() {
            drive(events, NativeMapper::new(self.scope.clone()))
        } else {
            drive(events, ChunkMapper::new(self.scope.clone()))
        })
    }

    async fn embed(
        &self,
        request: &EmbeddingRequest,
        target: &Target,
    ) -> Result<EmbeddingResponse, GatewayError> {
        let deadline = Instant::now() + target.total_timeout;
        let body =
            embeddings::embedding_body(request, &target.upstream_model, self.options.omit_model)?;
        let url = self.url(&target.upstream_model, "embeddings");
        let (parts, body) = self.post(&url, body, target, deadline).await?;
        self.expect_json(&parts.headers)?;
        let bytes = upstream_http::read_body(body, deadline).await?;
        embeddings::parse_embeddings(
            &self.scope,
            &bytes,
            request.input.len(),
            &target.upstream_model,
        )
    }
}

/// Runs a mapper over the upstream's SSE events.
fn drive<M: EventMapper>(
    events: impl Stream<Item = Result<SseEvent, GatewayError>> + Send + 'static,
    mut mapper: M,
) -> ChatStream {
    Box::pin(async_stream::stream! {
        let mut events = std::pin::pin!(events);
        let mut out = Vec::new();
        while let Some(item) = events.next().await {
            let event = match item {
                Ok(event) => event,
                Err(error) => {
                    yield StreamEvent::Error(error);
                    return;
                }
            };
            let step = mapper.map(event, &mut out);
            for mapped in out.drain(..) {
                yield mapped;
            }
            if step == Step::End {
                let drain = async { while events.next().await.is_some() {} };
                let _ = tokio::time::timeout(DRAIN_AFTER_DONE, drain).await;
                return;
            }
        }
        if let Some(error) = mapper.at_end_of_body() {
            yield StreamEvent::Error(error);
        }
    })
}

fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_ascii_lowercase)
}

/// The host of a base URL (`https://api.openai.com/v1` → `api.openai.com`).
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    host_port.split(':').next().unwrap_or(host_port)
}

/// Percent-encodes everything but RFC 3986 unreserved characters (deployment names and versions
/// are plain, but a stray `/` or `?` must not change the URL's shape).
fn encode_component(text: &str) -> Cow<'_, str> {
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    if text.bytes().all(unreserved) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if unreserved(byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    Cow::Owned(out)
}
