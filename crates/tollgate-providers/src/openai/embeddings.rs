//! Embeddings: canonical request → `/embeddings` body, and the answer back.
//!
//! Upstreams are always asked for floats; the caller's `encoding_format` is applied by the
//! inbound dialect, so Tollgate can read (and count) the vectors whatever the caller wants.

use base64::Engine;
use serde::Serialize;
use tollgate_types::{EmbeddingInput, EmbeddingRequest, EmbeddingResponse, GatewayError};

use super::errors::ErrorScope;
use super::response::usage_from_wire;
use super::wire::{EmbeddingVectorIn, EmbeddingsIn};

#[derive(Debug, Serialize)]
struct EmbeddingBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<&'a str>,
    input: InputOut<'a>,
    encoding_format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    dimensions: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<&'a str>,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum InputOut<'a> {
    Texts(&'a [String]),
    Tokens(&'a [Vec<u32>]),
}

pub(crate) fn embedding_body(
    request: &EmbeddingRequest,
    upstream_model: &str,
    omit_model: bool,
) -> Result<Vec<u8>, GatewayError> {
    let body = EmbeddingBody {
        model: (!omit_model).then_some(upstream_model),
        input: match &request.input {
            EmbeddingInput::Texts(texts) => InputOut::Texts(texts),
            EmbeddingInput::Tokens(tokens) => InputOut::Tokens(tokens),
        },
        encoding_format: "float",
        dimensions: request.dimensions,
        user: request.user.as_deref(),
    };
    serde_json::to_vec(&body).map_err(|error| {
        tracing::error!(%error, "could not serialise an embeddings request");
        GatewayError::internal()
    })
}

/// The vectors in input order; an answer with the wrong number of vectors is unreadable.
pub(crate) fn parse_embeddings(
    scope: &ErrorScope,
    body: &[u8],
    expected: usize,
    upstream_model: &str,
) -> Result<EmbeddingResponse, GatewayError> {
    let answer: EmbeddingsIn = serde_json::from_slice(body).map_err(|e| scope.unreadable(e))?;
    if answer.data.len() != expected {
        return Err(scope.unreadable(format!(
            "{} embeddings for {expected} inputs",
            answer.data.len()
        )));
    }
    let mut indexed: Vec<(usize, Vec<f32>)> = Vec::with_capacity(answer.data.len());
    for (position, item) in answer.data.into_iter().enumerate() {
        let vector = match item.embedding {
            EmbeddingVectorIn::Floats(floats) => floats,
            EmbeddingVectorIn::Base64(text) => decode_base64_floats(&text)
                .ok_or_else(|| scope.unreadable("an embedding is not valid base64 floats"))?,
        };
        indexed.push((item.index.unwrap_or(position), vector));
    }
    indexed.sort_by_key(|(index, _)| *index);
    if indexed
        .iter()
        .enumerate()
        .any(|(i, (index, _))| i != *index)
    {
        return Err(scope.unreadable("embedding indexes do not match the inputs"));
    }
    Ok(EmbeddingResponse {
        model: answer
            .model
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| upstream_model.to_string()),
        vectors: indexed.into_iter().map(|(_, vector)| vector).collect(),
        usage: answer
            .usage
            .as_ref()
            .map(usage_from_wire)
            .unwrap_or_default(),
    })
}

/// Little-endian f32 bytes, as OpenAI's `encoding_format: "base64"` defines them.
fn decode_base64_floats(text: &str) -> Option<Vec<f32>> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    if bytes.len() % 4 != 0 {
        return None;
    }
    Some(
        bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
    )
}
