//! `/admin/v1/teams`: org admins manage their org's teams (and so their budgets and limits); team
//! admins and viewers read theirs.

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use http::StatusCode;
use serde::Deserialize;
use tollgate_store::{NewTeam, Page, Team, TeamFilter, TeamUpdate};
use utoipa::{IntoParams, ToSchema};

use crate::admin::audit::{self, Target};
use crate::admin::caller::Caller;
use crate::admin::errors::{AdminError, ErrorBody};
use crate::admin::json::{self, PageQuery, nullable};
use crate::admin::rbac::{self, Action, Listing, NewObject, Object, Parent, Tenant};
use crate::admin::views::{TeamList, TeamView};
use crate::admin::{fields, guardrails};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeamRequest {
    /// Defaults to the caller's organization.
    pub org_id: Option<String>,
    /// Unique within the organization.
    pub name: String,
    /// A budget shared by every key of the team: a decimal string (`"50.00"`), never a JSON
    /// number; at most nine decimals.
    #[schema(example = "50.00")]
    pub budget_usd: Option<String>,
    /// How often the budget resets; `none` (the default) is a lifetime budget.
    #[schema(value_type = Option<crate::admin::views::BudgetPeriodValue>)]
    pub budget_period: Option<String>,
    /// `hard` (reserve the worst case, refuse a call that might not fit) or `soft` (the call
    /// that crosses the budget completes, later ones are refused); the gateway's default
    /// (config `budgets.mode`) when absent.
    #[schema(value_type = Option<crate::admin::views::BudgetModeValue>)]
    pub budget_mode: Option<String>,
    /// Percent of the budget (1 to 100) at which settled spend raises an alert, once per period;
    /// the gateway's default (config `budgets.alert_at_percent`) when absent.
    #[schema(minimum = 1, maximum = 100, example = 80)]
    pub budget_alert_percent: Option<u32>,
    /// Requests per minute, all the team's keys together.
    pub rpm_limit: Option<u32>,
    /// Tokens per minute, all the team's keys together.
    pub tpm_limit: Option<u64>,
    /// Requests in flight at once, all the team's keys together.
    pub max_parallel: Option<u32>,
    /// Guardrail overrides: the config's `guardrails:` shape, only the fields that differ from
    /// the level above.
    #[schema(value_type = Option<crate::admin::guardrails::GuardrailsValue>)]
    pub guardrails: Option<serde_json::Value>,
}

/// Absent fields are kept; `null` clears a budget or a limit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTeamRequest {
    pub name: Option<String>,
    /// A decimal string; `null` removes the budget.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, example = "75.00")]
    pub budget_usd: Option<Option<String>>,
    /// Changes the period of the budget (or of the one set beside it).
    #[schema(value_type = Option<crate::admin::views::BudgetPeriodValue>)]
    pub budget_period: Option<String>,
    /// `hard` or `soft`; `null` goes back to the gateway's default.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<crate::admin::views::BudgetModeValue>, nullable)]
    pub budget_mode: Option<Option<String>>,
    /// 1 to 100; `null` goes back to the gateway's default.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>, nullable, minimum = 1, maximum = 100, example = 90)]
    pub budget_alert_percent: Option<Option<u32>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>, nullable)]
    pub rpm_limit: Option<Option<u32>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u64>, nullable)]
    pub tpm_limit: Option<Option<u64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>, nullable)]
    pub max_parallel: Option<Option<u32>>,
    /// Replaces the guardrail overrides (the config's `guardrails:` shape); `null` removes them.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<crate::admin::guardrails::GuardrailsValue>, nullable)]
    pub guardrails: Option<Option<serde_json::Value>>,
}

impl UpdateTeamRequest {
    /// Whether it changes anything besides the guardrails (a `team_admin` may set only those).
    fn changes_more_than_guardrails(&self) -> bool {
        self.name.is_some()
            || self.budget_usd.is_some()
            || self.budget_period.is_some()
            || self.budget_mode.is_some()
            || self.budget_alert_percent.is_some()
            || self.rpm_limit.is_some()
            || self.tpm_limit.is_some()
            || self.max_parallel.is_some()
    }
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
    let new = NewTeam {
        name: fields::text("name", &request.name)?,
        budget: fields::budget(
            request.budget_usd.as_deref(),
            request.budget_period.as_deref(),
            request.budget_mode.as_deref(),
            request.budget_alert_percent,
        )?,
        rpm_limit: fields::positive("rpm_limit", request.rpm_limit)?,
        tpm_limit: fields::positive("tpm_limit", request.tpm_limit)?,
        max_parallel: fields::positive("max_parallel", request.max_parallel)?,
        guardrails: guardrails::create(&state, request.guardrails)?,
        org_id,
    };
    if state.store().get_org(&new.org_id).await?.is_none() {
        return Err(AdminError::not_found(format!(
            "organization `{}`",
            new.org_id
        )));
    }
    caller.check_create(Parent::Org(&new.org_id), NewObject::Team)?;
    let team = state.store().create_team(new).await?;
    state.auth().invalidate();
    let view = TeamView::from(&team);
    audit::record(
        &state,
        &caller,
        "team.create",
        Target::Team(&team),
        audit::created(&view),
    )
    .await;
    Ok((StatusCode::CREATED, Json(view)))
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
    let current = load(&state, &caller, &id, Action::Read).await?;
    // An org admin changes everything; the team's own `team_admin` only its guardrails.
    let may_write = caller.check(Object::team(&current), Action::Write);
    if may_write.is_err() {
        caller.check_guardrails(Object::team(&current))?;
    }
    let request: UpdateTeamRequest = json::read_body(&state, body, false).await?;
    if request.changes_more_than_guardrails() {
        may_write?;
    }
    let update = TeamUpdate {
        name: fields::optional_text("name", request.name)?,
        budget: fields::budget_update(
            fields::BudgetPatch {
                amount: request.budget_usd.as_ref().map(Option::as_deref),
                period: request.budget_period.as_deref(),
                mode: request.budget_mode.as_ref().map(Option::as_deref),
                alert: request.budget_alert_percent,
            },
            current.budget,
        )?,
        rpm_limit: fields::positive_update("rpm_limit", request.rpm_limit)?,
        tpm_limit: fields::positive_update("tpm_limit", request.tpm_limit)?,
        max_parallel: fields::positive_update("max_parallel", request.max_parallel)?,
        guardrails: guardrails::patch(&state, request.guardrails)?,
    };
    let team = state.store().update_team(&id, update).await?;
    // The request path caches each key's tenants with their budgets and limits: reload them.
    state.auth().invalidate();
    let view = TeamView::from(&team);
    let changes = audit::diff(&TeamView::from(&current), &view);
    audit::record(&state, &caller, "team.update", Target::Team(&team), changes).await;
    Ok(Json(view))
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
    let team = load(&state, &caller, &id, Action::Write).await?;
    state.store().delete_team(&id).await?;
    state.auth().invalidate();
    audit::record(
        &state,
        &caller,
        "team.delete",
        Target::Team(&team),
        Default::default(),
    )
    .await;
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
