//! `/admin/v1/usage` (spend, tokens and requests in hour/day buckets, grouped) and
//! `/admin/v1/spend/logs` (one row per request, newest first). Both are always narrowed to the
//! caller's tenant: asking for another tenant's rows answers no rows, not an error.

use std::time::Duration;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use tollgate_store::{Bucket, Dimension, Page, SpendRecord, Timestamp, UsageFilter, UsageRow};
use utoipa::{IntoParams, ToSchema};

use crate::admin::caller::Caller;
use crate::admin::errors::{AdminError, ErrorBody};
use crate::admin::fields;
use crate::admin::json::{self, PageQuery};
use crate::admin::rbac::{self, Listing, Tenant};
use crate::admin::time;
use crate::state::AppState;

/// The usage window when `from` is not given: the last 24 hours.
const DEFAULT_WINDOW: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UsageQuery {
    /// Start, inclusive: RFC 3339 or unix seconds (default: 24 hours before `to`).
    pub from: Option<String>,
    /// End, exclusive: RFC 3339 or unix seconds (default: now).
    pub to: Option<String>,
    /// Comma-separated: `org`, `team`, `user`, `key`, `model`, `provider`.
    pub group_by: Option<String>,
    /// `hour` (default) or `day` (UTC).
    pub bucket: Option<String>,
    pub org_id: Option<String>,
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    pub key_id: Option<String>,
    /// The public model name callers asked for.
    pub model: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageRowView {
    /// Start of the bucket (RFC 3339, UTC).
    pub bucket_start: String,
    /// Set when grouped by it (`null` also for rows without one, e.g. master-key requests).
    pub org_id: Option<String>,
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    pub key_id: Option<String>,
    pub model: Option<String>,
    pub provider: Option<String>,
    pub requests: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cached_input_tokens: u64,
    pub cache_write_tokens: u64,
    pub reasoning_tokens: u64,
    /// Decimal string with nine places.
    #[schema(example = "0.001230000")]
    pub cost_usd: String,
    /// Requests neither the provider nor the catalog priced.
    pub unpriced_requests: u64,
}

impl From<&UsageRow> for UsageRowView {
    fn from(row: &UsageRow) -> UsageRowView {
        UsageRowView {
            bucket_start: time::format(row.bucket_start),
            org_id: row.org_id.clone(),
            team_id: row.team_id.clone(),
            user_id: row.user_id.clone(),
            key_id: row.key_id.clone(),
            model: row.model.clone(),
            provider: row.provider.clone(),
            requests: row.requests,
            input_tokens: row.input_tokens,
            output_tokens: row.output_tokens,
            cached_input_tokens: row.cached_input_tokens,
            cache_write_tokens: row.cache_write_tokens,
            reasoning_tokens: row.reasoning_tokens,
            cost_usd: row.cost.to_string(),
            unpriced_requests: row.unpriced_requests,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageResponse {
    pub from: String,
    pub to: String,
    #[schema(example = "hour")]
    pub bucket: &'static str,
    pub group_by: Vec<&'static str>,
    /// Ordered by bucket, then by the grouped values.
    pub data: Vec<UsageRowView>,
}

#[utoipa::path(
    get,
    path = "/admin/v1/usage",
    tag = "usage",
    params(UsageQuery),
    responses(
        (status = 200, description = "Usage in the caller's tenant", body = UsageResponse),
        (status = 400, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn usage(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<UsageQuery>, QueryRejection>,
) -> Result<Json<UsageResponse>, AdminError> {
    caller.check_list(Listing::Usage)?;
    let Query(query) = query.map_err(json::query_error)?;
    let bucket = match query.bucket.as_deref().map(str::trim) {
        None | Some("hour") => Bucket::Hour,
        Some("day") => Bucket::Day,
        Some(_) => return Err(AdminError::field("bucket", "expected `hour` or `day`")),
    };
    let group_by = dimensions(query.group_by.as_deref())?;
    let (from, to) = window(
        query.from.as_deref(),
        query.to.as_deref(),
        Some(DEFAULT_WINDOW),
    )?;
    let requested = Tenant {
        org: query.org_id,
        team: query.team_id,
        user: query.user_id,
        key: query.key_id,
    };
    let data = match rbac::narrow(&caller.actor, requested) {
        None => vec![],
        Some(tenant) => {
            let filter = filter(tenant, query.model, from, to);
            let rows = state.store().usage(&filter, &group_by, bucket).await?;
            rows.iter().map(UsageRowView::from).collect()
        }
    };
    Ok(Json(UsageResponse {
        from: time::format(from),
        to: time::format(to),
        bucket: match bucket {
            Bucket::Hour => "hour",
            Bucket::Day => "day",
        },
        group_by: group_by.iter().map(|d| dimension_name(*d)).collect(),
        data,
    }))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SpendLogQuery {
    /// Start, inclusive: RFC 3339 or unix seconds (default: the beginning).
    pub from: Option<String>,
    /// End, exclusive: RFC 3339 or unix seconds (default: now).
    pub to: Option<String>,
    pub org_id: Option<String>,
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    pub key_id: Option<String>,
    pub model: Option<String>,
    /// Rows per page, 1 to 1000 (default 100).
    pub limit: Option<u32>,
    /// The `next` of the previous page.
    pub after: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SpendLogView {
    /// Tollgate's own id for the call, unique per call.
    pub request_id: String,
    /// The caller's own `x-request-id` / `x-client-request-id`, if it sent a sane one; not unique.
    pub client_request_id: Option<String>,
    pub created_at: String,
    pub org_id: Option<String>,
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    pub key_id: Option<String>,
    /// The caller's own end-user id (OpenAI `user`), if it sent one.
    pub end_user: Option<String>,
    /// The public model name asked for.
    pub model: String,
    pub deployment: Option<String>,
    pub provider: Option<String>,
    pub attempts: u32,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cached_input_tokens: u64,
    pub cache_write_tokens: u64,
    pub reasoning_tokens: u64,
    /// Decimal string; `null` when unpriced.
    #[schema(example = "0.000123000")]
    pub cost_usd: Option<String>,
    /// `provider`, `catalog` or `unpriced`.
    pub cost_source: &'static str,
    pub latency_ms: Option<u64>,
    pub ttft_ms: Option<u64>,
    pub status: u16,
    pub error_class: Option<String>,
    pub tags: Vec<String>,
}

impl From<&SpendRecord> for SpendLogView {
    fn from(row: &SpendRecord) -> SpendLogView {
        SpendLogView {
            request_id: row.request_id.clone(),
            client_request_id: row.client_request_id.clone(),
            created_at: time::format(row.created_at),
            org_id: row.org_id.clone(),
            team_id: row.team_id.clone(),
            user_id: row.user_id.clone(),
            key_id: row.key_id.clone(),
            end_user: row.end_user.clone(),
            model: row.requested_model.clone(),
            deployment: row.deployment.clone(),
            provider: row.provider.clone(),
            attempts: row.attempts,
            input_tokens: row.usage.input_tokens,
            output_tokens: row.usage.output_tokens,
            cached_input_tokens: row.usage.cached_input_tokens,
            cache_write_tokens: row.usage.cache_write_tokens,
            reasoning_tokens: row.usage.reasoning_tokens,
            cost_usd: row.cost.map(|cost| cost.to_string()),
            cost_source: row.cost_source.as_str(),
            latency_ms: row.latency_ms,
            ttft_ms: row.ttft_ms,
            status: row.status,
            error_class: row.error_class.clone(),
            tags: row.tags.clone(),
        }
    }
}

/// Pass `next` as `after` for the following (older) page.
#[derive(Debug, Serialize, ToSchema)]
pub struct SpendLogList {
    pub data: Vec<SpendLogView>,
    pub next: Option<String>,
}

#[utoipa::path(
    get,
    path = "/admin/v1/spend/logs",
    tag = "usage",
    params(SpendLogQuery),
    responses(
        (status = 200, description = "Spend-log rows in the caller's tenant, newest first", body = SpendLogList),
        (status = 400, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn spend_logs(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<SpendLogQuery>, QueryRejection>,
) -> Result<Json<SpendLogList>, AdminError> {
    caller.check_list(Listing::Usage)?;
    let Query(query) = query.map_err(json::query_error)?;
    let page = PageQuery {
        limit: query.limit,
        after: query.after,
    }
    .page()?;
    let (from, to) = window(query.from.as_deref(), query.to.as_deref(), None)?;
    let requested = Tenant {
        org: query.org_id,
        team: query.team_id,
        user: query.user_id,
        key: query.key_id,
    };
    let rows = match rbac::narrow(&caller.actor, requested) {
        None => Page {
            items: vec![],
            next: None,
        },
        Some(tenant) => {
            let filter = filter(tenant, query.model, from, to);
            state.store().spend_log(&filter, &page).await?
        }
    };
    Ok(Json(SpendLogList {
        data: rows.items.iter().map(SpendLogView::from).collect(),
        next: rows.next,
    }))
}

fn filter(tenant: Tenant, model: Option<String>, from: Timestamp, to: Timestamp) -> UsageFilter {
    UsageFilter {
        org_id: tenant.org,
        team_id: tenant.team,
        user_id: tenant.user,
        key_id: tenant.key,
        model: model.filter(|model| !model.is_empty()),
        from,
        to,
    }
}

/// `[from, to)`; `to` defaults to just after now, `from` to `to - default_window` (or the epoch).
fn window(
    from: Option<&str>,
    to: Option<&str>,
    default_window: Option<Duration>,
) -> Result<(Timestamp, Timestamp), AdminError> {
    let to = match to {
        Some(to) => fields::query_time("to", to)?,
        // Exclusive: one millisecond past now includes rows written this millisecond.
        None => Timestamp::now().saturating_add(Duration::from_millis(1)),
    };
    let from = match (from, default_window) {
        (Some(from), _) => fields::query_time("from", from)?,
        (None, Some(window)) => to.saturating_sub(window),
        (None, None) => Timestamp(0),
    };
    if from >= to {
        return Err(AdminError::field("from", "must be before `to`"));
    }
    Ok((from, to))
}

fn dimensions(group_by: Option<&str>) -> Result<Vec<Dimension>, AdminError> {
    let mut dimensions = Vec::new();
    for name in group_by.unwrap_or("").split(',').map(str::trim) {
        let dimension = match name {
            "" => continue,
            "org" | "org_id" => Dimension::Org,
            "team" | "team_id" => Dimension::Team,
            "user" | "user_id" => Dimension::User,
            "key" | "key_id" => Dimension::Key,
            "model" => Dimension::Model,
            "provider" => Dimension::Provider,
            other => {
                return Err(AdminError::field(
                    "group_by",
                    format!(
                        "unknown dimension `{}` (expected org, team, user, key, model, provider)",
                        other.chars().take(40).collect::<String>()
                    ),
                ));
            }
        };
        if !dimensions.contains(&dimension) {
            dimensions.push(dimension);
        }
    }
    Ok(dimensions)
}

fn dimension_name(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Org => "org",
        Dimension::Team => "team",
        Dimension::User => "user",
        Dimension::Key => "key",
        Dimension::Model => "model",
        Dimension::Provider => "provider",
    }
}
