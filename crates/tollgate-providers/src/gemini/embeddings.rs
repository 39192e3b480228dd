//! Canonical embeddings ↔ Gemini `batchEmbedContents`.

use tollgate_types::{EmbeddingInput, EmbeddingRequest, EmbeddingResponse, GatewayError, Usage};

use super::wire::{
    BatchEmbedRequest, BatchEmbedResponse, EmbedContent, EmbedContentRequest, EmbedTextPart,
};
use crate::http::unreadable_body;

/// Builds the batch body; `model_ref` is `models/{model}`, which every entry must repeat.
pub fn build_embed_request<'a>(
    request: &'a EmbeddingRequest,
    model_ref: &'a str,
) -> Result<BatchEmbedRequest<'a>, GatewayError> {
    let texts = match &request.input {
        EmbeddingInput::Texts(texts) => texts,
        EmbeddingInput::Tokens(_) => {
            return Err(GatewayError::invalid_param(
                "input",
                "Gemini embeddings take text only; token-id arrays are not supported.",
            ));
        }
    };
    if texts.is_empty() {
        return Err(GatewayError::invalid_param("input", "`input` is empty."));
    }
    Ok(BatchEmbedRequest {
        requests: texts
            .iter()
            .map(|text| EmbedContentRequest {
                model: model_ref,
                content: EmbedContent {
                    parts: [EmbedTextPart { text }],
                },
                output_dimensionality: request.dimensions,
            })
            .collect(),
    })
}

pub fn embedding_response(
    provider: &str,
    wire: BatchEmbedResponse,
    request: &EmbeddingRequest,
    upstream_model: &str,
) -> Result<EmbeddingResponse, GatewayError> {
    if wire.embeddings.len() != request.input.len() {
        return Err(unreadable_body(
            provider,
            format!(
                "{} embeddings for {} inputs",
                wire.embeddings.len(),
                request.input.len()
            ),
        ));
    }
    let input_tokens = match &request.input {
        EmbeddingInput::Texts(texts) => estimated_tokens(texts),
        EmbeddingInput::Tokens(tokens) => tokens.iter().map(|t| t.len() as u64).sum(),
    };
    Ok(EmbeddingResponse {
        model: upstream_model.to_string(),
        vectors: wire.embeddings.into_iter().map(|e| e.values).collect(),
        usage: Usage {
            input_tokens,
            ..Usage::default()
        },
    })
}

/// Gemini reports no usage for embeddings, yet spend must be recorded: this estimates input
/// tokens with the usual rule of thumb of four characters per token (rounded up per input), so
/// the cost is approximate, not the provider's count.
pub fn estimated_tokens(texts: &[String]) -> u64 {
    texts
        .iter()
        .map(|text| (text.chars().count() as u64).div_ceil(4))
        .sum()
}
