//! The admin API under `/admin/v1` (design.md §2, §4.2): tenants, virtual keys and usage.
//!
//! | method and path | what |
//! |---|---|
//! | `POST/GET /admin/v1/organizations`, `GET/PATCH/DELETE …/{id}` | organizations (budget, `credits_enabled`) |
//! | `POST/GET /admin/v1/organizations/{id}/credits` | record credits (admin), read the ledger and balance |
//! | `POST/GET /admin/v1/teams`, `GET/PATCH/DELETE …/{id}` | teams (`org_id`, budget, rpm/tpm/parallel limits) |
//! | `POST/GET /admin/v1/users`, `GET/PATCH/DELETE …/{id}` | users (`org_id`, `team_id`, `email`, `role`, budget) |
//! | `POST/GET /admin/v1/keys`, `GET/PATCH/DELETE …/{id}` | virtual keys (`DELETE` revokes) |
//! | `guardrails` on organizations, teams and keys | partial overrides of the config's `guardrails:` ([`guardrails`]) |
//! | `POST /admin/v1/keys/{id}/rotate`, `…/revoke`, `…/expire` | key lifecycle |
//! | `GET /admin/v1/usage`, `GET /admin/v1/spend/logs` | usage buckets, spend-log rows |
//! | `GET /admin/v1/budgets/explain?key_id=` | why a key is refused: its budgets' numbers now |
//! | `GET /admin/v1/audit` | the audit log: every admin change, newest first, narrowed to the caller's tenant ([`audit`]) |
//! | `POST /admin/v1/config/reload` | re-read the config file and swap it in (admin only) |
//! | `GET /admin/v1/openapi.json` | this API's OpenAPI document (public) |
//!
//! Each handler authenticates the caller (`caller::Caller`), loads the object, asks the pure
//! policy ([`rbac`]) and only then acts; answers are the admin module's own types ([`views`]),
//! errors `{"error":{"message","type","code","param"}}` ([`errors`]). Every mutation of a key,
//! a tenant or a credit ledger clears the auth cache, so a revocation, a budget or a balance
//! takes effect on the very next request, and is recorded in the audit log ([`audit::record`]).
//! Every admin answer carries `x-request-id` (the caller's, or a fresh one), the id its audit
//! event is recorded with.

pub mod audit;
mod budgets;
mod caller;
mod config;
mod credits;
mod end_users;
pub mod errors;
mod fields;
pub mod guardrails;
mod json;
pub mod key_requests;
mod keys;
mod openapi;
mod orgs;
mod placement;
pub mod rbac;
mod teams;
pub mod time;
mod usage;
mod users;
pub mod views;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};

use crate::state::AppState;

pub use key_requests::CreateKeyRequest;
pub use views::{CreatedKeyView, KeyView};

/// Routes of the admin API, mounted at the root by `build_app`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/v1/openapi.json", get(openapi::document))
        .route(
            "/admin/v1/organizations",
            post(orgs::create).get(orgs::list),
        )
        .route(
            "/admin/v1/organizations/{id}",
            get(orgs::get).patch(orgs::update).delete(orgs::delete),
        )
        .route(
            "/admin/v1/organizations/{id}/credits",
            post(credits::record).get(credits::list),
        )
        .route("/admin/v1/teams", post(teams::create).get(teams::list))
        .route(
            "/admin/v1/teams/{id}",
            get(teams::get).patch(teams::update).delete(teams::delete),
        )
        .route("/admin/v1/users", post(users::create).get(users::list))
        .route(
            "/admin/v1/users/{id}",
            get(users::get).patch(users::update).delete(users::delete),
        )
        .route("/admin/v1/keys", post(keys::create).get(keys::list))
        .route(
            "/admin/v1/keys/{id}",
            get(keys::get).patch(keys::update).delete(keys::delete),
        )
        .route("/admin/v1/keys/{id}/rotate", post(keys::rotate))
        .route("/admin/v1/keys/{id}/revoke", post(keys::revoke))
        .route("/admin/v1/keys/{id}/expire", post(keys::expire))
        .route("/admin/v1/budgets/explain", get(budgets::explain))
        .route("/admin/v1/end-users/budgets", get(end_users::list))
        .route(
            "/admin/v1/end-users/{end_user}/budget",
            get(end_users::get)
                .put(end_users::put)
                .delete(end_users::delete),
        )
        .route("/admin/v1/usage", get(usage::usage))
        .route("/admin/v1/spend/logs", get(usage::spend_logs))
        .route("/admin/v1/audit", get(audit::list))
        .route("/admin/v1/config/reload", post(config::reload))
        .layer(middleware::from_fn(audit::tag_request))
}
