//! `/admin/v1/organizations`: only admins create, change or delete organizations (so only they
//! set an organization's budget or turn its credits on or off); everyone but a `member` reads
//! its own.

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use http::StatusCode;
use serde::Deserialize;
use tollgate_store::{NewOrganization, Organization, OrganizationUpdate, Page, Role};
use utoipa::ToSchema;

use crate::admin::audit::{self, Target};
use crate::admin::caller::Caller;
use crate::admin::errors::{AdminError, ErrorBody};
use crate::admin::json::{self, PageQuery, nullable};
use crate::admin::rbac::{self, Action, Listing, NewObject, Object, Parent, Tenant};
use crate::admin::views::{OrgList, OrgView};
use crate::admin::{fields, guardrails};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrgRequest {
    pub name: String,
    /// Pricing tier; `default` unless set.
    pub tier: Option<String>,
    /// A budget shared by every key of the organization: a decimal string (`"500.00"`), never
    /// a JSON number; at most nine decimals.
    #[schema(example = "500.00")]
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
    /// Pay calls from prepaid credits (and refuse them when the balance runs out). Recording
    /// credits turns it on.
    pub credits_enabled: Option<bool>,
    /// Guardrail overrides: the config's `guardrails:` shape, only the fields that differ from
    /// the level above.
    #[schema(value_type = Option<crate::admin::guardrails::GuardrailsValue>)]
    pub guardrails: Option<serde_json::Value>,
}

/// Absent fields are kept; `null` clears `budget_usd`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrgRequest {
    pub name: Option<String>,
    pub tier: Option<String>,
    /// A decimal string; `null` removes the budget.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, example = "750.00")]
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
    pub credits_enabled: Option<bool>,
    /// Replaces the guardrail overrides (the config's `guardrails:` shape); `null` removes them.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<crate::admin::guardrails::GuardrailsValue>, nullable)]
    pub guardrails: Option<Option<serde_json::Value>>,
}

impl UpdateOrgRequest {
    /// Whether it changes anything besides the guardrails (an `org_admin` may set only those).
    fn changes_more_than_guardrails(&self) -> bool {
        self.name.is_some()
            || self.tier.is_some()
            || self.budget_usd.is_some()
            || self.budget_period.is_some()
            || self.budget_mode.is_some()
            || self.budget_alert_percent.is_some()
            || self.credits_enabled.is_some()
    }
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
        budget: fields::budget(
            request.budget_usd.as_deref(),
            request.budget_period.as_deref(),
            request.budget_mode.as_deref(),
            request.budget_alert_percent,
        )?,
        credits_enabled: request.credits_enabled.unwrap_or(false),
        guardrails: guardrails::create(&state, request.guardrails)?,
    };
    let org = state.store().create_org(new).await?;
    state.auth().invalidate();
    let view = OrgView::from(&org);
    audit::record(
        &state,
        &caller,
        "org.create",
        Target::Org(&org),
        audit::created(&view),
    )
    .await;
    Ok((StatusCode::CREATED, Json(view)))
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
    let current = load(&state, &caller, &id, Action::Read).await?;
    // An admin changes everything; the org's own `org_admin` only its guardrails.
    let may_write = caller.check(Object::org(&current), Action::Write);
    if may_write.is_err() {
        caller.check_guardrails(Object::org(&current))?;
    }
    let request: UpdateOrgRequest = json::read_body(&state, body, false).await?;
    if request.changes_more_than_guardrails() {
        may_write?;
    }
    let update = OrganizationUpdate {
        name: fields::optional_text("name", request.name)?,
        tier: fields::optional_text("tier", request.tier)?,
        budget: fields::budget_update(
            fields::BudgetPatch {
                amount: request.budget_usd.as_ref().map(Option::as_deref),
                period: request.budget_period.as_deref(),
                mode: request.budget_mode.as_ref().map(Option::as_deref),
                alert: request.budget_alert_percent,
            },
            current.budget,
        )?,
        credits_enabled: request.credits_enabled,
        guardrails: guardrails::patch(&state, request.guardrails)?,
    };
    let org = state.store().update_org(&id, update).await?;
    // The request path caches each key's tenants with their budgets: reload them.
    state.auth().invalidate();
    let view = OrgView::from(&org);
    let changes = audit::diff(&OrgView::from(&current), &view);
    audit::record(&state, &caller, "org.update", Target::Org(&org), changes).await;
    Ok(Json(view))
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
        (status = 409, description = "Teams, users, keys or credit entries still belong to it", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, AdminError> {
    let org = load(&state, &caller, &id, Action::Write).await?;
    state.store().delete_org(&id).await?;
    state.auth().invalidate();
    audit::record(
        &state,
        &caller,
        "org.delete",
        Target::Org(&org),
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
) -> Result<Organization, AdminError> {
    let org = state
        .store()
        .get_org(id)
        .await?
        .ok_or_else(|| AdminError::not_found(format!("organization `{id}`")))?;
    caller.check(Object::org(&org), action)?;
    Ok(org)
}
