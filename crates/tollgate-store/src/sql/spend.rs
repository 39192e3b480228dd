//! The spend log: batched, idempotent inserts that settle each key's spend, and the listing.

use std::collections::BTreeMap;

use crate::StoreError;
use crate::driver::{Driver, DriverTx, Sql, SqlRow};
use crate::model::{Page, PageRequest, SpendBatchOutcome, SpendRecord, UsageFilter};
use crate::sql::build::into_page;
use crate::sql::rows::{self, SPEND_COLUMNS};
use crate::sql::usage::filter_rows;

/// Rows per INSERT statement (24 arguments each: 2,400 placeholders, far below both databases'
/// limits). SQLite binds them anonymously (see the SQLite driver), so statement size costs nothing
/// per argument.
const INSERT_CHUNK: usize = 100;

pub(crate) async fn insert<D: Driver>(
    db: &D,
    rows: &[SpendRecord],
) -> Result<SpendBatchOutcome, StoreError> {
    if rows.is_empty() {
        return Ok(SpendBatchOutcome::default());
    }
    let mut tx = db.begin().await?;
    let mut inserted = 0u64;
    // Only rows this statement really inserted come back (ON CONFLICT DO NOTHING skips a
    // request id already logged), so a retried batch adds nothing to any key's spend.
    let mut spend_by_key: BTreeMap<String, i64> = BTreeMap::new();
    for chunk in rows.chunks(INSERT_CHUNK) {
        for row in tx.fetch_all(insert_statement(chunk)).await? {
            inserted += 1;
            if let (Some(key_id), Some(cost)) =
                (row.opt_text("key_id")?, row.opt_int("cost_nanos")?)
            {
                let total = spend_by_key.entry(key_id).or_default();
                *total = total.saturating_add(cost);
            }
        }
    }
    // In key order, so writers on several instances lock keys in the same order (no deadlock).
    for (key_id, cost) in spend_by_key {
        if cost != 0 {
            let sql = Sql::new("UPDATE api_keys SET spend_nanos = spend_nanos + $1 WHERE id = $2")
                .bind(cost)
                .bind(key_id);
            tx.execute(sql).await?;
        }
    }
    tx.commit().await?;
    let total = u64::try_from(rows.len()).unwrap_or(u64::MAX);
    Ok(SpendBatchOutcome {
        inserted,
        duplicates: total.saturating_sub(inserted),
    })
}

fn insert_statement(rows: &[SpendRecord]) -> Sql {
    let mut sql = Sql::new(format!("INSERT INTO spend_log ({SPEND_COLUMNS}) VALUES "));
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        let values = [
            sql.arg(row.request_id.as_str()),
            sql.arg(row.created_at.millis()),
            sql.arg(row.org_id.as_deref()),
            sql.arg(row.team_id.as_deref()),
            sql.arg(row.user_id.as_deref()),
            sql.arg(row.key_id.as_deref()),
            sql.arg(row.end_user.as_deref()),
            sql.arg(row.requested_model.as_str()),
            sql.arg(row.deployment.as_deref()),
            sql.arg(row.provider.as_deref()),
            sql.arg(i64::from(row.attempts)),
            sql.arg(saturating(row.usage.input_tokens)),
            sql.arg(saturating(row.usage.output_tokens)),
            sql.arg(saturating(row.usage.cached_input_tokens)),
            sql.arg(saturating(row.usage.cache_write_tokens)),
            sql.arg(saturating(row.usage.reasoning_tokens)),
            sql.arg(row.cost.map(|cost| cost.0)),
            sql.arg(row.cost_source.as_str()),
            sql.arg(row.latency_ms.map(saturating)),
            sql.arg(row.ttft_ms.map(saturating)),
            sql.arg(i64::from(row.status)),
            sql.arg(row.error_class.as_deref()),
            sql.arg(serde_json::Value::from(row.tags.clone()).to_string()),
            sql.arg(row.guardrails.as_ref().map(|findings| findings.to_string())),
        ];
        sql.push(&format!("({})", values.join(", ")));
    }
    sql.push(" ON CONFLICT (request_id) DO NOTHING RETURNING key_id, cost_nanos");
    sql
}

/// Counts never come near `i64::MAX`; if one did, recording it capped beats losing the row.
fn saturating(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

pub(crate) async fn list<D: Driver>(
    db: &D,
    filter: &UsageFilter,
    page: &PageRequest,
) -> Result<Page<SpendRecord>, StoreError> {
    let mut sql = Sql::new(format!("SELECT {SPEND_COLUMNS} FROM spend_log WHERE "));
    filter_rows(&mut sql, filter);
    if let Some(cursor) = &page.after {
        let (at, request_id) = parse_cursor(cursor)?;
        let at = sql.arg(at);
        let request_id = sql.arg(request_id);
        sql.push(&format!(
            " AND (created_at < {at} OR (created_at = {at} AND request_id < {request_id}))"
        ));
    }
    let limit = sql.arg(page.clamped_limit() + 1);
    sql.push(&format!(
        " ORDER BY created_at DESC, request_id DESC LIMIT {limit}"
    ));
    let items = db
        .fetch_all(sql)
        .await?
        .iter()
        .map(rows::spend)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(into_page(items, page, |row| {
        format!("{}:{}", row.created_at.millis(), row.request_id)
    }))
}

/// `MILLIS:REQUEST_ID`, as `list` writes it.
fn parse_cursor(cursor: &str) -> Result<(i64, &str), StoreError> {
    cursor
        .split_once(':')
        .and_then(|(at, request_id)| Some((at.parse().ok()?, request_id)))
        .ok_or_else(|| StoreError::Invalid(format!("bad page cursor `{cursor}`")))
}
