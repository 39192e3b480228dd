//! The credit ledger: appending entries (admin), listing them, and summing them exactly.
//!
//! Spend entries are not written here but by the spend writer, in the transaction that logs the
//! call (see `spend.rs`), so a logged call and its charge can never be separated.

use tollgate_types::NanoUsd;

use crate::StoreError;
use crate::driver::{Driver, DriverTx, Sql, SqlRow};
use crate::ids;
use crate::model::{CreditEntry, CreditTotals, NewCreditEntry, Page, PageRequest};
use crate::sql::build::{into_page, parse_time_cursor};
use crate::sql::rows::{self, CREDIT_COLUMNS};
use crate::time::Timestamp;

/// Rows per INSERT statement (6 arguments each).
const INSERT_CHUNK: usize = 100;

pub(crate) async fn append<D: Driver>(
    db: &D,
    org_id: &str,
    entries: &[NewCreditEntry],
) -> Result<Vec<CreditEntry>, StoreError> {
    if entries.is_empty() {
        // Nothing to record: only say whether the organization exists.
        let sql = Sql::new("SELECT id FROM organizations WHERE id = $1").bind(org_id);
        return match db.fetch_optional(sql).await? {
            Some(_) => Ok(Vec::new()),
            None => Err(StoreError::not_found("organization", org_id)),
        };
    }
    let now = Timestamp::now();
    let rows: Vec<CreditEntry> = entries
        .iter()
        .map(|entry| CreditEntry {
            id: ids::new_id(ids::CREDIT),
            org_id: org_id.to_string(),
            kind: entry.kind,
            amount: entry.amount,
            reference: entry.reference.clone(),
            created_at: now,
        })
        .collect();
    let mut tx = db.begin().await?;
    // First, so an unknown organization is a clear NotFound rather than a foreign-key error,
    // and (in PostgreSQL) so appends to one organization queue behind each other.
    let enabled = tx
        .execute(
            Sql::new("UPDATE organizations SET credits_enabled = 1 WHERE id = $1").bind(org_id),
        )
        .await?;
    if enabled == 0 {
        return Err(StoreError::not_found("organization", org_id));
    }
    for chunk in rows.chunks(INSERT_CHUNK) {
        let mut sql = Sql::new(format!(
            "INSERT INTO credit_ledger ({CREDIT_COLUMNS}) VALUES "
        ));
        for (i, row) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            let values = [
                sql.arg(row.id.as_str()),
                sql.arg(row.org_id.as_str()),
                sql.arg(row.kind.as_str()),
                sql.arg(row.amount.0),
                sql.arg(row.reference.as_deref()),
                sql.arg(row.created_at.millis()),
            ];
            sql.push(&format!("({})", values.join(", ")));
        }
        tx.execute(sql)
            .await
            .map_err(|e| StoreError::from_write(e, "credit entry"))?;
    }
    tx.commit().await?;
    Ok(rows)
}

pub(crate) async fn list<D: Driver>(
    db: &D,
    org_id: &str,
    page: &PageRequest,
) -> Result<Page<CreditEntry>, StoreError> {
    let mut sql = Sql::new(format!(
        "SELECT {CREDIT_COLUMNS} FROM credit_ledger WHERE org_id = $1"
    ))
    .bind(org_id);
    if let Some(cursor) = &page.after {
        let (at, id) = parse_time_cursor(cursor)?;
        let at = sql.arg(at);
        let id = sql.arg(id);
        sql.push(&format!(
            " AND (created_at < {at} OR (created_at = {at} AND id < {id}))"
        ));
    }
    let limit = sql.arg(page.clamped_limit() + 1);
    sql.push(&format!(" ORDER BY created_at DESC, id DESC LIMIT {limit}"));
    let items = db
        .fetch_all(sql)
        .await?
        .iter()
        .map(rows::credit)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(into_page(items, page, |entry| {
        format!("{}:{}", entry.created_at.millis(), entry.id)
    }))
}

pub(crate) async fn totals<D: Driver>(db: &D, org_id: &str) -> Result<CreditTotals, StoreError> {
    // PostgreSQL's SUM over BIGINT is NUMERIC: cast back so both databases answer an integer.
    let sql = Sql::new(
        "SELECT \
         CAST(COALESCE(SUM(CASE WHEN kind <> 'spend' THEN amount_nanos ELSE 0 END), 0) AS BIGINT) \
         AS credited, \
         CAST(COALESCE(SUM(CASE WHEN kind = 'spend' THEN -amount_nanos ELSE 0 END), 0) AS BIGINT) \
         AS spent \
         FROM credit_ledger WHERE org_id = $1",
    )
    .bind(org_id);
    let row = db
        .fetch_optional(sql)
        .await?
        .ok_or_else(|| StoreError::corrupt("credit_ledger", "an aggregate answered no row"))?;
    Ok(CreditTotals {
        credited: NanoUsd(row.int("credited")?),
        spent: NanoUsd(row.int("spent")?),
    })
}
