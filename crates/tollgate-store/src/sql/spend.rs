//! The spend log: batched, idempotent inserts that settle each key's spend (and charge credits),
//! the listing, and the sums that seed budget counters.

use std::collections::{BTreeMap, HashMap};

use tollgate_types::NanoUsd;

use crate::StoreError;
use crate::driver::{Arg, Driver, DriverTx, Sql, SqlRow};
use crate::model::{
    CreditKind, Page, PageRequest, SpendBatchOutcome, SpendRecord, SpendScope, UsageFilter,
};
use crate::sql::build::into_page;
use crate::sql::rows::{self, CREDIT_COLUMNS, SPEND_COLUMNS};
use crate::sql::usage::filter_rows;
use crate::time::Timestamp;

/// Rows per INSERT statement (25 arguments each: 2,500 placeholders, far below both databases'
/// limits: SQLite's 32,766, PostgreSQL's 65,535; a unit test checks). SQLite binds them
/// anonymously (see the SQLite driver), so statement size costs nothing per argument.
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
    for chunk in insert_chunks(rows) {
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

/// Spend rows go in with statements of these sizes only (a batch is cut greedily, largest
/// first), so each connection prepares at most four INSERTs once and reuses them from its
/// statement cache, and their text is built once per process. Before, every batch size was a new
/// statement: rebuilding and re-preparing it cost a sixth of the gateway's CPU under load.
const INSERT_SIZES: [usize; 4] = [INSERT_CHUNK, 25, 5, 1];
const SPEND_ARGS_PER_ROW: usize = 25;

/// `rows` in statement-sized pieces (see [`INSERT_SIZES`]).
fn insert_chunks(mut rows: &[SpendRecord]) -> impl Iterator<Item = &[SpendRecord]> {
    std::iter::from_fn(move || {
        let size = INSERT_SIZES.into_iter().find(|size| *size <= rows.len())?;
        let (chunk, rest) = rows.split_at(size);
        rows = rest;
        Some(chunk)
    })
}

/// The INSERT text for `rows` rows (one of [`INSERT_SIZES`]), built once.
fn insert_text(rows: usize) -> &'static str {
    static TEXTS: std::sync::OnceLock<Vec<(usize, String)>> = std::sync::OnceLock::new();
    let texts = TEXTS.get_or_init(|| {
        INSERT_SIZES
            .into_iter()
            .map(|size| {
                let mut text = format!("INSERT INTO spend_log ({SPEND_COLUMNS}) VALUES ");
                for row in 0..size {
                    if row > 0 {
                        text.push_str(", ");
                    }
                    text.push('(');
                    for column in 0..SPEND_ARGS_PER_ROW {
                        if column > 0 {
                            text.push_str(", ");
                        }
                        text.push_str(&format!("${}", row * SPEND_ARGS_PER_ROW + column + 1));
                    }
                    text.push(')');
                }
                text.push_str(
                    " ON CONFLICT (request_id) DO NOTHING RETURNING request_id, key_id, cost_nanos",
                );
                (size, text)
            })
            .collect()
    });
    texts
        .iter()
        .find(|(size, _)| *size == rows)
        .map_or("", |(_, text)| text.as_str())
}

fn insert_statement(rows: &[SpendRecord]) -> Sql {
    let mut sql = Sql::new(insert_text(rows.len()));
    sql.args.reserve(rows.len() * SPEND_ARGS_PER_ROW);
    for row in rows {
        let values: [Arg; SPEND_ARGS_PER_ROW] = [
            row.request_id.as_str().into(),
            row.client_request_id.as_deref().into(),
            row.created_at.millis().into(),
            row.org_id.as_deref().into(),
            row.team_id.as_deref().into(),
            row.user_id.as_deref().into(),
            row.key_id.as_deref().into(),
            row.end_user.as_deref().into(),
            row.requested_model.as_str().into(),
            row.deployment.as_deref().into(),
            row.provider.as_deref().into(),
            i64::from(row.attempts).into(),
            saturating(row.usage.input_tokens).into(),
            saturating(row.usage.output_tokens).into(),
            saturating(row.usage.cached_input_tokens).into(),
            saturating(row.usage.cache_write_tokens).into(),
            saturating(row.usage.reasoning_tokens).into(),
            row.cost.map(|cost| cost.0).into(),
            row.cost_source.as_str().into(),
            row.latency_ms.map(saturating).into(),
            row.ttft_ms.map(saturating).into(),
            i64::from(row.status).into(),
            row.error_class.as_deref().into(),
            serde_json::Value::from(row.tags.clone()).to_string().into(),
            row.guardrails
                .as_ref()
                .map(|findings| findings.to_string())
                .into(),
        ];
        sql.args.extend(values);
    }
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

#[cfg(test)]
mod tests {
    use super::{INSERT_SIZES, SPEND_ARGS_PER_ROW, SPEND_COLUMNS, insert_chunks, insert_text};
    use crate::model::{SpendCostSource, SpendRecord};
    use crate::time::Timestamp;

    fn row() -> SpendRecord {
        SpendRecord {
            request_id: "r".into(),
            client_request_id: None,
            created_at: Timestamp(0),
            org_id: None,
            team_id: None,
            user_id: None,
            key_id: None,
            end_user: None,
            requested_model: "m".into(),
            deployment: None,
            provider: None,
            attempts: 0,
            usage: tollgate_types::Usage::default(),
            cost: None,
            cost_source: SpendCostSource::Catalog,
            latency_ms: None,
            ttft_ms: None,
            status: 200,
            error_class: None,
            tags: vec![],
            guardrails: None,
            charge_credits: false,
        }
    }

    #[test]
    fn batches_are_cut_into_the_four_statement_sizes() {
        let row = row();
        for n in [0usize, 1, 4, 5, 6, 24, 25, 99, 100, 101, 237] {
            let rows = vec![row.clone(); n];
            let sizes: Vec<usize> = insert_chunks(&rows).map(<[SpendRecord]>::len).collect();
            assert_eq!(sizes.iter().sum::<usize>(), n);
            assert!(
                sizes.iter().all(|size| INSERT_SIZES.contains(size)),
                "{sizes:?}"
            );
            assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
        }
    }

    #[test]
    fn every_statement_stays_within_both_databases_bind_limits() {
        // One argument per column.
        assert_eq!(SPEND_COLUMNS.split(',').count(), SPEND_ARGS_PER_ROW);
        for size in INSERT_SIZES {
            let args = size * SPEND_ARGS_PER_ROW;
            // SQLite's SQLITE_MAX_VARIABLE_NUMBER (the default since 3.32).
            assert!(args <= 32_766, "{size} rows: {args} arguments");
            // PostgreSQL's wire protocol counts parameters in a u16.
            assert!(args <= 65_535, "{size} rows: {args} arguments");
        }
    }

    #[test]
    fn each_statement_has_one_placeholder_per_argument() {
        for size in INSERT_SIZES {
            let text = insert_text(size);
            let last = size * SPEND_ARGS_PER_ROW;
            assert!(text.contains(&format!("${last})")), "{size}");
            assert!(!text.contains(&format!("${}", last + 1)), "{size}");
        }
    }
}
