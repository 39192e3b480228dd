//! `POST /v1/embeddings` (OpenAI dialect).

use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use tollgate_types::{Dialect, GatewayError};

use crate::accounting::{self, CallRecord};
use crate::dialect::openai;
use crate::handlers::chat::{admit, authorize_model, end_user};
use crate::limits::CallSize;
use crate::respond::{self, GatewayHeaders};
use crate::state::AppState;

pub async fn create(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let mut gateway_headers = GatewayHeaders::for_call(&headers);
    let mut record = None;
    let response = match serve(&state, &headers, body, &mut gateway_headers, &mut record).await {
        Ok(response) => response,
        Err(error) => {
            if let Some(record) = record.as_mut() {
                record.fail(&error);
            }
            respond::error(Dialect::OpenAi, &error, &gateway_headers)
        }
    };
    if let Some(record) = record {
        accounting::record(&state, record);
    }
    response
}

async fn serve(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
    gateway_headers: &mut GatewayHeaders,
    record: &mut Option<CallRecord>,
) -> Result<Response, GatewayError> {
    let body = crate::body::read_limited(body, state.limits().max_body_bytes).await?;
    let principal = state.auth().authenticate(headers).await?;
    let call = record.insert(CallRecord::new(
        &gateway_headers.request_id,
        gateway_headers.client_request_id.as_deref(),
        &principal,
    ));
    let request = openai::parse_embedding_request(&body)?;
    call.requested_model = request.model.clone();
    call.end_user = end_user(state, headers, request.user.as_deref());
    let route = authorize_model(state, &principal, &request.model)?;
    let admission = admit(
        state,
        &principal,
        call.end_user.as_deref(),
        &route,
        CallSize::embedding(body.len()),
        gateway_headers,
    )
    .await?;
    call.charge_credits = admission.charges_credits();
    let routed = match state.router().embed(&route, &request).await {
        Ok(routed) => routed,
        Err(failure) => {
            call.attempts(&failure.attempts);
            admission.finish(None, 0).await;
            return Err(failure.error);
        }
    };
    call.attempts(&routed.attempts);
    call.provider = Some(routed.provider.clone());
    let cost = accounting::settle(&routed.value.usage, None, routed.price.as_deref());
    call.usage = routed.value.usage;
    call.cost = cost;
    gateway_headers.provider = Some(routed.provider);
    gateway_headers.deployment = Some(routed.deployment);
    gateway_headers.attempts = Some(routed.attempts.len());
    gateway_headers.cost = cost;
    admission
        .finish(cost.map(|c| c.usd), call.usage.total_tokens())
        .await;
    let body =
        openai::render_embedding_response(&routed.value, request.encoding_format, &request.model);
    Ok(respond::json(StatusCode::OK, body, gateway_headers))
}
