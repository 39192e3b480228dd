//! `POST /v1/embeddings` (OpenAI dialect).

use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use tollgate_types::{Dialect, GatewayError};

use crate::dialect::openai;
use crate::request_id::request_id;
use crate::respond::{self, GatewayHeaders};
use crate::state::AppState;

pub async fn create(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let mut gateway_headers = GatewayHeaders::new(request_id(&headers));
    match serve(&state, &headers, body, &mut gateway_headers).await {
        Ok(response) => response,
        Err(error) => respond::error(Dialect::OpenAi, &error, &gateway_headers),
    }
}

async fn serve(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
    gateway_headers: &mut GatewayHeaders,
) -> Result<Response, GatewayError> {
    let body = crate::body::read_limited(body, state.limits().max_body_bytes).await?;
    let principal = state.auth().authenticate(headers)?;
    let request = openai::parse_embedding_request(&body)?;
    let route = state
        .router()
        .resolve(&request.model)
        .filter(|route| principal.may_use_model(&route.name))
        .ok_or_else(|| GatewayError::model_not_found(&request.model))?;
    let routed = state.router().embed(&route, &request).await?;
    gateway_headers.provider = Some(routed.provider);
    gateway_headers.deployment = Some(routed.deployment);
    gateway_headers.attempts = Some(routed.attempts.len());
    let body =
        openai::render_embedding_response(&routed.value, request.encoding_format, &request.model);
    Ok(respond::json(StatusCode::OK, body, gateway_headers))
}
