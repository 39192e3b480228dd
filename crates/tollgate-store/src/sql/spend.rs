//! The spend log: batched, idempotent inserts that settle each key's spend (and charge credits),
//! the listing, and the sums that seed budget counters.

use std::collections::{BTreeMap, HashMap};

use tollgate_types::NanoUsd;

use crate::StoreError;
use crate::driver::{Driver, DriverTx, Sql, SqlRow};
use crate::model::{
    CreditKind, Page, PageRequest, SpendBatchOutcome, SpendRecord, SpendScope, UsageFilter,
};
use crate::sql::build::into_page;
use crate::sql::rows::{self, CREDIT_COLUMNS, SPEND_COLUMNS};
use crate::sql::usage::filter_rows;
use crate::time::Timestamp;

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
    // The same holds for credits: only a newly logged call is charged.
    let mut charges: Vec<Charge<'_>> = Vec::new();
    for chunk in rows.chunks(INSERT_CHUNK) {
        let chargeable: HashMap<&str, Charge<'_>> = chunk
            .iter()
            .filter_map(Charge::of)
            .map(|charge| (charge.request_id, charge))
            .collect();
        for row in tx.fetch_all(insert_statement(chunk)).await? {
            inserted += 1;
            if let (Some(key_id), Some(cost)) =
                (row.opt_text("key_id")?, row.opt_int("cost_nanos")?)
            {
                let total = spend_by_key.entry(key_id).or_default();
                *total = total.saturating_add(cost);
            }
            if let Some(charge) = chargeable.get(row.text("request_id")?.as_str()) {
                charges.push(*charge);
            }
        }
    }
    for chunk in charges.chunks(INSERT_CHUNK) {
        tx.execute(charge_statement(chunk)).await?;
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
    sql.push(" ON CONFLICT (request_id) DO NOTHING RETURNING request_id, key_id, cost_nanos");
    sql
}

/// A logged call to draw from its organization's credits.
#[derive(Debug, Clone, Copy)]
struct Charge<'a> {
    request_id: &'a str,
    org_id: &'a str,
    cost: NanoUsd,
    at: Timestamp,
}

impl<'a> Charge<'a> {
    /// Only priced calls of an organization that asked for it cost credits.
    fn of(row: &'a SpendRecord) -> Option<Charge<'a>> {
        let cost = row.cost.filter(|cost| *cost > NanoUsd::ZERO)?;
        Some(Charge {
            request_id: &row.request_id,
            org_id: row.org_id.as_deref().filter(|_| row.charge_credits)?,
            cost,
            at: row.created_at,
        })
    }
}

/// `spend` ledger entries for these calls. The id is derived from the request id, so an entry is
/// written at most once whatever happens to the batch. Entries of an organization that no longer
/// exists are skipped (the spend log keeps no foreign keys, the ledger does, and one deleted
/// organization must not fail a whole batch).
fn charge_statement(charges: &[Charge<'_>]) -> Sql {
    // VALUES names its columns column1, column2, … in both databases.
    let mut sql = Sql::new(format!(
        "INSERT INTO credit_ledger ({CREDIT_COLUMNS}) \
         SELECT column1, column2, column3, column4, column5, column6 FROM (VALUES "
    ));
    for (i, charge) in charges.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        let values = [
            sql.arg(format!("spend-{}", charge.request_id)),
            sql.arg(charge.org_id),
            sql.arg(CreditKind::Spend.as_str()),
            sql.arg(0i64.saturating_sub(charge.cost.0)),
            sql.arg(charge.request_id),
            sql.arg(charge.at.millis()),
        ];
        sql.push(&format!("({})", values.join(", ")));
    }
    // The WHERE also settles SQLite's parsing of `INSERT … SELECT … ON CONFLICT`.
    sql.push(
        ") AS charges WHERE column2 IN (SELECT id FROM organizations) \
         ON CONFLICT (id) DO NOTHING",
    );
    sql
}

pub(crate) async fn spent_since<D: Driver>(
    db: &D,
    scope: SpendScope,
    since: Timestamp,
) -> Result<NanoUsd, StoreError> {
    let mut sql = Sql::new(
        "SELECT CAST(COALESCE(SUM(cost_nanos), 0) AS BIGINT) AS spent FROM spend_log \
         WHERE created_at >= $1",
    )
    .bind(since.millis());
    let mut equals = |column: &str, value: String| {
        let placeholder = sql.arg(value);
        sql.push(&format!(" AND {column} = {placeholder}"));
    };
    match scope {
        SpendScope::Key(id) => equals("key_id", id),
        SpendScope::User(id) => equals("user_id", id),
        SpendScope::Team(id) => equals("team_id", id),
        SpendScope::Org(id) => equals("org_id", id),
        SpendScope::EndUser { org_id, end_user } => {
            equals("end_user", end_user);
            match org_id {
                Some(org_id) => equals("org_id", org_id),
                None => sql.push(" AND org_id IS NULL"),
            }
        }
    }
    let row = db
        .fetch_optional(sql)
        .await?
        .ok_or_else(|| StoreError::corrupt("spend_log", "an aggregate answered no row"))?;
    Ok(NanoUsd(row.int("spent")?))
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
