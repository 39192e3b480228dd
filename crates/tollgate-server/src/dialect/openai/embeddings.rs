//! `POST /v1/embeddings`: request parsing and the list response.

use base64::Engine;
use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;
use tollgate_types::{
    EmbeddingInput, EmbeddingRequest, EmbeddingResponse, EncodingFormat, GatewayError,
};

use super::fields::{
    Path, as_integer_in, as_positive_u32, invalid_type, invalid_value, optional, optional_str,
    required,
};
use super::request::{parse_model, parse_object};
use super::response::to_body;

/// OpenAI's limit on inputs per request.
const MAX_INPUTS: usize = 2048;

pub fn parse_embedding_request(body: &[u8]) -> Result<EmbeddingRequest, GatewayError> {
    let body = parse_object(body)?;
    let root = Path::Root;
    let model = parse_model(&body)?;
    let input_path = root.field("input");
    let input = parse_input(required(&body, "input", &input_path)?, &input_path)?;
    let format_path = root.field("encoding_format");
    let encoding_format = match optional_str(&body, "encoding_format", &format_path)? {
        None | Some("float") => EncodingFormat::Float,
        Some("base64") => EncodingFormat::Base64,
        Some(other) => {
            return Err(invalid_value(
                &format_path,
                format_args!("'{other}' is not one of 'float' and 'base64'."),
            ));
        }
    };
    Ok(EmbeddingRequest {
        model,
        input,
        dimensions: optional(&body, "dimensions")
            .map(|value| as_positive_u32(value, &root.field("dimensions")))
            .transpose()?,
        encoding_format,
        user: optional_str(&body, "user", &root.field("user"))?.map(str::to_string),
    })
}

/// A string, an array of strings, an array of token ids, or an array of token-id arrays.
fn parse_input(value: &Value, path: &Path<'_>) -> Result<EmbeddingInput, GatewayError> {
    let items = match value {
        Value::String(text) => {
            non_empty_text(text, path)?;
            return Ok(EmbeddingInput::Texts(vec![text.clone()]));
        }
        Value::Array(items) => items,
        other => {
            return Err(invalid_type(
                path,
                "one of a string, an array of strings, or an array of token arrays",
                other,
            ));
        }
    };
    if items.is_empty() {
        return Err(invalid_value(path, "the input must not be an empty array."));
    }
    if items.len() > MAX_INPUTS {
        return Err(invalid_value(
            path,
            format_args!("at most {MAX_INPUTS} inputs are allowed per request."),
        ));
    }
    match &items[0] {
        Value::String(_) => items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                let item_path = path.index(index);
                match item {
                    Value::String(text) => {
                        non_empty_text(text, &item_path)?;
                        Ok(text.clone())
                    }
                    other => Err(invalid_type(&item_path, "a string", other)),
                }
            })
            .collect::<Result<_, _>>()
            .map(EmbeddingInput::Texts),
        // One pre-tokenised input.
        Value::Number(_) => Ok(EmbeddingInput::Tokens(vec![token_ids(items, path)?])),
        Value::Array(_) => items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                let item_path = path.index(index);
                match item {
                    Value::Array(ids) if ids.is_empty() => Err(invalid_value(
                        &item_path,
                        "a token array must not be empty.",
                    )),
                    Value::Array(ids) => token_ids(ids, &item_path),
                    other => Err(invalid_type(&item_path, "an array of token ids", other)),
                }
            })
            .collect::<Result<_, _>>()
            .map(EmbeddingInput::Tokens),
        other => Err(invalid_type(
            &path.index(0),
            "a string, a token id or an array of token ids",
            other,
        )),
    }
}

fn token_ids(ids: &[Value], path: &Path<'_>) -> Result<Vec<u32>, GatewayError> {
    ids.iter()
        .enumerate()
        .map(|(index, id)| {
            let id = as_integer_in(id, &path.index(index), 0, i64::from(u32::MAX))?;
            Ok(u32::try_from(id).unwrap_or(u32::MAX))
        })
        .collect()
}

fn non_empty_text(text: &str, path: &Path<'_>) -> Result<(), GatewayError> {
    if text.is_empty() {
        return Err(invalid_value(path, "an input must not be an empty string."));
    }
    Ok(())
}

#[derive(Serialize)]
struct EmbeddingListOut<'a> {
    object: &'static str,
    data: Vec<EmbeddingOut<'a>>,
    model: &'a str,
    usage: EmbeddingUsageOut,
}

#[derive(Serialize)]
struct EmbeddingOut<'a> {
    object: &'static str,
    index: usize,
    embedding: VectorOut<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum VectorOut<'a> {
    Floats(&'a [f32]),
    Base64(String),
}

#[derive(Serialize)]
struct EmbeddingUsageOut {
    prompt_tokens: u64,
    total_tokens: u64,
}

pub fn render_embedding_response(
    response: &EmbeddingResponse,
    format: EncodingFormat,
    model: &str,
) -> Bytes {
    let data = response
        .vectors
        .iter()
        .enumerate()
        .map(|(index, vector)| EmbeddingOut {
            object: "embedding",
            index,
            embedding: match format {
                EncodingFormat::Float => VectorOut::Floats(vector),
                EncodingFormat::Base64 => VectorOut::Base64(base64_floats(vector)),
            },
        })
        .collect();
    to_body(&EmbeddingListOut {
        object: "list",
        data,
        model,
        usage: EmbeddingUsageOut {
            prompt_tokens: response.usage.input_tokens,
            total_tokens: response.usage.total_tokens(),
        },
    })
}

/// OpenAI's base64 form: the vector's little-endian f32 bytes.
fn base64_floats(vector: &[f32]) -> String {
    let bytes: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
