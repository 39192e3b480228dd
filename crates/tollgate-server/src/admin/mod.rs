//! STUB — the admin API under `/admin/v1`, being written. Replace this folder.

use axum::Router;

use crate::state::AppState;

/// Routes of the admin API, mounted at the root by `build_app`.
pub fn routes() -> Router<AppState> {
    Router::new()
}
