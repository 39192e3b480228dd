//! STUB — being written. Replace this whole folder.
#![allow(dead_code, unused_imports)]

use tollgate_types::{ChatRequest, EmbeddingRequest, EmbeddingResponse, GatewayError};

use crate::{ChatReply, ChatStream, Provider, ProviderKind, ProviderSpec, Target, UpstreamClient};

pub struct OpenAiProvider {
    spec: ProviderSpec, client: UpstreamClient,
}

impl OpenAiProvider {
    pub fn new(spec: ProviderSpec, client: UpstreamClient) -> Self {
        OpenAiProvider { spec, client }
    }
}

#[async_trait::async_trait]
impl Provider for OpenAiProvider {
    fn name(&self) -> &str {
        &self.spec.name
    }

    fn kind(&self) -> ProviderKind {
        self.spec.kind
    }

    async fn chat(&self, _request: &ChatRequest, _target: &Target) -> Result<ChatReply, GatewayError> {
        Err(GatewayError::internal())
    }

    async fn chat_stream(&self, _request: &ChatRequest, _target: &Target) -> Result<ChatStream, GatewayError> {
        Err(GatewayError::internal())
    }

    async fn embed(&self, _request: &EmbeddingRequest, _target: &Target) -> Result<EmbeddingResponse, GatewayError> {
        Err(GatewayError::internal())
    }
}
