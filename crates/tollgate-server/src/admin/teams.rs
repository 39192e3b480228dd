//! `/admin/v1/teams`: org admins manage their org's teams; team admins and viewers read theirs.

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use http::StatusCode;
use serde::Deserialize;
use tollgate_store::{NewTeam, Page, Team, TeamFilter, TeamUpdate};
use utoipa::{IntoParams, ToSchema};

use crate::admin::caller::Caller;
use crate::admin::errors::{AdminError, ErrorBody};
use crate::admin::fields;
use crate::admin::json::{self, PageQuery};
use crate::admin::rbac::{self, Action, Listing, NewObject, Object, Parent, Tenant};
use crate::admin::views::{TeamList, TeamView};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeamRequest {
    /// Defaults to the caller's organization.
    pub org_id: Option<String>,
    /// Unique within the organization.
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTeamRequest {
    pub name: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TeamListQuery {
    pub org_id: Option<String>,
    /// Rows per page, 1 to 1000 (default 100).
    pub limit: Option<u32>,
    /// The `next` of the previous page.
    pub after: Option<String>,
}

#[utoipa::path(
    post,
    path = "/admin/v1/teams",
    tag = "teams",
    request_body = CreateTeamRequest,
    responses(
        (status = 201, body = TeamView),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "The organization is unknown or not the caller's", body = ErrorBody),
        (status = 409, description = "The name is taken in this organization", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<(StatusCode, Json<TeamView>), AdminError> {
    let request: CreateTeamRequest = json::read_body(&state, body, false).await?;
    let org_id = match fields::optional_text("org_id", request.org_id)? {
        Some(org_id) => org_id,
        None => caller
            .actor
            .home()
            .0
            .map(str::to_string)
            .ok_or_else(|| AdminError::field("org_id", "is required"))?,
    };
    let name = fields::text("name", &request.name)?;
    if state.store().get_org(&org_id).await?.is_none() {
        return Err(AdminError::not_found(format!("organization `{org_id}`")));
    }
    caller.check_create(Parent::Org(&org_id), NewObject::Team)?;
    let team = state.store().create_team(NewTeam { org_id, name }).await?;
    Ok((StatusCode::CREATED, Json(TeamView::from(&team))))
}

#[utoipa::path(
    get,
    path = "/admin/v1/teams",
    tag = "teams",
    params(TeamListQuery),
    responses((status = 200, description = "Teams in the caller's tenant", body = TeamList), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<TeamListQuery>, QueryRejection>,
) -> Result<Json<TeamList>, AdminError> {
    caller.check_list(Listing::Teams)?;
    let Query(query) = query.map_err(json::query_error)?;
    let page = PageQuery {
        limit: query.limit,
        after: query.after,
    }
    .page()?;
    let requested = Tenant {
        org: query.org_id,
        ..Tenant::default()
    };
    let teams = match rbac::narrow(&caller.actor, requested) {
        None => Page {
            items: vec![],
            next: None,
        },
        // A team admin's list is its own team.
        Some(Tenant {
            team: Some(team_id),
            ..
        }) => Page {
            items: match page.after {
                Some(_) => vec![],
                None => state
                    .store()
                    .get_team(&team_id)
                    .await?
                    .into_iter()
                    .collect(),
            },
            next: None,
        },
        Some(tenant) => {
            let filter = TeamFilter { org_id: tenant.org };
            state.store().list_teams(&filter, &page).await?
        }
    };
    Ok(Json(TeamList {
        data: teams.items.iter().map(TeamView::from).collect(),
        next: teams.next,
    }))
}

#[utoipa::path(
    get,
    path = "/admin/v1/teams/{id}",
    tag = "teams",
    params(("id" = String, Path, description = "Team id")),
    responses((status = 200, body = TeamView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<TeamView>, AdminError> {
    let team = load(&state, &caller, &id, Action::Read).await?;
    Ok(Json(TeamView::from(&team)))
}

#[utoipa::path(
    patch,
    path = "/admin/v1/teams/{id}",
    tag = "teams",
    params(("id" = String, Path, description = "Team id")),
    request_body = UpdateTeamRequest,
    responses(
        (status = 200, body = TeamView),
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
) -> Result<Json<TeamView>, AdminError> {
    load(&state, &caller, &id, Action::Write).await?;
    let request: UpdateTeamRequest = json::read_body(&state, body, false).await?;
    let update = TeamUpdate {
        name: fields::optional_text("name", request.name)?,
    };
    let team = state.store().update_team(&id, update).await?;
    Ok(Json(TeamView::from(&team)))
}

#[utoipa::path(
    delete,
    path = "/admin/v1/teams/{id}",
    tag = "teams",
    params(("id" = String, Path, description = "Team id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Users or keys still belong to it", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, AdminError> {
    load(&state, &caller, &id, Action::Write).await?;
    state.store().delete_team(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn load(
    state: &AppState,
    caller: &Caller,
    id: &str,
    action: Action,
) -> Result<Team, AdminError> {
    let team = state
        .store()
        .get_team(id)
        .await?
        .ok_or_else(|| AdminError::not_found(format!("team `{id}`")))?;
    caller.check(Object::team(&team), action)?;
    Ok(team)
}
