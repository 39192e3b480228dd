//! `/admin/v1/organizations`: only admins create, change or delete organizations; everyone but
//! a `member` reads its own.

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use http::StatusCode;
use serde::Deserialize;
use tollgate_store::{NewOrganization, Organization, OrganizationUpdate, Page, Role};
use utoipa::ToSchema;

use crate::admin::caller::Caller;
use crate::admin::errors::{AdminError, ErrorBody};
use crate::admin::fields;
use crate::admin::json::{self, PageQuery};
use crate::admin::rbac::{self, Action, Listing, NewObject, Object, Parent, Tenant};
use crate::admin::views::{OrgList, OrgView};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrgRequest {
    pub name: String,
    /// Pricing tier; `default` unless set.
    pub tier: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrgRequest {
    pub name: Option<String>,
    pub tier: Option<String>,
}

#[utoipa::path(
    post,
    path = "/admin/v1/organizations",
    tag = "organizations",
    request_body = CreateOrgRequest,
    responses(
        (status = 201, body = OrgView),
        (status = 400, body = ErrorBody),
        (status = 403, description = "Only admins create organizations", body = ErrorBody),
        (status = 409, description = "The name is taken", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<(StatusCode, Json<OrgView>), AdminError> {
    caller.check_create(Parent::Gateway, NewObject::Org)?;
    let request: CreateOrgRequest = json::read_body(&state, body, false).await?;
    let new = NewOrganization {
        name: fields::text("name", &request.name)?,
        tier: fields::optional_text("tier", request.tier)?,
    };
    let org = state.store().create_org(new).await?;
    Ok((StatusCode::CREATED, Json(OrgView::from(&org))))
}

#[utoipa::path(
    get,
    path = "/admin/v1/organizations",
    tag = "organizations",
    params(PageQuery),
    responses(
        (status = 200, description = "Every organization for admins; the caller's own for others", body = OrgList),
        (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<OrgList>, AdminError> {
    caller.check_list(Listing::Orgs)?;
    let Query(query) = query.map_err(json::query_error)?;
    let page = query.page()?;
    let empty = Page {
        items: vec![],
        next: None,
    };
    let page = match rbac::narrow(&caller.actor, Tenant::default()) {
        None => empty,
        Some(Tenant {
            org: Some(org_id), ..
        }) => match page.after {
            Some(_) => empty,
            None => Page {
                items: state.store().get_org(&org_id).await?.into_iter().collect(),
                next: None,
            },
        },
        Some(_) if caller.actor.role == Role::Admin => state.store().list_orgs(&page).await?,
        Some(_) => empty,
    };
    Ok(Json(OrgList {
        data: page.items.iter().map(OrgView::from).collect(),
        next: page.next,
    }))
}

#[utoipa::path(
    get,
    path = "/admin/v1/organizations/{id}",
    tag = "organizations",
    params(("id" = String, Path, description = "Organization id")),
    responses((status = 200, body = OrgView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<OrgView>, AdminError> {
    let org = load(&state, &caller, &id, Action::Read).await?;
    Ok(Json(OrgView::from(&org)))
}

#[utoipa::path(
    patch,
    path = "/admin/v1/organizations/{id}",
    tag = "organizations",
    params(("id" = String, Path, description = "Organization id")),
    request_body = UpdateOrgRequest,
    responses(
        (status = 200, body = OrgView),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<OrgView>, AdminError> {
    load(&state, &caller, &id, Action::Write).await?;
    let request: UpdateOrgRequest = json::read_body(&state, body, false).await?;
    let update = OrganizationUpdate {
        name: fields::optional_text("name", request.name)?,
        tier: fields::optional_text("tier", request.tier)?,
    };
    let org = state.store().update_org(&id, update).await?;
    Ok(Json(OrgView::from(&org)))
}

#[utoipa::path(
    delete,
    path = "/admin/v1/organizations/{id}",
    tag = "organizations",
    params(("id" = String, Path, description = "Organization id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Teams, users or keys still belong to it", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, AdminError> {
    load(&state, &caller, &id, Action::Write).await?;
    state.store().delete_org(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn load(
    state: &AppState,
    caller: &Caller,
    id: &str,
    action: Action,
) -> Result<Organization, AdminError> {
    let org = state
        .store()
        .get_org(id)
        .await?
        .ok_or_else(|| AdminError::not_found(format!("organization `{id}`")))?;
    caller.check(Object::org(&org), action)?;
    Ok(org)
}
