//! `GET /admin/v1/openapi.json`: the admin API's OpenAPI 3.1 document, generated from the
//! handlers' `#[utoipa::path]` annotations and the request/response types' `ToSchema`, so it
//! cannot drift from the code. Public (no key needed): it describes the API, not any tenant's
//! data, and tools fetch it before they have a key.

use std::sync::OnceLock;

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::admin::errors::AdminError;
use crate::admin::{audit, budgets, config, credits, end_users, keys, orgs, teams, usage, users};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tollgate admin API",
        description = "Organizations, teams, users, virtual keys, credits and usage. Every call but this \
            document needs `Authorization: Bearer <key>`: the master key, or a virtual key whose \
            role allows the call. Objects outside the caller's tenant answer 404; a role too low \
            answers 403. Money is a decimal string; times are RFC 3339."
    ),
    paths(
        orgs::create, orgs::list, orgs::get, orgs::update, orgs::delete,
        credits::record, credits::list,
        teams::create, teams::list, teams::get, teams::update, teams::delete,
        users::create, users::list, users::get, users::update, users::delete,
        keys::create, keys::list, keys::get, keys::update, keys::delete,
        keys::rotate, keys::revoke, keys::expire,
        usage::usage, usage::spend_logs,
        budgets::explain,
        end_users::put, end_users::get, end_users::delete, end_users::list,
        audit::list,
        config::reload,
        document,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "organizations", description = "Tenants at the top: admins only create them"),
        (name = "credits", description = "Prepaid credits: purchases (the tier's fee on top), refunds, adjustments, the ledger"),
        (name = "teams", description = "Groups of users and keys inside an organization"),
        (name = "users", description = "People, with a role"),
        (name = "keys", description = "Virtual keys: secrets shown once, stored as SHA-256"),
        (name = "budgets", description = "Budgets and limits of a key's chain, and why it is refused"),
        (name = "end users", description = "Budgets of the end users that requests name (`user` field or header), in place of the default"),
        (name = "usage", description = "Spend, tokens and requests, narrowed to the caller's tenant"),
        (name = "audit", description = "Who changed what: every admin mutation, narrowed to the caller's tenant"),
        (name = "config", description = "The gateway's configuration (admins only)"),
    )
)]
pub struct AdminApi;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The master key or a virtual key (`tg-…`)"))
                    .build(),
            ),
        );
    }
}

/// The document as JSON text, built once.
pub fn document_json() -> Option<&'static str> {
    static DOCUMENT: OnceLock<Option<String>> = OnceLock::new();
    DOCUMENT
        .get_or_init(|| match AdminApi::openapi().to_pretty_json() {
            Ok(text) => Some(text),
            Err(error) => {
                tracing::error!(%error, "could not render the OpenAPI document");
                None
            }
        })
        .as_deref()
}

#[utoipa::path(
    get,
    path = "/admin/v1/openapi.json",
    tag = "meta",
    responses((status = 200, description = "This document (public)", content_type = "application/json"))
)]
pub async fn document() -> Response {
    match document_json() {
        Some(text) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            text,
        )
            .into_response(),
        None => AdminError::internal().into_response(),
    }
}
