//! `POST /v1/chat/completions` (OpenAI) and `POST /v1/messages` (Anthropic): one path, two dialects.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use tollgate_providers::ChatReply;
use tollgate_router::ModelRoute;
use tollgate_types::{Dialect, GatewayError};

use crate::accounting::{self, CallRecord};
use crate::auth::Principal;
use crate::request_id::request_id;
use crate::respond::{self, GatewayHeaders};
use crate::state::AppState;
use crate::streaming::{self, StreamAccount};
use crate::{body, dialect};

pub async fn openai(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    chat(state, Dialect::OpenAi, headers, body).await
}

pub async fn anthropic(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    chat(state, Dialect::Anthropic, headers, body).await
}

async fn chat(state: AppState, dialect: Dialect, headers: HeaderMap, body: Body) -> Response {
    let mut gateway_headers = GatewayHeaders::new(request_id(&headers));
    // Filled once the caller is known; a streamed answer takes it along to settle at its end.
    let mut record: Option<CallRecord> = None;
    let result = serve(
        &state,
        dialect,
        &headers,
        body,
        &mut gateway_headers,
        &mut record,
    )
    .await;
    let response = match result {
        Ok(response) => response,
        Err(error) => {
            tracing::debug!(request_id = %gateway_headers.request_id, %error, "chat request failed");
            if let Some(record) = record.as_mut() {
                record.fail(&error);
            }
            respond::error(dialect, &error, &gateway_headers)
        }
    };
    if let Some(record) = record {
        accounting::record(&state, record);
    }
    response
}

async fn serve(
    state: &AppState,
    dialect: Dialect,
    headers: &HeaderMap,
    body: Body,
    gateway_headers: &mut GatewayHeaders,
    record: &mut Option<CallRecord>,
) -> Result<Response, GatewayError> {
    let body = body::read_limited(body, state.limits().max_body_bytes).await?;
    let principal = state.auth().authenticate(headers).await?;
    let call = record.insert(CallRecord::new(&gateway_headers.request_id, &principal));
    let request = dialect::parse_chat_request(dialect, &body)?;
    call.requested_model = request.model.clone();
    call.end_user = request.user.clone();
    let route = authorize_model(state, &principal, &request.model)?;

    if request.stream {
        let routed = match state.router().chat_stream(&route, &request).await {
            Ok(routed) => routed,
            Err(failure) => {
                call.attempts(&failure.attempts);
                return Err(failure.error);
            }
        };
        call.attempts(&routed.attempts);
        call.provider = Some(routed.provider.clone());
        gateway_headers.provider = Some(routed.provider.clone());
        gateway_headers.deployment = Some(routed.deployment.clone());
        gateway_headers.attempts = Some(routed.attempts.len());
        let encoder = dialect::stream_encoder(dialect, request.include_usage, &request.model);
        let account = record
            .take()
            .map(|call| StreamAccount::new(state.clone(), call, routed.price.clone()));
        let body = streaming::encode(routed.value, encoder, account);
        return Ok(respond::event_stream(body, gateway_headers));
    }

    let routed = match state.router().chat(&route, &request).await {
        Ok(routed) => routed,
        Err(failure) => {
            call.attempts(&failure.attempts);
            return Err(failure.error);
        }
    };
    call.attempts(&routed.attempts);
    call.provider = Some(routed.provider.clone());
    call.time_to_first_token = Some(call.elapsed());
    gateway_headers.provider = Some(routed.provider.clone());
    gateway_headers.deployment = Some(routed.deployment.clone());
    gateway_headers.attempts = Some(routed.attempts.len());
    let price = routed.price.as_deref();
    let body = match routed.value {
        ChatReply::Canonical(response) => {
            let cost = accounting::settle(&response.usage, response.provider_cost, price);
            call.usage = response.usage;
            call.cost = cost;
            gateway_headers.cost = cost;
            dialect::render_chat_response(dialect, &response, cost.as_ref())
        }
        ChatReply::Native(native) if native.dialect == dialect => {
            let cost = accounting::settle(&native.usage, native.provider_cost, price);
            call.usage = native.usage;
            call.cost = cost;
            gateway_headers.cost = cost;
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

/// The route for the requested model, if it exists and the caller may use it. A key with a
/// budget is refused models Tollgate cannot price (fail closed: an unknown cost could overrun it).
pub(crate) fn authorize_model(
    state: &AppState,
    principal: &Principal,
    model: &str,
) -> Result<Arc<ModelRoute>, GatewayError> {
    let route = state
        .router()
        .resolve(model)
        .filter(|route| principal.may_use_model(&route.name))
        // Same answer as an unknown model: a key does not learn which models exist elsewhere.
        .ok_or_else(|| GatewayError::model_not_found(model))?;
    let has_budget = principal.key().is_some_and(|key| key.budget.is_some());
    if has_budget && state.router().has_unpriced_deployment(&route) {
        return Err(GatewayError::permission_denied(format!(
            "The model `{model}` has no known price, and this key has a budget: configure a \
             price for it (models[].deployments[].price) to use it with a budgeted key."
        ))
        .with_code("model_unpriced"));
    }
    Ok(route)
}
