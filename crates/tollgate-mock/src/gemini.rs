//! Gemini (`/gemini/v1beta/models/{model}:{action}`): auth, action dispatch, generate (whole or
//! streamed) and embeddings.

use axum::response::Response;
use serde::Serialize;

use crate::call::Call;
use crate::embeddings::{DEFAULT_DIMENSIONS, MAX_DIMENSIONS, Seed, vector};
use crate::errors::ErrorKind;
use crate::gemini_request;
use crate::gemini_wire;
use crate::json::{Object, opt_array, opt_object, opt_str, opt_u64};
use crate::reply::reply;
use crate::respond::{GOOGLE_JSON, to_bytes};
use crate::sse::SseItem;

const SSE: &str = "text/event-stream";

/// `POST /gemini/v1beta/models/{model}:{action}`.
pub(crate) async fn dispatch(call: Call) -> Response {
    let target = call.path_segment(3).unwrap_or_default();
    let Some((model, action)) = target.rsplit_once(':') else {
        return call.error(ErrorKind::NotFound, &format!("Method not found: {target}"));
    };
    let model = model.to_owned();
    if let Err(denied) = check_key(&call) {
        return denied;
    }
    match action {
        "generateContent" => generate(call, model, false).await,
        "streamGenerateContent" => generate(call, model, true).await,
        "embedContent" => embed(call, model, false).await,
        "batchEmbedContents" => embed(call, model, true).await,
        other => call.error(ErrorKind::NotFound, &format!("Method not found: {other}")),
    }
}

fn check_key(call: &Call) -> Result<(), Response> {
    let expected = call.app.options.api_key.as_str();
    let presented = call
        .header("x-goog-api-key")
        .map(str::to_owned)
        .or_else(|| call.query_param("key"));
    match presented {
        Some(key) if key == expected => Ok(()),
        Some(_) => Err(call.error(
            ErrorKind::Unauthorized,
            "API key not valid. Please pass a valid API key.",
        )),
        None => Err(call.error(
            ErrorKind::Unauthorized,
            "Method doesn't allow unregistered callers (callers without established identity). \
             Please use API Key or other form of API consumer identity to call this API.",
        )),
    }
}

async fn generate(mut call: Call, model: String, stream: bool) -> Response {
    let parsed = call
        .json_object()
        .and_then(|body| gemini_request::parse(body).map_err(|m| call.invalid(&m)));
    let prompt = match parsed {
        Ok(prompt) => prompt,
        Err(response) => return response,
    };
    if let Some(response) = call.model_fault(&model).await {
        return response;
    }
    let reply = reply(&prompt);
    let response_id = format!("mock-{}", call.seq);
    if !stream {
        return call.json(
            GOOGLE_JSON,
            &gemini_wire::response(&reply, &model, &response_id),
        );
    }
    let chunks = gemini_wire::chunks(&reply, &model, &response_id);
    if call.query_param("alt").as_deref() == Some("sse") {
        let items = chunks
            .iter()
            .map(|chunk| SseItem::content(String::from_utf8_lossy(&to_bytes(chunk)).into_owned()))
            .collect();
        call.sse(SSE, items)
    } else {
        // Without `alt=sse` the endpoint answers one JSON array of the chunks.
        call.json(GOOGLE_JSON, &chunks)
    }
}

#[derive(Serialize)]
struct Values {
    values: Vec<f32>,
}

#[derive(Serialize)]
struct Single {
    embedding: Values,
}

#[derive(Serialize)]
struct Batch {
    embeddings: Vec<Values>,
}

async fn embed(mut call: Call, model: String, batch: bool) -> Response {
    let parsed = call
        .json_object()
        .and_then(|body| embed_requests(body, batch).map_err(|m| call.invalid(&m)));
    let requests = match parsed {
        Ok(requests) => requests,
        Err(response) => return response,
    };
    if let Some(response) = call.model_fault(&model).await {
        return response;
    }
    let mut embeddings: Vec<Values> = requests
        .iter()
        .map(|(seed, dimensions)| Values {
            values: vector(&seed.bytes, *dimensions),
        })
        .collect();
    if batch {
        call.json(GOOGLE_JSON, &Batch { embeddings })
    } else {
        let embedding = embeddings.pop().unwrap_or(Values { values: Vec::new() });
        call.json(GOOGLE_JSON, &Single { embedding })
    }
}

/// The `EmbedContentRequest`s of a body: the body itself, or its `requests` for a batch.
fn embed_requests(body: &Object, batch: bool) -> Result<Vec<(Seed, usize)>, String> {
    if !batch {
        return embed_request(body).map(|one| vec![one]);
    }
    let requests = opt_array(body, &["requests"])?
        .filter(|r| !r.is_empty())
        .ok_or("* BatchEmbedContentsRequest.requests: requests is not specified")?;
    requests
        .iter()
        .map(|request| {
            let request = request.as_object().ok_or("* requests: must be objects")?;
            embed_request(request)
        })
        .collect()
}

/// One `EmbedContentRequest`: the text of its parts and the requested dimensionality.
fn embed_request(request: &Object) -> Result<(Seed, usize), String> {
    let content = opt_object(request, &["content"])?
        .ok_or("* EmbedContentRequest.content: content is not specified")?;
    let mut text = String::new();
    for part in opt_array(content, &["parts"])?.into_iter().flatten() {
        if let Some(part) = part.as_object()
            && let Some(piece) = opt_str(part, &["text"])?
        {
            text.push_str(piece);
        }
    }
    if text.is_empty() {
        return Err("* EmbedContentRequest.content: contents must not be empty.".to_owned());
    }
    let dimensions = match opt_u64(request, &["outputDimensionality", "output_dimensionality"])? {
        None => DEFAULT_DIMENSIONS,
        Some(d) if (1..=MAX_DIMENSIONS).contains(&d) => d as usize,
        Some(d) => {
            return Err(format!(
                "* EmbedContentRequest.output_dimensionality: {d} is out of range"
            ));
        }
    };
    Ok((Seed::text(&text), dimensions))
}
