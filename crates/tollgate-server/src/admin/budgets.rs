//! `GET /admin/v1/budgets/explain?key_id=…`: why a key is (or is not) being refused. Every
//! budget on the key's chain (key, user, team, organization, the organization's credits) with
//! its limit, settled spend, what open reservations hold, what is left, and when it resets;
//! plus its parallel limits and how many calls are in flight.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use tollgate_limits::{BudgetMode, BudgetSpec, ScopeReport};
use tollgate_types::NanoUsd;
use utoipa::{IntoParams, ToSchema};

use crate::admin::caller::Caller;
use crate::admin::errors::{AdminError, ErrorBody};
use crate::admin::keys;
use crate::admin::rbac::Action;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExplainQuery {
    /// The key to explain.
    pub key_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BudgetExplanation {
    pub key_id: String,
    /// Some budget cannot take any further call now.
    pub blocked: bool,
    /// The scopes that block it (`team t-1`, `credits of organization o-1`).
    pub blocking: Vec<String>,
    pub budgets: Vec<BudgetState>,
    pub parallel: Vec<ParallelState>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BudgetState {
    /// `key`, `user`, `team`, `organization`, `credits`.
    pub scope: String,
    pub scope_id: String,
    /// `hard` or `soft`.
    pub mode: String,
    /// `none`, `daily`, `weekly`, `monthly`.
    pub period: String,
    pub limit_usd: String,
    /// Settled spend in the current window.
    pub spent_usd: String,
    /// Held by calls in flight.
    pub reserved_usd: String,
    /// What a new call could still reserve (hard mode); `limit - spent - reserved`, never below 0.
    pub available_usd: String,
    /// When the window resets (Unix ms); absent for lifetime budgets and credits.
    pub resets_at_ms: Option<i64>,
    pub exhausted: bool,
    pub open_reservations: u32,
    /// Up to 100 of the open reservations (request id, amount, lease end).
    pub reservations: Vec<ReservationState>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReservationState {
    pub id: String,
    pub amount_usd: String,
    pub expires_at_ms: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ParallelState {
    pub scope: String,
    pub scope_id: String,
    pub max_parallel: u32,
    pub in_flight: u32,
}

#[utoipa::path(
    get,
    path = "/admin/v1/budgets/explain",
    tag = "budgets",
    params(ExplainQuery),
    responses(
        (status = 200, description = "The key's budgets and limits now", body = BudgetExplanation),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn explain(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ExplainQuery>, QueryRejection>,
) -> Result<Json<BudgetExplanation>, AdminError> {
    let Query(query) = query.map_err(|rejection| AdminError::bad_request(rejection.body_text()))?;
    let key = keys::load(&state, &caller, &query.key_id, Action::Read).await?;
    let explanation = state
        .limiter()
        .explain(&key, state.auth().generation())
        .await?;
    let budgets: Vec<BudgetState> = explanation
        .budgets
        .iter()
        .map(|(spec, report)| budget_state(spec, report.as_ref()))
        .collect();
    let blocking: Vec<String> = budgets
        .iter()
        .filter(|budget| budget.exhausted)
        .map(|budget| format!("{} {}", budget.scope, budget.scope_id))
        .collect();
    let parallel = explanation
        .parallel
        .into_iter()
        .map(|(limit, in_flight)| ParallelState {
            scope: limit.scope.kind().to_string(),
            scope_id: limit.scope.id().to_string(),
            max_parallel: limit.max,
            in_flight,
        })
        .collect();
    Ok(Json(BudgetExplanation {
        key_id: key.id,
        blocked: !blocking.is_empty(),
        blocking,
        budgets,
        parallel,
    }))
}

fn budget_state(spec: &BudgetSpec, report: Option<&ScopeReport>) -> BudgetState {
    let spent = report.map_or(NanoUsd::ZERO, |r| r.spent);
    let reserved = report.map_or(NanoUsd::ZERO, |r| r.reserved);
    let available = spec
        .limit
        .saturating_sub(spent)
        .saturating_sub(reserved)
        .max(NanoUsd::ZERO);
    let exhausted = match spec.mode {
        BudgetMode::Hard => available == NanoUsd::ZERO,
        BudgetMode::Soft => spent >= spec.limit,
    };
    BudgetState {
        scope: spec.scope.kind().to_string(),
        scope_id: spec.scope.id().to_string(),
        mode: match spec.mode {
            BudgetMode::Hard => "hard",
            BudgetMode::Soft => "soft",
        }
        .to_string(),
        period: spec.period.as_str().to_string(),
        limit_usd: spec.limit.to_string(),
        spent_usd: spent.to_string(),
        reserved_usd: reserved.to_string(),
        available_usd: available.to_string(),
        resets_at_ms: report.and_then(|r| r.resets_at_ms),
        exhausted,
        open_reservations: report.map_or(0, |r| r.open_count),
        reservations: report
            .map(|r| {
                r.open
                    .iter()
                    .map(|open| ReservationState {
                        id: open.id.to_string(),
                        amount_usd: open.amount.to_string(),
                        expires_at_ms: open.expires_at_ms,
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}
