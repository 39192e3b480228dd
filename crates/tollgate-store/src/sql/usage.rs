//! Usage: spend, tokens and request counts per bucket and group, aggregated in SQL.

use std::cmp::Ordering;

use tollgate_types::NanoUsd;

use crate::StoreError;
use crate::driver::{Driver, Sql, SqlRow};
use crate::model::{Bucket, Dimension, UsageFilter, UsageRow};
use crate::sql::build::filter_eq;
use crate::time::Timestamp;

/// `created_at` in `[from, to)` and the tenant/model filters, without a leading `AND`.
pub(crate) fn filter_rows(sql: &mut Sql, filter: &UsageFilter) {
    let from = sql.arg(filter.from.millis());
    let to = sql.arg(filter.to.millis());
    sql.push(&format!("created_at >= {from} AND created_at < {to}"));
    filter_eq(sql, "org_id", filter.org_id.as_deref());
    filter_eq(sql, "team_id", filter.team_id.as_deref());
    filter_eq(sql, "user_id", filter.user_id.as_deref());
    filter_eq(sql, "key_id", filter.key_id.as_deref());
    filter_eq(sql, "requested_model", filter.model.as_deref());
}

pub(crate) async fn query<D: Driver>(
    db: &D,
    filter: &UsageFilter,
    group_by: &[Dimension],
    bucket: Bucket,
) -> Result<Vec<UsageRow>, StoreError> {
    let mut dimensions: Vec<Dimension> = Vec::with_capacity(group_by.len());
    for dimension in group_by {
        if !dimensions.contains(dimension) {
            dimensions.push(*dimension);
        }
    }
    let mut sql = Sql::new("SELECT ");
    // Integer division truncates the same way in both databases (times are never negative).
    let width = sql.arg(bucket.millis());
    sql.push(&format!("(created_at / {width}) * {width} AS bucket_start"));
    for dimension in &dimensions {
        sql.push(&format!(", {}", dimension.column()));
    }
    // PostgreSQL's SUM over BIGINT is NUMERIC: cast back so both databases answer an integer.
    sql.push(
        ", COUNT(*) AS requests, \
         CAST(COALESCE(SUM(input_tokens), 0) AS BIGINT) AS input_tokens, \
         CAST(COALESCE(SUM(output_tokens), 0) AS BIGINT) AS output_tokens, \
         CAST(COALESCE(SUM(cached_input_tokens), 0) AS BIGINT) AS cached_input_tokens, \
         CAST(COALESCE(SUM(cache_write_tokens), 0) AS BIGINT) AS cache_write_tokens, \
         CAST(COALESCE(SUM(reasoning_tokens), 0) AS BIGINT) AS reasoning_tokens, \
         CAST(COALESCE(SUM(cost_nanos), 0) AS BIGINT) AS cost_nanos, \
         CAST(COALESCE(SUM(CASE WHEN cost_source = 'unpriced' THEN 1 ELSE 0 END), 0) AS BIGINT) \
         AS unpriced_requests \
         FROM spend_log WHERE ",
    );
    filter_rows(&mut sql, filter);
    let positions: Vec<String> = (1..=dimensions.len() + 1).map(|i| i.to_string()).collect();
    sql.push(&format!(" GROUP BY {}", positions.join(", ")));

    let mut rows = db
        .fetch_all(sql)
        .await?
        .iter()
        .map(|row| usage_row(row, &dimensions))
        .collect::<Result<Vec<_>, _>>()?;
    // Sorted here rather than in SQL: the databases order NULLs and text differently.
    rows.sort_by(compare);
    Ok(rows)
}

fn usage_row(row: &impl SqlRow, dimensions: &[Dimension]) -> Result<UsageRow, StoreError> {
    let value = |dimension: Dimension| -> Result<Option<String>, StoreError> {
        if dimensions.contains(&dimension) {
            row.opt_text(dimension.column())
        } else {
            Ok(None)
        }
    };
    Ok(UsageRow {
        bucket_start: Timestamp(row.int("bucket_start")?),
        org_id: value(Dimension::Org)?,
        team_id: value(Dimension::Team)?,
        user_id: value(Dimension::User)?,
        key_id: value(Dimension::Key)?,
        model: value(Dimension::Model)?,
        provider: value(Dimension::Provider)?,
        requests: count(row, "requests")?,
        input_tokens: count(row, "input_tokens")?,
        output_tokens: count(row, "output_tokens")?,
        cached_input_tokens: count(row, "cached_input_tokens")?,
        cache_write_tokens: count(row, "cache_write_tokens")?,
        reasoning_tokens: count(row, "reasoning_tokens")?,
        cost: NanoUsd(row.int("cost_nanos")?),
        unpriced_requests: count(row, "unpriced_requests")?,
    })
}

fn count(row: &impl SqlRow, column: &'static str) -> Result<u64, StoreError> {
    let value = row.int(column)?;
    u64::try_from(value).map_err(|_| StoreError::corrupt(column, format!("{value} is negative")))
}

/// Bucket first, then each dimension by its bytes, missing values last.
fn compare(a: &UsageRow, b: &UsageRow) -> Ordering {
    fn values(row: &UsageRow) -> [&Option<String>; 6] {
        [
            &row.org_id,
            &row.team_id,
            &row.user_id,
            &row.key_id,
            &row.model,
            &row.provider,
        ]
    }
    fn missing_last(a: &Option<String>, b: &Option<String>) -> Ordering {
        match (a, b) {
            (Some(a), Some(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    }
    a.bucket_start.cmp(&b.bucket_start).then_with(|| {
        values(a)
            .iter()
            .zip(values(b).iter())
            .map(|(a, b)| missing_last(a, b))
            .find(|ordering| ordering.is_ne())
            .unwrap_or(Ordering::Equal)
    })
}
