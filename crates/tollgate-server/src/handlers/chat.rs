//! `POST /v1/chat/completions` (OpenAI) and `POST /v1/messages` (Anthropic): one path, two dialects.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use tollgate_guard::{Findings, Restorer};
use tollgate_providers::ChatReply;
use tollgate_router::ModelRoute;
use tollgate_types::{Dialect, GatewayError};

use crate::accounting::{self, CallRecord};
use crate::auth::Principal;
use crate::guardrails::{self, GuardrailSet};
use crate::limits::{self, Admission, CallContext, CallSize};
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
    let mut gateway_headers = GatewayHeaders::for_call(&headers);
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
    let call = record.insert(CallRecord::new(
        &gateway_headers.request_id,
        gateway_headers.client_request_id.as_deref(),
        &principal,
    ));
    let mut request = dialect::parse_chat_request(dialect, &body)?;
    call.requested_model = request.model.clone();
    call.end_user = request.user.clone();
    let mut route = authorize_model(state, &principal, &request.model)?;
    let guardrails = guardrails::for_caller(state, &principal).await;
    let restorer = match guardrails.as_deref() {
        Some(set) => {
            let inspected = inspect(set, &mut request, call);
            // A fallback model's answer goes through the same output checks (PII scan and
            // content policy) as any other.
            let (restorer, _rerouted) =
                reroute_on_policy(state, &principal, inspected, &mut request, &mut route, call)?;
            Some(restorer)
        }
        None => None,
    };
    let end_user = end_user(state, headers, request.user.as_deref());
    call.end_user = end_user.clone();
    let size = CallSize::chat(&request, body.len());
    // About four bytes a token; billed only for a stream whose upstream never reports usage.
    let estimated_input_tokens = u64::try_from(body.len() / 4).unwrap_or(u64::MAX);
    let admission = admit(
        state,
        &principal,
        end_user.as_deref(),
        &route,
        size,
        gateway_headers,
    )
    .await?;
    call.charge_credits = admission.charges_credits();

    if request.stream {
        let routed = match state.router().chat_stream(&route, &request).await {
            Ok(routed) => routed,
            Err(failure) => {
                call.attempts(&failure.attempts);
                admission.finish(None, 0).await;
                return Err(failure.error);
            }
        };
        call.attempts(&routed.attempts);
        call.provider = Some(routed.provider.clone());
        gateway_headers.provider = Some(routed.provider.clone());
        gateway_headers.deployment = Some(routed.deployment.clone());
        gateway_headers.attempts = Some(routed.attempts.len());
        let encoder = dialect::stream_encoder(dialect, request.include_usage, &request.model);
        let account = record.take().map(|call| {
            StreamAccount::new(state.clone(), call, routed.price.clone(), admission)
                .with_estimated_input_tokens(estimated_input_tokens)
        });
        let scanners = match (guardrails.as_deref(), restorer) {
            // One scanner per choice index, so interleaved choices (`n > 1`) never mix.
            (Some(guardrails), Some(restorer)) if guardrails.rewrites_output => {
                Some(guardrails.guard.choice_scanners(restorer))
            }
            _ => None,
        };
        // The content policy checks what the scanner lets through, as for an answer in one piece.
        let policy = guardrails.and_then(guardrails::StreamPolicy::new);
        let guard = streaming::AnswerGuard::new(scanners, policy);
        let body = streaming::encode(routed.value, encoder, account, guard);
        return Ok(respond::event_stream(body, gateway_headers));
    }

    let routed = match state.router().chat(&route, &request).await {
        Ok(routed) => routed,
        Err(failure) => {
            call.attempts(&failure.attempts);
            admission.finish(None, 0).await;
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
    // An answer refused by the content policy is still paid for: settled first, refused after.
    let mut answer_refused = None;
    let body = match routed.value {
        ChatReply::Canonical(mut response) => {
            if let (Some(guardrails), Some(restorer)) = (guardrails.as_deref(), restorer.as_ref())
                && guardrails.rewrites_output
            {
                for choice in &mut response.choices {
                    if let Some(content) = choice.message.content.as_mut() {
                        let (scanned, found) = guardrails.guard.scan_answer(content, restorer);
                        *content = scanned;
                        guardrails::record_answer_findings(&mut call.guardrails, &found);
                        if let Err(refusal) = check_answer(guardrails, content, call) {
                            answer_refused = Some(refusal);
                        }
                    }
                }
            }
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
            match (guardrails.as_deref(), restorer.as_ref()) {
                (Some(guardrails), Some(restorer)) if guardrails.rewrites_output => {
                    // The same checks as on a canonical answer, on the caller's own bytes.
                    let scanned = dialect::map_answer_texts(dialect, native.body, |text| {
                        let (scanned, found) = guardrails.guard.scan_answer(text, restorer);
                        guardrails::record_answer_findings(&mut call.guardrails, &found);
                        if let Err(refusal) = check_answer(guardrails, &scanned, call) {
                            answer_refused = Some(refusal);
                        }
                        scanned
                    });
                    match scanned {
                        Ok(body) => body,
                        Err(error) => {
                            admission
                                .finish(call.cost.map(|cost| cost.usd), call.usage.total_tokens())
                                .await;
                            return Err(error);
                        }
                    }
                }
                _ => native.body,
            }
        }
        ChatReply::Native(native) => {
            tracing::error!(
                caller = ?dialect,
                upstream = ?native.dialect,
                "adapter answered natively in a dialect the caller does not speak"
            );
            admission.finish(None, 0).await;
            return Err(GatewayError::internal());
        }
    };
    admission
        .finish(call.cost.map(|cost| cost.usd), call.usage.total_tokens())
        .await;
    if let Some(refusal) = answer_refused {
        return Err(refusal);
    }
    Ok(respond::json(StatusCode::OK, body, gateway_headers))
}

/// Steps 5 and 6 for a call: admits it under the caller's limits and budgets or refuses it
/// (429) before any provider is called; the rate-limit headers go on the answer either way.
pub(crate) async fn admit(
    state: &AppState,
    principal: &Principal,
    end_user: Option<&str>,
    route: &ModelRoute,
    size: CallSize,
    gateway_headers: &mut GatewayHeaders,
) -> Result<Admission, GatewayError> {
    let prices = || limits::candidate_prices(&state.router(), route);
    let context = CallContext {
        request_id: &gateway_headers.request_id,
        principal,
        end_user,
        prices: &prices,
        size,
    };
    let mut limit_headers = Vec::new();
    let admitted = state
        .limiter()
        .admit(context, state.auth().generation(), &mut limit_headers)
        .await;
    gateway_headers.rate_limits = limit_headers;
    admitted
}

/// The caller's end user: the configured header if the request has it, else the body's `user`.
pub(crate) fn end_user(
    state: &AppState,
    headers: &HeaderMap,
    body_user: Option<&str>,
) -> Option<String> {
    let from_header = state
        .limiter()
        .settings()
        .end_user_header
        .as_ref()
        .and_then(|name| headers.get(name))
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| !value.is_empty());
    from_header.or(body_user).map(str::to_string)
}

/// Runs the input guardrails: rewrites the request (redaction), records what they found, and
/// refuses it (400 in the caller's dialect) when a guardrail blocks. Returns what is needed to
/// restore reversible placeholders in the answer.
/// On a refusal, also the fallback model the content policy names, if any.
fn inspect(
    guardrails: &GuardrailSet,
    request: &mut tollgate_types::ChatRequest,
    call: &mut CallRecord,
) -> Result<Restorer, (GatewayError, Option<String>)> {
    match guardrails.guard.inspect_request(request) {
        Ok(inspection) => {
            if guardrails.rewrites_output && request.stream {
                // Streamed answers must come back canonical to be scanned (a non-streamed one
                // in the caller's dialect is scanned as it is: `dialect::map_answer_texts`).
                request.passthrough = None;
            }
            call.guardrails = findings_json(&inspection.findings);
            Ok(inspection.restorer)
        }
        Err(blocked) => {
            call.guardrails = findings_json(&blocked.findings);
            Err((guardrails::refusal(&blocked), blocked.fallback_model))
        }
    }
}

/// A content-policy block with a configured `fallback_model` sends the request there instead
/// of refusing it (when the caller may use that model); the spend row's `guardrails` says so.
/// Answers whether the request was rerouted.
fn reroute_on_policy(
    state: &AppState,
    principal: &Principal,
    inspected: Result<Restorer, (GatewayError, Option<String>)>,
    request: &mut tollgate_types::ChatRequest,
    route: &mut Arc<ModelRoute>,
    call: &mut CallRecord,
) -> Result<(Restorer, bool), GatewayError> {
    let (refusal, fallback) = match inspected {
        Ok(restorer) => return Ok((restorer, false)),
        Err(refused) => refused,
    };
    let Some(fallback) = fallback else {
        return Err(refusal);
    };
    let Ok(fallback_route) = authorize_model(state, principal, &fallback) else {
        tracing::warn!(%fallback, "content-policy fallback model unavailable to this caller");
        return Err(refusal);
    };
    *route = fallback_route;
    request.model = fallback.clone();
    // The caller's own body names the refused model: the canonical form is the truth now.
    request.passthrough = None;
    let findings = call
        .guardrails
        .get_or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
    if let Some(findings) = findings.as_object_mut() {
        findings.insert("fallback_model".into(), serde_json::Value::String(fallback));
    }
    // Reversible placeholders are not restored on a rerouted request (the refusal dropped them).
    Ok((Restorer::new(false), true))
}

/// The content policy over one answer text: rules that matched go into the spend row; a blocking
/// one refuses the answer (400 `content_policy_violation`).
fn check_answer(
    guardrails: &GuardrailSet,
    text: &str,
    call: &mut CallRecord,
) -> Result<(), GatewayError> {
    let (findings, refusal) = match guardrails.check_answer(text) {
        Ok(findings) => (findings, None),
        Err(blocked) => {
            let refusal = GatewayError::invalid_request(format!(
                "answer {}",
                blocked.message.trim_start_matches("request ")
            ))
            .with_code(blocked.code.as_str());
            (blocked.findings, Some(refusal))
        }
    };
    guardrails::record_answer_findings(&mut call.guardrails, &findings);
    refusal.map_or(Ok(()), Err)
}

/// Findings worth a line in the spend log (nothing found, nothing recorded).
fn findings_json(findings: &Findings) -> Option<serde_json::Value> {
    let worth_recording = !findings.pii.is_empty()
        || findings.injection_score > 0
        || !findings.policy_rules.is_empty();
    worth_recording
        .then(|| serde_json::to_value(findings).ok())
        .flatten()
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
