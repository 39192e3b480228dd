//! `/admin/v1/keys`: create, list, get, update, rotate, revoke, expire. Every mutation clears the
//! auth cache, so the data plane sees it on the very next request.

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use http::StatusCode;
use serde::Deserialize;
use tollgate_store::{ApiKey, KeyFilter, Page, Timestamp};
use utoipa::IntoParams;

use crate::admin::audit::{self, Target};
use crate::admin::caller::Caller;
use crate::admin::errors::{AdminError, ErrorBody};
use crate::admin::guardrails;
use crate::admin::json::{self, PageQuery};
use crate::admin::key_requests::{CreateKeyRequest, RotateKeyRequest, UpdateKeyRequest};
use crate::admin::placement::{self, Owners};
use crate::admin::rbac::{self, Action, Listing, Object, Tenant};
use crate::admin::views::{CreatedKeyView, KeyList, KeyView};
use crate::state::AppState;

#[utoipa::path(
    post,
    path = "/admin/v1/keys",
    tag = "keys",
    request_body = CreateKeyRequest,
    responses(
        (status = 201, description = "The key and its secret (`key`), shown this once", body = CreatedKeyView),
        (status = 400, description = "A field is invalid (`param` names it)", body = ErrorBody),
        (status = 403, description = "The caller's role may not create this key", body = ErrorBody),
        (status = 404, description = "The named org, team or user is unknown or outside the caller's tenant", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<(StatusCode, Json<CreatedKeyView>), AdminError> {
    let mut request: CreateKeyRequest = json::read_body(&state, body, false).await?;
    let guardrails = request.guardrails.take();
    let mut new = request.into_new_key(Timestamp::now())?;
    new.guardrails = guardrails::create(&state, guardrails)?;
    let owners = Owners {
        org_id: new.org_id.take(),
        team_id: new.team_id.take(),
        user_id: new.user_id.take(),
    };
    let owners = placement::place(&state, &caller, owners, new.role).await?;
    new.org_id = owners.org_id;
    new.team_id = owners.team_id;
    new.user_id = owners.user_id;
    let created = state.store().create_key(new).await?;
    state.auth().invalidate();
    // The view without the secret: the log never holds it.
    let changes = audit::created(&KeyView::from(&created.key));
    audit::record(
        &state,
        &caller,
        "key.create",
        Target::Key(&created.key),
        changes,
    )
    .await;
    Ok((StatusCode::CREATED, Json(CreatedKeyView::from(&created))))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct KeyListQuery {
    pub org_id: Option<String>,
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    /// Include revoked keys (default false).
    pub include_revoked: Option<bool>,
    /// Rows per page, 1 to 1000 (default 100).
    pub limit: Option<u32>,
    /// The `next` of the previous page.
    pub after: Option<String>,
}

#[utoipa::path(
    get,
    path = "/admin/v1/keys",
    tag = "keys",
    params(KeyListQuery),
    responses(
        (status = 200, description = "Keys in the caller's tenant, oldest first; never a secret", body = KeyList),
        (status = 400, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<KeyListQuery>, QueryRejection>,
) -> Result<Json<KeyList>, AdminError> {
    caller.check_list(Listing::Keys)?;
    let Query(query) = query.map_err(json::query_error)?;
    let page = PageQuery {
        limit: query.limit,
        after: query.after,
    }
    .page()?;
    let include_revoked = query.include_revoked.unwrap_or(false);
    let requested = Tenant {
        org: query.org_id,
        team: query.team_id,
        user: query.user_id,
        key: None,
    };
    let Some(tenant) = rbac::narrow(&caller.actor, requested) else {
        return Ok(Json(list_view(Page {
            items: vec![],
            next: None,
        })));
    };
    if let Some(key_id) = &tenant.key {
        // A member key with no user: its only key is itself.
        let key = state.store().get_key(key_id).await?.filter(|key| {
            page.after.is_none()
                && (include_revoked || key.revoked_at.is_none())
                && matches(&tenant.org, &key.org_id)
                && matches(&tenant.team, &key.team_id)
                && matches(&tenant.user, &key.user_id)
        });
        return Ok(Json(list_view(Page {
            items: key.into_iter().collect(),
            next: None,
        })));
    }
    let filter = KeyFilter {
        org_id: tenant.org,
        team_id: tenant.team,
        user_id: tenant.user,
        include_revoked,
    };
    let keys = state.store().list_keys(&filter, &page).await?;
    Ok(Json(list_view(keys)))
}

fn matches(wanted: &Option<String>, actual: &Option<String>) -> bool {
    wanted.is_none() || wanted == actual
}

fn list_view(page: Page<ApiKey>) -> KeyList {
    KeyList {
        data: page.items.iter().map(KeyView::from).collect(),
        next: page.next,
    }
}

#[utoipa::path(
    get,
    path = "/admin/v1/keys/{id}",
    tag = "keys",
    params(("id" = String, Path, description = "Key id")),
    responses(
        (status = 200, description = "The key without its secret, with its settled `spend_usd`", body = KeyView),
        (status = 404, description = "Unknown, or outside the caller's tenant", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<KeyView>, AdminError> {
    let key = load(&state, &caller, &id, Action::Read).await?;
    Ok(Json(KeyView::from(&key)))
}

#[utoipa::path(
    patch,
    path = "/admin/v1/keys/{id}",
    tag = "keys",
    params(("id" = String, Path, description = "Key id")),
    request_body = UpdateKeyRequest,
    responses(
        (status = 200, description = "The changed key", body = KeyView),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<KeyView>, AdminError> {
    let key = load(&state, &caller, &id, Action::Read).await?;
    caller.check_update_key(Object::key(&key))?;
    let mut request: UpdateKeyRequest = json::read_body(&state, body, false).await?;
    let guardrails = request.guardrails.take();
    let mut update = request.into_update(&key, Timestamp::now())?;
    update.guardrails = guardrails::patch(&state, guardrails)?;
    let updated = state.store().update_key(&id, update).await?;
    state.auth().invalidate();
    let view = KeyView::from(&updated);
    let changes = audit::diff(&KeyView::from(&key), &view);
    audit::record(
        &state,
        &caller,
        "key.update",
        Target::Key(&updated),
        changes,
    )
    .await;
    Ok(Json(view))
}

#[utoipa::path(
    post,
    path = "/admin/v1/keys/{id}/rotate",
    tag = "keys",
    params(("id" = String, Path, description = "Key id")),
    request_body(content = RotateKeyRequest, description = "Optional"),
    responses(
        (status = 200, description = "The new secret (same id, limits and spend)", body = CreatedKeyView),
        (status = 400, description = "Bad grace, or the key is revoked", body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn rotate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<CreatedKeyView>, AdminError> {
    let before = load(&state, &caller, &id, Action::Write).await?;
    let request: RotateKeyRequest = json::read_body(&state, body, true).await?;
    let grace = request.grace()?;
    let rotated = state.store().rotate_key(&id, grace).await?;
    state.auth().invalidate();
    // The new prefix (public, as in every listing) and the old secret's grace; never a secret.
    let mut changes = audit::diff(&KeyView::from(&before), &KeyView::from(&rotated.key));
    changes.insert(
        "grace_seconds".into(),
        grace.map_or(0, |grace| grace.as_secs()).into(),
    );
    audit::record(
        &state,
        &caller,
        "key.rotate",
        Target::Key(&rotated.key),
        changes,
    )
    .await;
    Ok(Json(CreatedKeyView::from(&rotated)))
}

#[utoipa::path(
    post,
    path = "/admin/v1/keys/{id}/revoke",
    tag = "keys",
    params(("id" = String, Path, description = "Key id")),
    responses(
        (status = 200, description = "The revoked key; its next request answers 401", body = KeyView),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<KeyView>, AdminError> {
    let before = load(&state, &caller, &id, Action::Write).await?;
    let key = state.store().revoke_key(&id).await?;
    state.auth().invalidate();
    let view = KeyView::from(&key);
    let changes = audit::diff(&KeyView::from(&before), &view);
    audit::record(&state, &caller, "key.revoke", Target::Key(&key), changes).await;
    Ok(Json(view))
}

#[utoipa::path(
    delete,
    path = "/admin/v1/keys/{id}",
    tag = "keys",
    params(("id" = String, Path, description = "Key id")),
    responses(
        (status = 200, description = "Same as revoke: the key is kept (its spend stays attributable) but never works again", body = KeyView),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete(
    state: State<AppState>,
    caller: Caller,
    id: Path<String>,
) -> Result<Json<KeyView>, AdminError> {
    revoke(state, caller, id).await
}

#[utoipa::path(
    post,
    path = "/admin/v1/keys/{id}/expire",
    tag = "keys",
    params(("id" = String, Path, description = "Key id")),
    responses(
        (status = 200, description = "The key, expiring now (an earlier expiry is kept)", body = KeyView),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn expire(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<KeyView>, AdminError> {
    let before = load(&state, &caller, &id, Action::Write).await?;
    let key = state.store().expire_key(&id).await?;
    state.auth().invalidate();
    let view = KeyView::from(&key);
    let changes = audit::diff(&KeyView::from(&before), &view);
    audit::record(&state, &caller, "key.expire", Target::Key(&key), changes).await;
    Ok(Json(view))
}

/// The key, if it exists and the caller may do `action` to it.
pub(super) async fn load(
    state: &AppState,
    caller: &Caller,
    id: &str,
    action: Action,
) -> Result<ApiKey, AdminError> {
    let key = state
        .store()
        .get_key(id)
        .await?
        .ok_or_else(|| AdminError::not_found(format!("key `{id}`")))?;
    caller.check(Object::key(&key), action)?;
    Ok(key)
}
