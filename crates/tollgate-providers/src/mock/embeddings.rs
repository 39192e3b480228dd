//! Deterministic mock embeddings: each input hashes to a seed that fills a unit-length vector, so
//! equal inputs get equal vectors on every machine and every Rust version (no std `Hasher`, whose
//! output is not promised to stay stable).

use tollgate_types::{EmbeddingInput, EmbeddingRequest, EmbeddingResponse, GatewayError, Usage};

pub const DEFAULT_DIMENSIONS: u32 = 16;
/// A request field sizes the allocation, so it is bounded.
pub const MAX_DIMENSIONS: u32 = 8192;

pub fn embed(
    request: &EmbeddingRequest,
    upstream_model: &str,
) -> Result<EmbeddingResponse, GatewayError> {
    let dimensions = request.dimensions.unwrap_or(DEFAULT_DIMENSIONS);
    if dimensions == 0 || dimensions > MAX_DIMENSIONS {
        return Err(GatewayError::invalid_param(
            "dimensions",
            format!("`dimensions` must be between 1 and {MAX_DIMENSIONS}."),
        ));
    }
    let dimensions = dimensions as usize;
    let (vectors, input_tokens) = match &request.input {
        EmbeddingInput::Texts(texts) => (
            texts
                .iter()
                .map(|text| unit_vector(fnv1a(text.as_bytes()), dimensions))
                .collect(),
            texts
                .iter()
                .map(|text| text.split_whitespace().count().max(1) as u64)
                .sum(),
        ),
        EmbeddingInput::Tokens(inputs) => (
            inputs
                .iter()
                .map(|tokens| {
                    let bytes = tokens.iter().flat_map(|token| token.to_le_bytes());
                    unit_vector(fnv1a_iter(bytes), dimensions)
                })
                .collect(),
            inputs.iter().map(|tokens| tokens.len() as u64).sum(),
        ),
    };
    Ok(EmbeddingResponse {
        model: upstream_model.to_string(),
        vectors,
        usage: Usage {
            input_tokens,
            ..Usage::default()
        },
    })
}

/// Components from a SplitMix64 sequence in [-1, 1), scaled to length 1.
pub fn unit_vector(seed: u64, dimensions: usize) -> Vec<f32> {
    let mut state = seed;
    let mut vector: Vec<f32> = (0..dimensions)
        .map(|_| {
            // The top 24 bits fill an f32 mantissa exactly.
            let bits = (splitmix64(&mut state) >> 40) as f32;
            bits / (1u32 << 23) as f32 - 1.0
        })
        .collect();
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > f32::EPSILON {
        vector.iter_mut().for_each(|x| *x /= norm);
    } else if let Some(first) = vector.first_mut() {
        *first = 1.0;
    }
    vector
}

fn fnv1a(bytes: &[u8]) -> u64 {
    fnv1a_iter(bytes.iter().copied())
}

fn fnv1a_iter(bytes: impl Iterator<Item = u8>) -> u64 {
    bytes.fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
