//! The admin audit log (design.md §2): every successful admin mutation is recorded as one event —
//! who (the caller's key id or `master`, and its role), what (`key.rotate`, `org.update`, …), to
//! which object (its type, id, and tenant), in which request, and which fields changed to what —
//! and `GET /admin/v1/audit` reads them back, narrowed to the caller's tenant like every other
//! listing.
//!
//! # When the audit write fails
//!
//! Handlers call [`record`] after their mutation succeeded, synchronously (admin calls are not
//! the hot path, and a caller that reads the log right after its change finds it there). The
//! mutation and its event are not one transaction: that would put the audit insert inside every
//! store method. So if the insert fails (the database went away between the two statements),
//! the mutation has happened and is not undone, and the caller is told the truth — it
//! succeeded — while the event, with every field it would have stored, is logged at error level
//! (`audit event not recorded`), so an operator can alert on it and replay it from the logs.
//! Answering an error instead would make the caller retry a change that was already made.
//!
//! # Never a secret
//!
//! `changes` is built from the admin API's own response types, never from a created key's
//! secret (`CreatedKeyView`), and any field named like a secret is dropped on the way in
//! ([`SECRET_FIELDS`]), wherever it is nested.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::HeaderValue;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tollgate_store::{
    ApiKey, AuditFilter, MASTER_ACTOR, NewAuditEvent, Organization, Page, StoreError, Team,
    Timestamp, User,
};
use utoipa::IntoParams;

use crate::admin::caller::Caller;
use crate::admin::errors::{AdminError, ErrorBody};
use crate::admin::fields;
use crate::admin::json::{self, PageQuery};
use crate::admin::rbac::{self, Listing, Tenant};
use crate::admin::views::{AuditEventView, AuditList};
use crate::state::AppState;

/// Field names dropped from `changes` at any depth: a secret must never reach the log.
const SECRET_FIELDS: &[&str] = &[
    "key",
    "secret",
    "key_hash",
    "hash",
    "previous_key_hash",
    "api_key",
    "password",
    "token",
];

/// View fields that are not the caller's change: identity, bookkeeping and values derived from
/// time or traffic.
const NOT_CHANGES: &[&str] = &[
    "id",
    "created_at",
    "updated_at",
    "last_used_at",
    "spend_usd",
    "status",
];

/// The target types an event names (and `?target_type=` accepts).
pub const TARGET_TYPES: &[&str] = &["organization", "team", "user", "key", "config"];

/// The request id of an admin call: the caller's `x-request-id` when it is a sane token, else a
/// fresh one. Set by [`tag_request`], read by the `Caller` extractor.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Middleware of the admin routes: gives each call a request id (recorded with its audit event)
/// and answers it in `x-request-id`, so a caller can find its own change in the log.
pub async fn tag_request(mut request: Request, next: Next) -> Response {
    let id = crate::request_id::request_id(request.headers());
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .entry("x-request-id")
            .or_insert(value);
    }
    response
}

/// The object a mutation changed.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    Org(&'a Organization),
    Team(&'a Team),
    User(&'a User),
    Key(&'a ApiKey),
    /// The gateway's configuration.
    Config,
    /// An end user's own budget.
    EndUser {
        org: Option<&'a str>,
        end_user: &'a str,
    },
}

impl Target<'_> {
    /// `(type, id, org, team, user)`.
    fn parts(
        self,
    ) -> (
        &'static str,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    ) {
        match self {
            Target::Org(org) => (
                "organization",
                Some(org.id.clone()),
                Some(org.id.clone()),
                None,
                None,
            ),
            Target::Team(team) => (
                "team",
                Some(team.id.clone()),
                Some(team.org_id.clone()),
                Some(team.id.clone()),
                None,
            ),
            Target::User(user) => (
                "user",
                Some(user.id.clone()),
                Some(user.org_id.clone()),
                user.team_id.clone(),
                Some(user.id.clone()),
            ),
            Target::Key(key) => (
                "key",
                Some(key.id.clone()),
                key.org_id.clone(),
                key.team_id.clone(),
                key.user_id.clone(),
            ),
            Target::Config => ("config", None, None, None, None),
            Target::EndUser { org, end_user } => (
                "end_user",
                Some(end_user.to_string()),
                org.map(str::to_string),
                None,
                None,
            ),
        }
    }
}

/// Records that `caller` did `action` to `target`, changing `changes`. Call it after the
/// mutation succeeded; it never fails the call (see the module's note).
pub async fn record(
    state: &AppState,
    caller: &Caller,
    action: &'static str,
    target: Target<'_>,
    changes: Map<String, Value>,
) {
    let (target_type, target_id, org_id, team_id, user_id) = target.parts();
    let event = NewAuditEvent {
        occurred_at: Timestamp::now(),
        actor: caller
            .actor
            .key
            .clone()
            .unwrap_or_else(|| MASTER_ACTOR.to_string()),
        actor_role: caller.actor.role,
        action: action.to_string(),
        target_type: target_type.to_string(),
        target_id,
        org_id,
        team_id,
        user_id,
        request_id: caller.request_id.clone(),
        changes: without_secrets(changes),
    };
    if let Err(error) = state.store().append_audit(event.clone()).await {
        let changes = Value::Object(event.changes).to_string();
        tracing::error!(
            %error,
            actor = %event.actor,
            actor_role = event.actor_role.as_str(),
            action = %event.action,
            target_type = %event.target_type,
            target_id = ?event.target_id,
            org_id = ?event.org_id,
            team_id = ?event.team_id,
            user_id = ?event.user_id,
            request_id = ?event.request_id,
            changes = %changes,
            "audit event not recorded; the admin change itself succeeded"
        );
    }
}

/// The actor of changes made on the command line (`tollgate keys create|revoke`): the operator,
/// with the master key's authority but without a request.
pub const CLI_ACTOR: &str = "cli";

/// An event about `key` made with `tollgate keys …` (the command line writes to the store
/// directly; it appends this itself, with the same shape as the admin API's events).
pub fn cli_key_event(
    action: &'static str,
    key: &ApiKey,
    changes: Map<String, Value>,
) -> NewAuditEvent {
    let (target_type, target_id, org_id, team_id, user_id) = Target::Key(key).parts();
    NewAuditEvent {
        occurred_at: Timestamp::now(),
        actor: CLI_ACTOR.to_string(),
        actor_role: tollgate_store::Role::Admin,
        action: action.to_string(),
        target_type: target_type.to_string(),
        target_id,
        org_id,
        team_id,
        user_id,
        request_id: None,
        changes: without_secrets(changes),
    }
}

/// The changes of a creation: every field of the new object as the API shows it, but its id,
/// bookkeeping and empty (`null`) fields.
pub fn created(view: &impl Serialize) -> Map<String, Value> {
    let mut fields = as_object(view);
    fields.retain(|name, value| !value.is_null() && !NOT_CHANGES.contains(&name.as_str()));
    fields
}

/// The changes of an update: the fields whose value differs between the object before and
/// after, with their new values (`null` for a cleared one).
pub fn diff(before: &impl Serialize, after: &impl Serialize) -> Map<String, Value> {
    let before = as_object(before);
    as_object(after)
        .into_iter()
        .filter(|(name, value)| {
            !NOT_CHANGES.contains(&name.as_str()) && before.get(name) != Some(value)
        })
        .collect()
}

fn as_object(view: &impl Serialize) -> Map<String, Value> {
    match serde_json::to_value(view) {
        Ok(Value::Object(fields)) => fields,
        _ => Map::new(),
    }
}

fn without_secrets(mut fields: Map<String, Value>) -> Map<String, Value> {
    fields.retain(|name, _| !SECRET_FIELDS.contains(&name.as_str()));
    for value in fields.values_mut() {
        scrub(value);
    }
    fields
}

fn scrub(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            fields.retain(|name, _| !SECRET_FIELDS.contains(&name.as_str()));
            fields.values_mut().for_each(scrub);
        }
        Value::Array(items) => items.iter_mut().for_each(scrub),
        _ => {}
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Events about objects of this organization.
    pub org_id: Option<String>,
    /// Events about this team or its users and keys.
    pub team_id: Option<String>,
    /// Who made the change: a key id, or `master`.
    pub actor: Option<String>,
    /// `key.rotate`, or every action of a kind with `key.*`.
    pub action: Option<String>,
    /// `organization`, `team`, `user`, `key` or `config`.
    pub target_type: Option<String>,
    /// The changed object's id.
    pub target_id: Option<String>,
    /// Start, inclusive: RFC 3339 or unix seconds (default: the beginning).
    pub from: Option<String>,
    /// End, exclusive: RFC 3339 or unix seconds (default: now).
    pub to: Option<String>,
    /// Events per page, 1 to 1000 (default 100).
    pub limit: Option<u32>,
    /// The `next` of the previous page.
    pub after: Option<String>,
}

/// Every role may call it; what it sees is its tenant's: an `admin` everything; an
/// `org_admin` or `viewer` the events about its organization and everything in it; a
/// `team_admin` those about its team and its team's users and keys; a `member` those about its
/// own keys (its key, or every key of its user) — what each reads elsewhere (the spend logs are
/// narrowed the same way). Asking for another tenant answers no events, not an error.
#[utoipa::path(
    get,
    path = "/admin/v1/audit",
    tag = "audit",
    params(AuditQuery),
    responses(
        (status = 200, description = "Audit events in the caller's tenant, newest first", body = AuditList),
        (status = 400, description = "A query parameter is invalid (`param` names it)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<AuditList>, AdminError> {
    caller.check_list(Listing::Audit)?;
    let Query(query) = query.map_err(json::query_error)?;
    let page = PageQuery {
        limit: query.limit,
        after: query.after,
    }
    .page()?;
    let given = |value: Option<String>| value.filter(|value| !value.trim().is_empty());
    let (action, action_prefix) = action_filter(given(query.action))?;
    let target_type = given(query.target_type);
    if let Some(target_type) = &target_type
        && !TARGET_TYPES.contains(&target_type.as_str())
    {
        return Err(AdminError::field(
            "target_type",
            "expected organization, team, user, key or config",
        ));
    }
    let from = given(query.from)
        .map(|from| fields::query_time("from", &from))
        .transpose()?;
    let to = given(query.to)
        .map(|to| fields::query_time("to", &to))
        .transpose()?;
    if let (Some(from), Some(to)) = (from, to)
        && from >= to
    {
        return Err(AdminError::field("from", "must be before `to`"));
    }
    let requested = Tenant {
        org: given(query.org_id),
        team: given(query.team_id),
        user: None,
        key: None,
    };
    let filter = rbac::narrow(&caller.actor, requested).and_then(|tenant| {
        let mut filter = AuditFilter {
            org_id: tenant.org,
            team_id: tenant.team,
            user_id: tenant.user.clone(),
            actor: given(query.actor),
            action,
            action_prefix,
            target_type,
            target_id: given(query.target_id),
            from,
            to,
        };
        // A member is narrowed to keys: its own, or its user's.
        if tenant.user.is_some() || tenant.key.is_some() {
            filter.target_type = merge(filter.target_type, "key")?;
        }
        if let Some(key) = tenant.key {
            filter.target_id = merge(filter.target_id, &key)?;
        }
        Some(filter)
    });
    let events =
        match filter {
            None => Page {
                items: vec![],
                next: None,
            },
            Some(filter) => state
                .store()
                .list_audit(&filter, &page)
                .await
                .map_err(|error| match error {
                    // The only caller mistake a page of events can hold.
                    StoreError::Invalid(_) => {
                        AdminError::field("after", "is not a cursor this API answered")
                    }
                    other => other.into(),
                })?,
        };
    Ok(Json(AuditList {
        data: events.items.iter().map(AuditEventView::from).collect(),
        next: events.next,
    }))
}

/// `Some(forced)` unless the request asked for something else (`None`: nothing can match).
fn merge(requested: Option<String>, forced: &str) -> Option<Option<String>> {
    match requested {
        Some(requested) if requested != forced => None,
        _ => Some(Some(forced.to_string())),
    }
}

/// `?action=key.rotate` (exactly) or `?action=key.*` (every key action): `(exact, prefix)`.
fn action_filter(action: Option<String>) -> Result<(Option<String>, Option<String>), AdminError> {
    let Some(action) = action else {
        return Ok((None, None));
    };
    let action = action.trim();
    let (name, wildcard) = match action.strip_suffix('*') {
        Some(prefix) => (prefix, true),
        None => (action, false),
    };
    let well_formed = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_'))
        && (!wildcard || name.ends_with('.'));
    if !well_formed {
        return Err(AdminError::field(
            "action",
            "expected an action such as `key.rotate`, or `key.*` for every key action",
        ));
    }
    Ok(if wildcard {
        (None, Some(name.to_string()))
    } else {
        (Some(name.to_string()), None)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_never_hold_secrets() {
        let changes = without_secrets(
            json!({"name": "a", "key": "tg-secret", "nested": {"api_key": "sk", "ok": [{"token": 1, "x": 2}]}})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        assert_eq!(
            Value::Object(changes),
            json!({"name": "a", "nested": {"ok": [{"x": 2}]}})
        );
    }

    #[test]
    fn diff_names_changed_fields_with_new_values() {
        let before =
            json!({"id": "k", "name": "a", "rpm_limit": 5, "budget_usd": "1", "updated_at": "t1"});
        let after =
            json!({"id": "k", "name": "a", "rpm_limit": 6, "budget_usd": null, "updated_at": "t2"});
        assert_eq!(
            Value::Object(diff(&before, &after)),
            json!({"rpm_limit": 6, "budget_usd": null})
        );
        assert_eq!(
            Value::Object(created(&before)),
            json!({"name": "a", "rpm_limit": 5, "budget_usd": "1"})
        );
    }

    #[test]
    fn actions_match_exactly_or_by_kind() {
        assert_eq!(
            action_filter(Some("key.rotate".into())).ok(),
            Some((Some("key.rotate".into()), None))
        );
        assert_eq!(
            action_filter(Some("key.*".into())).ok(),
            Some((None, Some("key.".into())))
        );
        for bad in ["*", "key*", "Key.create", "key.create;drop", ".*x"] {
            assert!(action_filter(Some(bad.into())).is_err(), "{bad}");
        }
    }
}
