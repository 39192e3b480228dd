//! Virtual keys: create, read, change, rotate, revoke, expire, and look up by secret.

use std::time::Duration;

use tollgate_types::NanoUsd;

use crate::StoreError;
use crate::driver::{Driver, Sql, SqlRow};
use crate::ids;
use crate::model::{
    ApiKey, ApiKeyUpdate, CreatedKey, KeyFilter, KeyLookup, KeyStatus, NewApiKey, Page, PageRequest,
};
use crate::secret::{generate_key_secret, hash_key, visible_prefix};
use crate::sql::build::{
    Update, budget_alert_percent, budget_mode, check_budget, filter_eq, guardrails_json, into_page,
    paginate_by_id, required, to_i64,
};
use crate::sql::rows::{self, KEY_COLUMNS};
use crate::time::Timestamp;

/// Ids per `touch_last_used` statement, well under both databases' argument limits.
const TOUCH_CHUNK: usize = 500;

pub(crate) async fn create<D: Driver>(db: &D, new: NewApiKey) -> Result<CreatedKey, StoreError> {
    let name = required("name", &new.name)?;
    check_metadata(&new.metadata)?;
    check_budget(new.budget.as_ref())?;
    let guardrails = guardrails_json(new.guardrails.as_ref())?;
    let org_id = match new.org_id {
        Some(org_id) => Some(org_id),
        None => owner_org(db, new.team_id.as_deref(), new.user_id.as_deref()).await?,
    };
    let secret = generate_key_secret();
    let now = Timestamp::now();
    let key = ApiKey {
        id: ids::new_id(ids::KEY),
        name,
        prefix: visible_prefix(&secret),
        org_id,
        team_id: new.team_id,
        user_id: new.user_id,
        role: new.role,
        models: new.models,
        rpm_limit: new.rpm_limit,
        tpm_limit: new.tpm_limit,
        max_parallel: new.max_parallel,
        budget: new.budget,
        expires_at: new.expires_at,
        revoked_at: None,
        metadata: new.metadata,
        guardrails: new.guardrails,
        created_at: now,
        updated_at: now,
        last_used_at: None,
        spend: NanoUsd::ZERO,
    };
    let sql = Sql::new(
        "INSERT INTO api_keys (id, name, key_hash, prefix, org_id, team_id, user_id, role, \
         models, rpm_limit, tpm_limit, max_parallel, budget_nanos, budget_period, budget_mode, \
         budget_alert_percent, expires_at, metadata, guardrails, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
         $19, $20, $21)",
    )
    .bind(key.id.as_str())
    .bind(key.name.as_str())
    .bind(hex::encode(hash_key(&secret)))
    .bind(key.prefix.as_str())
    .bind(key.org_id.as_deref())
    .bind(key.team_id.as_deref())
    .bind(key.user_id.as_deref())
    .bind(key.role.as_str())
    .bind(models_json(key.models.as_ref())?)
    .bind(key.rpm_limit.map(i64::from))
    .bind(key.tpm_limit.map(|v| to_i64("tpm_limit", v)).transpose()?)
    .bind(key.max_parallel.map(i64::from))
    .bind(key.budget.map(|budget| budget.amount.0))
    .bind(key.budget.map(|budget| budget.period.as_str()))
    .bind(budget_mode(key.budget))
    .bind(budget_alert_percent(key.budget))
    .bind(key.expires_at.map(Timestamp::millis))
    .bind(key.metadata.to_string())
    .bind(guardrails)
    .bind(now.millis())
    .bind(now.millis());
    db.execute(sql)
        .await
        .map_err(|e| StoreError::from_write(e, "key"))?;
    Ok(CreatedKey { key, secret })
}

pub(crate) async fn get<D: Driver>(db: &D, id: &str) -> Result<Option<ApiKey>, StoreError> {
    let sql = Sql::new(format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = $1")).bind(id);
    db.fetch_optional(sql)
        .await?
        .as_ref()
        .map(rows::key)
        .transpose()
}

pub(crate) async fn list<D: Driver>(
    db: &D,
    filter: &KeyFilter,
    page: &PageRequest,
) -> Result<Page<ApiKey>, StoreError> {
    let mut sql = Sql::new(format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE 1 = 1"));
    filter_eq(&mut sql, "org_id", filter.org_id.as_deref());
    filter_eq(&mut sql, "team_id", filter.team_id.as_deref());
    filter_eq(&mut sql, "user_id", filter.user_id.as_deref());
    if !filter.include_revoked {
        sql.push(" AND revoked_at IS NULL");
    }
    paginate_by_id(&mut sql, page);
    let items = db
        .fetch_all(sql)
        .await?
        .iter()
        .map(rows::key)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(into_page(items, page, |key| key.id.clone()))
}

pub(crate) async fn update<D: Driver>(
    db: &D,
    id: &str,
    update: ApiKeyUpdate,
) -> Result<ApiKey, StoreError> {
    let mut statement = Update::new("api_keys");
    statement.set("updated_at", Timestamp::now().millis());
    if let Some(name) = update.name {
        statement.set("name", required("name", &name)?);
    }
    if let Some(models) = update.models {
        statement.set("models", models_json(models.as_ref())?);
    }
    if let Some(rpm_limit) = update.rpm_limit {
        statement.set("rpm_limit", rpm_limit.map(i64::from));
    }
    if let Some(tpm_limit) = update.tpm_limit {
        let tpm_limit = tpm_limit.map(|v| to_i64("tpm_limit", v)).transpose()?;
        statement.set("tpm_limit", tpm_limit);
    }
    if let Some(max_parallel) = update.max_parallel {
        statement.set("max_parallel", max_parallel.map(i64::from));
    }
    if let Some(budget) = update.budget {
        statement.set_budget(budget)?;
    }
    if let Some(expires_at) = update.expires_at {
        statement.set("expires_at", expires_at.map(Timestamp::millis));
    }
    if let Some(metadata) = update.metadata {
        check_metadata(&metadata)?;
        statement.set("metadata", metadata.to_string());
    }
    if let Some(guardrails) = update.guardrails {
        statement.set("guardrails", guardrails_json(guardrails.as_ref())?);
    }
    let row = db
        .fetch_optional(statement.finish(id, KEY_COLUMNS))
        .await
        .map_err(|e| StoreError::from_write(e, "key"))?
        .ok_or_else(|| StoreError::not_found("key", id))?;
    rows::key(&row)
}

pub(crate) async fn rotate<D: Driver>(
    db: &D,
    id: &str,
    grace: Option<Duration>,
) -> Result<CreatedKey, StoreError> {
    let secret = generate_key_secret();
    let now = Timestamp::now();
    let old_valid_until = now.saturating_add(grace.unwrap_or_default());
    // One statement, so two rotations racing each keep a consistent previous/current pair
    // (SET expressions read the row as it was before this update, in both databases).
    let sql = Sql::new(format!(
        "UPDATE api_keys SET previous_key_hash = key_hash, previous_valid_until = $1, \
         key_hash = $2, prefix = $3, updated_at = $4 \
         WHERE id = $5 AND revoked_at IS NULL RETURNING {KEY_COLUMNS}"
    ))
    .bind(old_valid_until.millis())
    .bind(hex::encode(hash_key(&secret)))
    .bind(visible_prefix(&secret))
    .bind(now.millis())
    .bind(id);
    match db.fetch_optional(sql).await? {
        Some(row) => Ok(CreatedKey {
            key: rows::key(&row)?,
            secret,
        }),
        None => match get(db, id).await? {
            Some(_) => Err(StoreError::Invalid(format!(
                "key `{id}` is revoked and cannot be rotated"
            ))),
            None => Err(StoreError::not_found("key", id)),
        },
    }
}

pub(crate) async fn revoke<D: Driver>(db: &D, id: &str) -> Result<ApiKey, StoreError> {
    let sql = Sql::new(format!(
        "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1), updated_at = $1 \
         WHERE id = $2 RETURNING {KEY_COLUMNS}"
    ))
    .bind(Timestamp::now().millis())
    .bind(id);
    let row = db
        .fetch_optional(sql)
        .await?
        .ok_or_else(|| StoreError::not_found("key", id))?;
    rows::key(&row)
}

pub(crate) async fn expire<D: Driver>(db: &D, id: &str) -> Result<ApiKey, StoreError> {
    let sql = Sql::new(format!(
        "UPDATE api_keys SET updated_at = $1, expires_at = CASE \
         WHEN expires_at IS NOT NULL AND expires_at < $1 THEN expires_at ELSE $1 END \
         WHERE id = $2 RETURNING {KEY_COLUMNS}"
    ))
    .bind(Timestamp::now().millis())
    .bind(id);
    let row = db
        .fetch_optional(sql)
        .await?
        .ok_or_else(|| StoreError::not_found("key", id))?;
    rows::key(&row)
}

pub(crate) async fn find_by_hash<D: Driver>(
    db: &D,
    hash: &[u8; 32],
    now: Timestamp,
) -> Result<Option<KeyLookup>, StoreError> {
    let hash = hex::encode(hash);
    let sql = Sql::new(format!(
        "SELECT {KEY_COLUMNS}, key_hash, previous_valid_until FROM api_keys \
         WHERE key_hash = $1 OR previous_key_hash = $1"
    ))
    .bind(hash.as_str());
    let mut found = None;
    for row in db.fetch_all(sql).await? {
        let matched_previous = row.text("key_hash")? != hash;
        // A current secret wins over a previous one (they never collide in practice).
        if found.is_some() && matched_previous {
            continue;
        }
        let previous_valid_until = row.opt_int("previous_valid_until")?.map(Timestamp);
        found = Some((rows::key(&row)?, matched_previous, previous_valid_until));
    }
    Ok(found.map(|(key, matched_previous, previous_valid_until)| {
        let mut status = key.status_at(now);
        if status == KeyStatus::Active
            && matched_previous
            && previous_valid_until.is_none_or(|until| until <= now)
        {
            status = KeyStatus::Rotated;
        }
        KeyLookup {
            key,
            status,
            matched_previous,
        }
    }))
}

pub(crate) async fn touch_last_used<D: Driver>(
    db: &D,
    ids: &[String],
    at: Timestamp,
) -> Result<u64, StoreError> {
    let mut changed = 0;
    for chunk in ids.chunks(TOUCH_CHUNK) {
        let mut sql = Sql::new("UPDATE api_keys SET last_used_at = ");
        let at = sql.arg(at.millis());
        sql.push(&format!(
            "{at} WHERE (last_used_at IS NULL OR last_used_at < {at}) AND id IN ("
        ));
        for (i, id) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            let placeholder = sql.arg(id.as_str());
            sql.push(&placeholder);
        }
        sql.push(")");
        changed += db.execute(sql).await?;
    }
    Ok(changed)
}

/// The organization of the team or user a key names, when the caller did not name one.
async fn owner_org<D: Driver>(
    db: &D,
    team_id: Option<&str>,
    user_id: Option<&str>,
) -> Result<Option<String>, StoreError> {
    let (table, entity, id) = match (team_id, user_id) {
        (Some(team_id), _) => ("teams", "team", team_id),
        (None, Some(user_id)) => ("users", "user", user_id),
        (None, None) => return Ok(None),
    };
    let sql = Sql::new(format!("SELECT org_id FROM {table} WHERE id = $1")).bind(id);
    match db.fetch_optional(sql).await? {
        Some(row) => Ok(Some(row.text("org_id")?)),
        None => Err(StoreError::Invalid(format!(
            "{entity} `{id}` does not exist"
        ))),
    }
}

fn models_json(models: Option<&Vec<String>>) -> Result<Option<String>, StoreError> {
    models
        .map(|models| {
            serde_json::to_string(models).map_err(|e| StoreError::Invalid(format!("models: {e}")))
        })
        .transpose()
}

/// Metadata is a JSON object; its `tags`, if present, an array of strings.
fn check_metadata(metadata: &serde_json::Value) -> Result<(), StoreError> {
    let Some(object) = metadata.as_object() else {
        return Err(StoreError::Invalid("metadata must be a JSON object".into()));
    };
    if let Some(tags) = object.get("tags")
        && !tags
            .as_array()
            .is_some_and(|tags| tags.iter().all(serde_json::Value::is_string))
    {
        return Err(StoreError::Invalid(
            "metadata.tags must be an array of strings".into(),
        ));
    }
    Ok(())
}
