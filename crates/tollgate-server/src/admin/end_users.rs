//! `/admin/v1/end-users/...`: end users' own budgets. An end user is whoever a request names in
//! its `user` field (or the configured header); without a budget of its own it has the config's
//! default (`budgets.end_users.default`), if any. An end user belongs to the organization of the
//! keys it calls through: `alice` of one organization is not `alice` of another.
//!
//! Setting or removing a budget applies from the next call (every instance drops its caches);
//! the spend already counted in the current window stays counted.

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tollgate_store::EndUserBudget;
use utoipa::{IntoParams, ToSchema};

use crate::admin::audit::{self, Target};
use crate::admin::caller::Caller;
use crate::admin::errors::{AdminError, ErrorBody};
use crate::admin::json::{self, PageQuery};
use crate::admin::rbac::{self, Action, Denied};
use crate::admin::{fields, views};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutEndUserBudgetRequest {
    /// The organization whose keys the end user calls through; the caller's own when absent
    /// (none for the master key: keys outside any organization).
    pub org_id: Option<String>,
    /// A decimal string (`"5.00"`), never a JSON number; at most nine decimals.
    #[schema(example = "5.00")]
    pub budget_usd: String,
    /// How often the budget resets; `none` (the default) is a lifetime budget.
    #[schema(value_type = Option<crate::admin::views::BudgetPeriodValue>)]
    pub budget_period: Option<String>,
    /// `hard` or `soft`; the gateway's default (config `budgets.mode`) when absent.
    #[schema(value_type = Option<crate::admin::views::BudgetModeValue>)]
    pub budget_mode: Option<String>,
    /// Percent of the budget (1 to 100) at which settled spend raises an alert, once per period.
    #[schema(minimum = 1, maximum = 100, example = 80)]
    pub budget_alert_percent: Option<u32>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EndUserQuery {
    /// The organization; the caller's own when absent.
    pub org_id: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EndUserListQuery {
    /// The organization; the caller's own when absent.
    pub org_id: Option<String>,
    /// Rows per page, 1 to 1000 (default 100).
    pub limit: Option<u32>,
    /// The `next` of the previous page.
    pub after: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EndUserBudgetView {
    /// `null`: keys outside any organization.
    pub org_id: Option<String>,
    pub end_user: String,
    #[schema(example = "5.000000000")]
    pub budget_usd: String,
    #[schema(value_type = crate::admin::views::BudgetPeriodValue)]
    pub budget_period: &'static str,
    /// `null` follows the gateway's default (config `budgets.mode`).
    #[schema(value_type = Option<crate::admin::views::BudgetModeValue>)]
    pub budget_mode: Option<&'static str>,
    pub budget_alert_percent: Option<u8>,
    /// Milliseconds since the Unix epoch.
    pub updated_at: i64,
}

impl From<&EndUserBudget> for EndUserBudgetView {
    fn from(stored: &EndUserBudget) -> Self {
        let budget = Some(stored.budget);
        EndUserBudgetView {
            org_id: stored.org_id.clone(),
            end_user: stored.end_user.clone(),
            budget_usd: views::budget_usd(budget).unwrap_or_default(),
            budget_period: stored.budget.period.as_str(),
            budget_mode: views::budget_mode(budget),
            budget_alert_percent: stored.budget.alert_at_percent,
            updated_at: stored.updated_at.millis(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EndUserBudgetList {
    pub data: Vec<EndUserBudgetView>,
    pub next: Option<String>,
}

/// The organization a request names (or the caller's own), once the caller may `action` it.
/// Another tenant's organization answers 404, as everything outside the caller's tenant.
fn organization(
    caller: &Caller,
    org_id: Option<String>,
    action: Action,
) -> Result<Option<String>, AdminError> {
    let org_id = fields::optional_text("org_id", org_id)?.or_else(|| caller.actor.org.clone());
    rbac::check_end_user_budgets(&caller.actor, org_id.as_deref(), action).map_err(
        |denied| match (denied, &org_id) {
            (Denied::NotFound, Some(org_id)) => {
                AdminError::not_found(format!("organization `{org_id}`"))
            }
            _ => AdminError::forbidden(format!(
                "Role `{}` may not {} end users' budgets here; an organization's admins manage \
                 its end users, and only a gateway admin those outside any organization.",
                caller.actor.role.as_str(),
                match action {
                    Action::Read => "read",
                    Action::Write => "change",
                },
            )),
        },
    )?;
    Ok(org_id)
}

fn end_user_name(end_user: &str) -> Result<&str, AdminError> {
    let end_user = end_user.trim();
    if end_user.is_empty() {
        return Err(AdminError::field("end_user", "must not be empty"));
    }
    Ok(end_user)
}

#[utoipa::path(
    put,
    path = "/admin/v1/end-users/{end_user}/budget",
    tag = "end users",
    params(("end_user" = String, Path, description = "The end user as requests name it")),
    request_body = PutEndUserBudgetRequest,
    responses(
        (status = 200, description = "Set (or replaced)", body = EndUserBudgetView),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "Unknown, or not the caller's organization", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn put(
    State(state): State<AppState>,
    caller: Caller,
    Path(end_user): Path<String>,
    body: Body,
) -> Result<Json<EndUserBudgetView>, AdminError> {
    let request: PutEndUserBudgetRequest = json::read_body(&state, body, false).await?;
    let end_user = end_user_name(&end_user)?;
    let org_id = organization(&caller, request.org_id, Action::Write)?;
    if let Some(org_id) = &org_id
        && state.store().get_org(org_id).await?.is_none()
    {
        return Err(AdminError::not_found(format!("organization `{org_id}`")));
    }
    let budget = fields::budget(
        Some(&request.budget_usd),
        request.budget_period.as_deref(),
        request.budget_mode.as_deref(),
        request.budget_alert_percent,
    )?
    .ok_or_else(|| AdminError::field("budget_usd", "is required"))?;
    let stored = state
        .store()
        .put_end_user_budget(org_id.as_deref(), end_user, budget)
        .await?;
    state.auth().invalidate();
    let view = EndUserBudgetView::from(&stored);
    let mut changes = Map::new();
    changes.insert(
        "budget".to_string(),
        serde_json::to_value(&view).unwrap_or(Value::Null),
    );
    audit::record(
        &state,
        &caller,
        "end_user.budget.set",
        Target::EndUser {
            org: org_id.as_deref(),
            end_user,
        },
        changes,
    )
    .await;
    Ok(Json(view))
}

#[utoipa::path(
    get,
    path = "/admin/v1/end-users/{end_user}/budget",
    tag = "end users",
    params(("end_user" = String, Path, description = "The end user as requests name it"), EndUserQuery),
    responses(
        (status = 200, body = EndUserBudgetView),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "No budget of its own (the default applies), or not the caller's organization", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(end_user): Path<String>,
    query: Result<Query<EndUserQuery>, QueryRejection>,
) -> Result<Json<EndUserBudgetView>, AdminError> {
    let Query(query) = query.map_err(json::query_error)?;
    let end_user = end_user_name(&end_user)?;
    let org_id = organization(&caller, query.org_id, Action::Read)?;
    let stored = state
        .store()
        .get_end_user_budget(org_id.as_deref(), end_user)
        .await?
        .ok_or_else(|| {
            AdminError::not_found(format!(
                "a budget of end user `{end_user}` (the default applies)"
            ))
        })?;
    Ok(Json(EndUserBudgetView::from(&stored)))
}

#[utoipa::path(
    delete,
    path = "/admin/v1/end-users/{end_user}/budget",
    tag = "end users",
    params(("end_user" = String, Path, description = "The end user as requests name it"), EndUserQuery),
    responses(
        (status = 204, description = "Removed: the default end-user budget applies again"),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(end_user): Path<String>,
    query: Result<Query<EndUserQuery>, QueryRejection>,
) -> Result<StatusCode, AdminError> {
    let Query(query) = query.map_err(json::query_error)?;
    let end_user = end_user_name(&end_user)?;
    let org_id = organization(&caller, query.org_id, Action::Write)?;
    state
        .store()
        .delete_end_user_budget(org_id.as_deref(), end_user)
        .await?;
    state.auth().invalidate();
    audit::record(
        &state,
        &caller,
        "end_user.budget.delete",
        Target::EndUser {
            org: org_id.as_deref(),
            end_user,
        },
        Map::new(),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/admin/v1/end-users/budgets",
    tag = "end users",
    params(EndUserListQuery),
    responses(
        (status = 200, description = "One organization's end users with budgets of their own, by name", body = EndUserBudgetList),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<EndUserListQuery>, QueryRejection>,
) -> Result<Json<EndUserBudgetList>, AdminError> {
    let Query(query) = query.map_err(json::query_error)?;
    let page = PageQuery {
        limit: query.limit,
        after: query.after,
    }
    .page()?;
    let org_id = organization(&caller, query.org_id, Action::Read)?;
    let page = state
        .store()
        .list_end_user_budgets(org_id.as_deref(), &page)
        .await?;
    Ok(Json(EndUserBudgetList {
        data: page.items.iter().map(EndUserBudgetView::from).collect(),
        next: page.next,
    }))
}
