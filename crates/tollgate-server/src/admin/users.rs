//! `/admin/v1/users`: people of an organization, optionally in a team, each with a role.

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use http::StatusCode;
use serde::Deserialize;
use tollgate_store::{NewUser, Page, Role, User, UserFilter, UserUpdate};
use utoipa::{IntoParams, ToSchema};

use crate::admin::audit::{self, Target};
use crate::admin::caller::Caller;
use crate::admin::errors::{AdminError, ErrorBody};
use crate::admin::fields;
use crate::admin::json::{self, PageQuery, nullable};
use crate::admin::placement::{self, Owners};
use crate::admin::rbac::{self, Action, Listing, Object, Tenant};
use crate::admin::views::{UserList, UserView};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    /// Defaults to the caller's organization (or the team's).
    pub org_id: Option<String>,
    /// Defaults to the caller's team for a `team_admin`.
    pub team_id: Option<String>,
    /// Unique within the organization.
    pub email: String,
    pub name: Option<String>,
    /// Defaults to `member`; never above the caller's own role.
    #[schema(value_type = Option<crate::admin::views::RoleValue>)]
    pub role: Option<String>,
    /// A budget shared by every key of the user: a decimal string (`"10.00"`), never a JSON
    /// number; at most nine decimals.
    #[schema(example = "10.00")]
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
}

/// Absent fields are kept; `null` clears `team_id`, `name` or `budget_usd`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub team_id: Option<Option<String>>,
    pub email: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub name: Option<Option<String>>,
    #[schema(value_type = Option<crate::admin::views::RoleValue>)]
    pub role: Option<String>,
    /// A decimal string; `null` removes the budget. Nobody but an admin changes the budget of
    /// the user its own key belongs to.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, example = "20.00")]
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
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserListQuery {
    pub org_id: Option<String>,
    pub team_id: Option<String>,
    /// Rows per page, 1 to 1000 (default 100).
    pub limit: Option<u32>,
    /// The `next` of the previous page.
    pub after: Option<String>,
}

#[utoipa::path(
    post,
    path = "/admin/v1/users",
    tag = "users",
    request_body = CreateUserRequest,
    responses(
        (status = 201, body = UserView),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "The org or team is unknown or outside the caller's tenant", body = ErrorBody),
        (status = 409, description = "The email is taken in this organization", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<(StatusCode, Json<UserView>), AdminError> {
    let request: CreateUserRequest = json::read_body(&state, body, false).await?;
    let role = match &request.role {
        Some(role) => fields::role("role", role)?,
        None => Role::Member,
    };
    let email = fields::text("email", &request.email)?;
    let name = fields::optional_text("name", request.name)?;
    let budget = fields::budget(
        request.budget_usd.as_deref(),
        request.budget_period.as_deref(),
        request.budget_mode.as_deref(),
        request.budget_alert_percent,
    )?;
    let owners = Owners {
        org_id: fields::optional_text("org_id", request.org_id)?,
        team_id: fields::optional_text("team_id", request.team_id)?,
        user_id: None,
    };
    let owners = placement::place(&state, &caller, owners, role).await?;
    let Some(org_id) = owners.org_id else {
        return Err(AdminError::field("org_id", "is required"));
    };
    let new = NewUser {
        org_id,
        team_id: owners.team_id,
        email,
        name,
        role,
        budget,
    };
    let user = state.store().create_user(new).await?;
    state.auth().invalidate();
    let view = UserView::from(&user);
    audit::record(
        &state,
        &caller,
        "user.create",
        Target::User(&user),
        audit::created(&view),
    )
    .await;
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(
    get,
    path = "/admin/v1/users",
    tag = "users",
    params(UserListQuery),
    responses((status = 200, description = "Users in the caller's tenant", body = UserList), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<UserListQuery>, QueryRejection>,
) -> Result<Json<UserList>, AdminError> {
    caller.check_list(Listing::Users)?;
    let Query(query) = query.map_err(json::query_error)?;
    let page = PageQuery {
        limit: query.limit,
        after: query.after,
    }
    .page()?;
    let requested = Tenant {
        org: query.org_id,
        team: query.team_id,
        ..Tenant::default()
    };
    let users = match rbac::narrow(&caller.actor, requested) {
        // Only members are narrowed to a user or key, and they may not list users.
        Some(tenant) if tenant.user.is_none() && tenant.key.is_none() => {
            let filter = UserFilter {
                org_id: tenant.org,
                team_id: tenant.team,
            };
            state.store().list_users(&filter, &page).await?
        }
        _ => Page {
            items: vec![],
            next: None,
        },
    };
    Ok(Json(UserList {
        data: users.items.iter().map(UserView::from).collect(),
        next: users.next,
    }))
}

#[utoipa::path(
    get,
    path = "/admin/v1/users/{id}",
    tag = "users",
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = UserView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<UserView>, AdminError> {
    let user = load(&state, &caller, &id, Action::Read).await?;
    Ok(Json(UserView::from(&user)))
}

#[utoipa::path(
    patch,
    path = "/admin/v1/users/{id}",
    tag = "users",
    params(("id" = String, Path, description = "User id")),
    request_body = UpdateUserRequest,
    responses(
        (status = 200, body = UserView),
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
) -> Result<Json<UserView>, AdminError> {
    let current = load(&state, &caller, &id, Action::Write).await?;
    let user = &current;
    let request: UpdateUserRequest = json::read_body(&state, body, false).await?;
    let role = request
        .role
        .as_deref()
        .map(|role| fields::role("role", role))
        .transpose()?;
    let team_id = request
        .team_id
        .map(|team| fields::optional_text("team_id", team))
        .transpose()?;
    if let Some(Some(team_id)) = &team_id {
        let team = state
            .store()
            .get_team(team_id)
            .await?
            .ok_or_else(|| AdminError::not_found(format!("team `{team_id}`")))?;
        caller.check(Object::team(&team), Action::Read)?;
        if team.org_id != user.org_id {
            return Err(AdminError::field(
                "team_id",
                format!("team `{team_id}` belongs to another organization"),
            ));
        }
    }
    // The user as it will be must still be the caller's to manage (no moving a user out of
    // one's team, no promoting above one's own role).
    let after = Object::User {
        org: &user.org_id,
        team: match &team_id {
            Some(team) => team.as_deref(),
            None => user.team_id.as_deref(),
        },
        id: &user.id,
        role: role.unwrap_or(user.role),
    };
    if rbac::check(&caller.actor, after, Action::Write).is_err() {
        return Err(AdminError::forbidden(format!(
            "Role `{}` may not make this change to user `{id}`.",
            caller.actor.role.as_str()
        )));
    }
    let budget = fields::budget_update(
        fields::BudgetPatch {
            amount: request.budget_usd.as_ref().map(Option::as_deref),
            period: request.budget_period.as_deref(),
            mode: request.budget_mode.as_ref().map(Option::as_deref),
            alert: request.budget_alert_percent,
        },
        user.budget,
    )?;
    // As with keys: a caller below admin must not lift the budget it was given itself.
    if budget.is_some()
        && caller.actor.role != Role::Admin
        && caller.actor.user.as_deref() == Some(user.id.as_str())
    {
        return Err(AdminError::forbidden(
            "A caller cannot change its own user's budget; ask an admin.",
        ));
    }
    let update = UserUpdate {
        team_id,
        email: request
            .email
            .map(|email| fields::text("email", &email))
            .transpose()?,
        name: request
            .name
            .map(|name| fields::optional_text("name", name))
            .transpose()?,
        role,
        budget,
    };
    let user = state.store().update_user(&id, update).await?;
    // The request path caches each key's tenants with their budgets: reload them.
    state.auth().invalidate();
    let view = UserView::from(&user);
    let changes = audit::diff(&UserView::from(&current), &view);
    audit::record(&state, &caller, "user.update", Target::User(&user), changes).await;
    Ok(Json(view))
}

#[utoipa::path(
    delete,
    path = "/admin/v1/users/{id}",
    tag = "users",
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Keys still belong to the user", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, AdminError> {
    let user = load(&state, &caller, &id, Action::Write).await?;
    state.store().delete_user(&id).await?;
    state.auth().invalidate();
    audit::record(
        &state,
        &caller,
        "user.delete",
        Target::User(&user),
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
) -> Result<User, AdminError> {
    let user = state
        .store()
        .get_user(id)
        .await?
        .ok_or_else(|| AdminError::not_found(format!("user `{id}`")))?;
    caller.check(Object::user(&user), action)?;
    Ok(user)
}
