//! The admin audit log: appending an event, and listing events newest first.

use crate::StoreError;
use crate::driver::{Driver, Sql};
use crate::ids;
use crate::model::{AuditEvent, AuditFilter, NewAuditEvent, Page, PageRequest};
use crate::sql::build::{filter_eq, into_page, parse_time_cursor, required};
use crate::sql::rows::{self, AUDIT_COLUMNS};

pub(crate) async fn append<D: Driver>(
    db: &D,
    new: NewAuditEvent,
) -> Result<AuditEvent, StoreError> {
    let event = AuditEvent {
        id: ids::new_id(ids::AUDIT),
        occurred_at: new.occurred_at,
        actor: required("actor", &new.actor)?,
        actor_role: new.actor_role,
        action: required("action", &new.action)?,
        target_type: required("target_type", &new.target_type)?,
        target_id: new.target_id,
        org_id: new.org_id,
        team_id: new.team_id,
        user_id: new.user_id,
        request_id: new.request_id,
        changes: new.changes,
    };
    let changes = serde_json::Value::Object(event.changes.clone()).to_string();
    let sql = Sql::new(format!(
        "INSERT INTO audit_log ({AUDIT_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    ))
    .bind(event.id.as_str())
    .bind(event.occurred_at.millis())
    .bind(event.actor.as_str())
    .bind(event.actor_role.as_str())
    .bind(event.action.as_str())
    .bind(event.target_type.as_str())
    .bind(event.target_id.as_deref())
    .bind(event.org_id.as_deref())
    .bind(event.team_id.as_deref())
    .bind(event.user_id.as_deref())
    .bind(event.request_id.as_deref())
    .bind(changes);
    db.execute(sql)
        .await
        .map_err(|e| StoreError::from_write(e, "audit event"))?;
    Ok(event)
}

pub(crate) async fn list<D: Driver>(
    db: &D,
    filter: &AuditFilter,
    page: &PageRequest,
) -> Result<Page<AuditEvent>, StoreError> {
    let mut sql = Sql::new(format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE 1 = 1"));
    filter_eq(&mut sql, "org_id", filter.org_id.as_deref());
    filter_eq(&mut sql, "team_id", filter.team_id.as_deref());
    filter_eq(&mut sql, "user_id", filter.user_id.as_deref());
    filter_eq(&mut sql, "actor", filter.actor.as_deref());
    filter_eq(&mut sql, "action", filter.action.as_deref());
    filter_eq(&mut sql, "target_type", filter.target_type.as_deref());
    filter_eq(&mut sql, "target_id", filter.target_id.as_deref());
    if let Some(prefix) = filter.action_prefix.as_deref().filter(|p| !p.is_empty()) {
        // A plain comparison of the leading characters, rather than LIKE (whose `_` and `%`
        // would need escaping, and which SQLite compares without case) or a range (which
        // PostgreSQL's collation may order unlike bytes). The length is ours, not the caller's.
        let length = prefix.chars().count();
        let prefix = sql.arg(prefix);
        sql.push(&format!(" AND substr(action, 1, {length}) = {prefix}"));
    }
    if let Some(from) = filter.from {
        let from = sql.arg(from.millis());
        sql.push(&format!(" AND occurred_at >= {from}"));
    }
    if let Some(to) = filter.to {
        let to = sql.arg(to.millis());
        sql.push(&format!(" AND occurred_at < {to}"));
    }
    if let Some(cursor) = &page.after {
        let (at, id) = parse_time_cursor(cursor)?;
        let at = sql.arg(at);
        let id = sql.arg(id);
        sql.push(&format!(
            " AND (occurred_at < {at} OR (occurred_at = {at} AND id < {id}))"
        ));
    }
    let limit = sql.arg(page.clamped_limit() + 1);
    sql.push(&format!(
        " ORDER BY occurred_at DESC, id DESC LIMIT {limit}"
    ));
    let items = db
        .fetch_all(sql)
        .await?
        .iter()
        .map(rows::audit)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(into_page(items, page, |event| {
        format!("{}:{}", event.occurred_at.millis(), event.id)
    }))
}
