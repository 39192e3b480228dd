//! Deterministic embeddings: the same input always gets the same vector, different inputs
//! (almost surely) different ones. Values are multiples of 1/1024, exact in `f32`, so float and
//! base64 encodings of a vector decode to identical numbers.

use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use serde_json::Value;

use crate::call::Call;
use crate::json::{opt_str, opt_u64};
use crate::openai::check_key;
use crate::respond::JSON;
use crate::tokens::count_words;

/// Vector length when the request does not ask for `dimensions`.
pub(crate) const DEFAULT_DIMENSIONS: usize = 16;
pub(crate) const MAX_DIMENSIONS: u64 = 4096;

/// One input to embed: the bytes that seed its vector and what it costs in tokens.
pub(crate) struct Seed {
    pub(crate) bytes: Vec<u8>,
    pub(crate) tokens: u64,
}

impl Seed {
    pub(crate) fn text(text: &str) -> Seed {
        Seed {
            bytes: text.as_bytes().to_vec(),
            tokens: count_words(text).max(1),
        }
    }

    fn token_ids(ids: &[Value]) -> Option<Seed> {
        let mut bytes = Vec::with_capacity(ids.len() * 8);
        for id in ids {
            bytes.extend_from_slice(&id.as_i64()?.to_le_bytes());
        }
        Some(Seed {
            bytes,
            tokens: ids.len() as u64,
        })
    }
}

/// The vector for a seed: FNV-1a of the seed, stretched with splitmix64.
pub(crate) fn vector(seed: &[u8], dimensions: usize) -> Vec<f32> {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in seed {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (0..dimensions as u64)
        .map(|i| {
            let mut x = hash.wrapping_add(i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            x ^= x >> 31;
            ((x % 2049) as i32 - 1024) as f32 / 1024.0
        })
        .collect()
}

/// OpenAI's `base64` encoding: the little-endian `f32` bytes.
pub(crate) fn base64_le(vector: &[f32]) -> String {
    let bytes: Vec<u8> = vector.iter().flat_map(|v| v.to_le_bytes()).collect();
    STANDARD.encode(bytes)
}

/// OpenAI `input`: a string, an array of strings, one token array, or an array of token arrays.
fn parse_input(input: Option<&Value>) -> Result<Vec<Seed>, String> {
    let invalid = || {
        "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.".to_owned()
    };
    let seeds = match input {
        None | Some(Value::Null) => return Err("Missing required parameter: 'input'.".to_owned()),
        Some(Value::String(text)) if !text.is_empty() => vec![Seed::text(text)],
        Some(Value::Array(items)) if !items.is_empty() => {
            if items.iter().all(Value::is_number) {
                vec![Seed::token_ids(items).ok_or_else(invalid)?]
            } else {
                items
                    .iter()
                    .map(|item| match item {
                        Value::String(text) if !text.is_empty() => Some(Seed::text(text)),
                        Value::Array(ids) if !ids.is_empty() => Seed::token_ids(ids),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(invalid)?
            }
        }
        Some(_) => return Err(invalid()),
    };
    Ok(seeds)
}

#[derive(Serialize)]
#[serde(untagged)]
enum Embedding {
    Float(Vec<f32>),
    Base64(String),
}

#[derive(Serialize)]
struct EmbeddingObject {
    object: &'static str,
    index: usize,
    embedding: Embedding,
}

#[derive(Serialize)]
struct EmbeddingList<'a> {
    object: &'static str,
    data: Vec<EmbeddingObject>,
    model: &'a str,
    usage: EmbeddingUsage,
}

#[derive(Serialize)]
struct EmbeddingUsage {
    prompt_tokens: u64,
    total_tokens: u64,
}

/// `POST .../embeddings` for OpenAI, OpenRouter and (with a deployment) Azure.
pub(crate) async fn openai(mut call: Call, deployment: Option<String>) -> Response {
    if let Err(denied) = check_key(&call) {
        return denied;
    }
    let parsed = call.json_object().and_then(|body| {
        let fields = || -> Result<_, String> {
            let model = opt_str(body, &["model"])?.map(str::to_owned);
            let seeds = parse_input(body.get("input"))?;
            let base64 = match opt_str(body, &["encoding_format"])? {
                None | Some("float") => false,
                Some("base64") => true,
                Some(other) => {
                    return Err(format!(
                        "Invalid value for 'encoding_format': '{other}'. Supported values are: 'float' and 'base64'."
                    ));
                }
            };
            let dimensions = match opt_u64(body, &["dimensions"])? {
                None => DEFAULT_DIMENSIONS,
                Some(d) if (1..=MAX_DIMENSIONS).contains(&d) => d as usize,
                Some(d) => return Err(format!("Invalid 'dimensions': {d} is not between 1 and {MAX_DIMENSIONS}.")),
            };
            Ok((model, seeds, base64, dimensions))
        };
        fields().map_err(|m| call.invalid(&m))
    });
    let (model, seeds, base64, dimensions) = match parsed {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    let model = match (deployment, model) {
        (Some(deployment), _) => deployment,
        (None, Some(model)) => model,
        (None, None) => return call.invalid("you must provide a model parameter"),
    };
    if let Some(response) = call.model_fault(&model).await {
        return response;
    }

    let tokens = seeds.iter().map(|s| s.tokens).sum();
    let data = seeds
        .iter()
        .enumerate()
        .map(|(index, seed)| {
            let values = vector(&seed.bytes, dimensions);
            EmbeddingObject {
                object: "embedding",
                index,
                embedding: if base64 {
                    Embedding::Base64(base64_le(&values))
                } else {
                    Embedding::Float(values)
                },
            }
        })
        .collect();
    let list = EmbeddingList {
        object: "list",
        data,
        model: &model,
        usage: EmbeddingUsage {
            prompt_tokens: tokens,
            total_tokens: tokens,
        },
    };
    call.json(JSON, &list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_are_deterministic_and_exact() {
        let a = vector(b"hello", 8);
        assert_eq!(a, vector(b"hello", 8));
        assert_ne!(a, vector(b"world", 8));
        assert!(
            a.iter()
                .all(|v| (-1.0..=1.0).contains(v) && (v * 1024.0).fract() == 0.0)
        );
        let decoded = STANDARD.decode(base64_le(&a)).unwrap();
        let back: Vec<f32> = decoded
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        assert_eq!(back, a);
    }

    #[test]
    fn parses_every_input_shape() {
        let count = |v: Value| parse_input(Some(&v)).map(|s| s.len());
        assert_eq!(count(serde_json::json!("a b")), Ok(1));
        assert_eq!(count(serde_json::json!(["a", "b c"])), Ok(2));
        assert_eq!(count(serde_json::json!([1, 2, 3])), Ok(1));
        assert_eq!(count(serde_json::json!([[1, 2], [3]])), Ok(2));
        assert!(count(serde_json::json!([])).is_err());
        assert!(count(serde_json::json!("")).is_err());
        assert!(count(serde_json::json!([{"x": 1}])).is_err());
    }
}
