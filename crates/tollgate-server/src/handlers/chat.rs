//! `POST /v1/chat/completions` (OpenAI) and `POST /v1/messages` (Anthropic): one path, two dialects.

use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use tollgate_providers::ChatReply;
use tollgate_types::{ChatRequest, Cost, CostSource, Dialect, GatewayError};

use crate::request_id::request_id;
use crate::respond::{self, GatewayHeaders};
use crate::state::AppState;
use crate::{body, dialect, streaming};

pub async fn openai(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    chat(state, Dialect::OpenAi, headers, body).await
}

pub async fn anthropic(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    chat(state, Dialect::Anthropic, headers, body).await
}

async fn chat(state: AppState, dialect: Dialect, headers: HeaderMap, body: Body) -> Response {
    let mut gateway_headers = GatewayHeaders::new(request_id(&headers));
    match serve(&state, dialect, &headers, body, &mut gateway_headers).await {
        Ok(response) => response,
        Err(error) => {
            tracing::debug!(request_id = %gateway_headers.request_id, %error, "chat request failed");
            respond::error(dialect, &error, &gateway_headers)
        }
    }
}

async fn serve(
    state: &AppState,
    dialect: Dialect,
    headers: &HeaderMap,
    body: Body,
    gateway_headers: &mut GatewayHeaders,
) -> Result<Response, GatewayError> {
    let body = body::read_limited(body, state.limits().max_body_bytes).await?;
    let principal = state.auth().authenticate(headers)?;
    let request = dialect::parse_chat_request(dialect, &body)?;
    let route = authorize_model(state, &principal, &request)?;

    if request.stream {
        let routed = state.router().chat_stream(&route, &request).await?;
        gateway_headers.provider = Some(routed.provider.clone());
        gateway_headers.deployment = Some(routed.deployment.clone());
        gateway_headers.attempts = Some(routed.attempts.len());
        let encoder = dialect::stream_encoder(dialect, request.include_usage, &request.model);
        let body = streaming::encode(routed.value, encoder);
        return Ok(respond::event_stream(body, gateway_headers));
    }

    let routed = state.router().chat(&route, &request).await?;
    gateway_headers.provider = Some(routed.provider.clone());
    gateway_headers.deployment = Some(routed.deployment.clone());
    gateway_headers.attempts = Some(routed.attempts.len());
    let body = match routed.value {
        ChatReply::Canonical(response) => {
            let cost = provider_cost(response.provider_cost);
            gateway_headers.cost = cost;
            dialect::render_chat_response(dialect, &response, cost.as_ref())
        }
        ChatReply::Native(native) if native.dialect == dialect => {
            gateway_headers.cost = provider_cost(native.provider_cost);
            native.body
        }
        ChatReply::Native(native) => {
            tracing::error!(
                caller = ?dialect,
                upstream = ?native.dialect,
                "adapter answered natively in a dialect the caller does not speak"
            );
            return Err(GatewayError::internal());
        }
    };
    Ok(respond::json(StatusCode::OK, body, gateway_headers))
}

/// The route for the requested model, if it exists and the caller may use it.
pub(crate) fn authorize_model(
    state: &AppState,
    principal: &crate::auth::Principal,
    request: &ChatRequest,
) -> Result<std::sync::Arc<tollgate_router::ModelRoute>, GatewayError> {
    let route = state
        .router()
        .resolve(&request.model)
        .ok_or_else(|| GatewayError::model_not_found(&request.model))?;
    if !principal.may_use_model(&route.name) {
        // Same answer as an unknown model: a key does not learn which models exist elsewhere.
        return Err(GatewayError::model_not_found(&request.model));
    }
    Ok(route)
}

/// The cost the provider stated, when it did. Catalog pricing comes with the cost-accounting work.
fn provider_cost(cost: Option<tollgate_types::NanoUsd>) -> Option<Cost> {
    cost.map(|usd| Cost {
        usd,
        source: CostSource::Provider,
    })
}
