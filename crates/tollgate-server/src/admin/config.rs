//! `POST /admin/v1/config/reload`: re-read and validate the config file, then swap it in.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use tollgate_store::Role;

use crate::admin::audit::{self, Target};
use crate::admin::caller::Caller;
use crate::admin::errors::{AdminError, ErrorBody};
use crate::state::AppState;

/// Gateway-wide, so only the master key or an `admin` key may ask. A config that fails
/// validation is refused with its errors (400) and the running one keeps serving.
#[utoipa::path(
    post,
    path = "/admin/v1/config/reload",
    tag = "config",
    responses(
        (status = 200, description = "Reloaded: `{\"status\":\"reloaded\"}`", body = Object),
        (status = 400, description = "The new configuration was rejected (or there is no config file); the running one keeps serving", body = ErrorBody),
        (status = 403, description = "Only admins reload", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn reload(
    caller: Caller,
    State(state): State<AppState>,
) -> Result<Json<Value>, AdminError> {
    if caller.actor.role != Role::Admin {
        return Err(AdminError::forbidden(
            "Only a gateway admin can reload the configuration.",
        ));
    }
    state.reload().map_err(|reason| {
        AdminError::bad_request(format!(
            "The new configuration was rejected; the previous one keeps serving: {reason}"
        ))
    })?;
    audit::record(
        &state,
        &caller,
        "config.reload",
        Target::Config,
        Default::default(),
    )
    .await;
    Ok(Json(json!({"status": "reloaded"})))
}
