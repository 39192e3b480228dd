//! Every route of the mock on one axum router. Each flavour route goes through
//! [`crate::call::entry`] (record, count, faults, standard headers) except the bench fast path.

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json;

use crate::call::{Call, entry};
use crate::errors::ErrorKind;
use crate::state::App;
use crate::{Flavour, anthropic, azure, bench, control, embeddings, gemini, openai};

pub(crate) fn build(app: App) -> Router {
    Router::new()
        .route(
            "/openai/v1/chat/completions",
            post(|State(app): State<App>, req: Request| {
                entry(app, Flavour::OpenAi, req, openai::chat)
            }),
        )
        .route(
            "/openai/v1/embeddings",
            post(|State(app): State<App>, req: Request| {
                entry(app, Flavour::OpenAi, req, openai_embeddings)
            }),
        )
        .route(
            "/openai/v1/models",
            get(|State(app): State<App>, req: Request| {
                entry(app, Flavour::OpenAi, req, openai::list_models)
            }),
        )
        .route(
            "/openai/v1/models/{id}",
            get(|State(app): State<App>, req: Request| {
                entry(app, Flavour::OpenAi, req, openai::get_model)
            }),
        )
        .route(
            "/openrouter/api/v1/chat/completions",
            post(|State(app): State<App>, req: Request| {
                entry(app, Flavour::OpenRouter, req, openai::chat)
            }),
        )
        .route(
            "/openrouter/api/v1/embeddings",
            post(|State(app): State<App>, req: Request| {
                entry(app, Flavour::OpenRouter, req, openai_embeddings)
            }),
        )
        .route(
            "/openrouter/api/v1/models",
            get(|State(app): State<App>, req: Request| {
                entry(app, Flavour::OpenRouter, req, openai::list_models)
            }),
        )
        .route(
            "/openrouter/api/v1/models/{id}",
            get(|State(app): State<App>, req: Request| {
                entry(app, Flavour::OpenRouter, req, openai::get_model)
            }),
        )
        .route(
            "/azure/openai/deployments/{deployment}/chat/completions",
            post(|State(app): State<App>, req: Request| {
                entry(app, Flavour::Azure, req, azure::chat)
            }),
        )
        .route(
            "/azure/openai/deployments/{deployment}/embeddings",
            post(|State(app): State<App>, req: Request| {
                entry(app, Flavour::Azure, req, azure::embeddings)
            }),
        )
        .route(
            "/anthropic/v1/messages",
            post(|State(app): State<App>, req: Request| {
                entry(app, Flavour::Anthropic, req, anthropic::messages)
            }),
        )
        .route(
            "/gemini/v1beta/models/{target}",
            post(|State(app): State<App>, req: Request| {
                entry(app, Flavour::Gemini, req, gemini::dispatch)
            }),
        )
        .route("/bench/v1/chat/completions", post(bench::chat))
        .route("/_mock/hits", get(control::hits))
        .route("/_mock/requests", get(control::requests))
        .route("/_mock/faults", post(control::push_faults))
        .route("/_mock/reset", post(control::reset))
        .fallback(|State(app): State<App>, req: Request| unrouted(app, req, ErrorKind::NotFound))
        .method_not_allowed_fallback(|State(app): State<App>, req: Request| {
            unrouted(app, req, ErrorKind::MethodNotAllowed)
        })
        .with_state(app)
}

async fn openai_embeddings(call: Call) -> Response {
    embeddings::openai(call, None).await
}

/// A path or method no route serves: still a request to that flavour (counted and recorded, so
/// tests see a gateway calling the wrong URL), answered in its error shape.
async fn unrouted(app: App, req: Request, kind: ErrorKind) -> Response {
    let Some(flavour) = Flavour::from_path(req.uri().path()) else {
        let body = json!({"error": "tollgate-mock: no flavour serves this path"});
        return crate::respond::json(http::StatusCode::NOT_FOUND, &body);
    };
    entry(app, flavour, req, move |call| async move {
        let message = match flavour {
            Flavour::OpenAi | Flavour::OpenRouter | Flavour::Bench => {
                format!("Invalid URL ({} {})", call.method, call.path)
            }
            Flavour::Azure => "Resource not found".to_owned(),
            Flavour::Anthropic => "Not Found".to_owned(),
            Flavour::Gemini => format!(
                "The requested URL {} was not found on this server.",
                call.path
            ),
        };
        call.error(kind, &message)
    })
    .await
}
