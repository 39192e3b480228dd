//! `GET /v1/models`: the public models the caller's key may use.

use axum::extract::{Path, State};
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::Serialize;
use tollgate_types::{Dialect, GatewayError};

use crate::respond::{self, GatewayHeaders};
use crate::state::AppState;

#[derive(Serialize)]
struct ModelObject<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    owned_by: &'static str,
}

#[derive(Serialize)]
struct ModelList<'a> {
    object: &'static str,
    data: Vec<ModelObject<'a>>,
}

fn model_object(id: &str) -> ModelObject<'_> {
    ModelObject {
        id,
        object: "model",
        created: 0,
        owned_by: "tollgate",
    }
}

pub async fn list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let gateway_headers = GatewayHeaders::for_call(&headers);
    let principal = match state.auth().authenticate(&headers).await {
        Ok(principal) => principal,
        Err(error) => return respond::error(Dialect::OpenAi, &error, &gateway_headers),
    };
    let router = state.router();
    let data = router
        .models()
        .filter(|route| principal.may_use_model(&route.name))
        .map(|route| model_object(&route.name))
        .collect();
    let list = ModelList {
        object: "list",
        data,
    };
    respond_json(&list, &gateway_headers)
}

pub async fn get_one(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let gateway_headers = GatewayHeaders::for_call(&headers);
    let principal = match state.auth().authenticate(&headers).await {
        Ok(principal) => principal,
        Err(error) => return respond::error(Dialect::OpenAi, &error, &gateway_headers),
    };
    let known = state
        .router()
        .models()
        .any(|route| route.name == id && principal.may_use_model(&route.name));
    if !known {
        return respond::error(
            Dialect::OpenAi,
            &GatewayError::model_not_found(&id),
            &gateway_headers,
        );
    }
    respond_json(&model_object(&id), &gateway_headers)
}

fn respond_json<T: Serialize>(value: &T, headers: &GatewayHeaders) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => respond::json(StatusCode::OK, Bytes::from(body), headers),
        Err(error) => {
            tracing::error!(%error, "could not serialise the model list");
            respond::error(Dialect::OpenAi, &GatewayError::internal(), headers)
        }
    }
}
