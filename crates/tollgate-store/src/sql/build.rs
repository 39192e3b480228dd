//! Small builders shared by the statements: pagination, partial updates, input checks.

use tollgate_types::NanoUsd;

use crate::StoreError;
use crate::driver::{Arg, Sql};
use crate::model::{Budget, BudgetMode, Page, PageRequest};

/// Appends the keyset condition and order for a page in id order. Asks for one row more than
/// the page holds, so `into_page` can tell whether another page follows.
pub(crate) fn paginate_by_id(sql: &mut Sql, page: &PageRequest) {
    if let Some(after) = &page.after {
        let after = sql.arg(after.as_str());
        sql.push(&format!(" AND id > {after}"));
    }
    let limit = sql.arg(page.clamped_limit() + 1);
    sql.push(&format!(" ORDER BY id LIMIT {limit}"));
}

/// Cuts the extra row off and turns it into the `next` cursor.
pub(crate) fn into_page<T>(
    mut items: Vec<T>,
    page: &PageRequest,
    cursor: impl Fn(&T) -> String,
) -> Page<T> {
    let limit = usize::try_from(page.clamped_limit()).unwrap_or(usize::MAX);
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(cursor)
    } else {
        None
    };
    Page { items, next }
}

/// A newest-first page's cursor, `MILLIS:ID` (as the lists ordered by time write it).
pub(crate) fn parse_time_cursor(cursor: &str) -> Result<(i64, &str), StoreError> {
    cursor
        .split_once(':')
        .and_then(|(at, id)| Some((at.parse().ok()?, id)))
        .ok_or_else(|| StoreError::Invalid(format!("bad page cursor `{cursor}`")))
}

/// Appends `AND column = $n` when the filter has a value.
pub(crate) fn filter_eq(sql: &mut Sql, column: &str, value: Option<&str>) {
    if let Some(value) = value {
        let placeholder = sql.arg(value);
        sql.push(&format!(" AND {column} = {placeholder}"));
    }
}

/// `UPDATE table SET a = $1, b = $2 WHERE id = $3 RETURNING …`, with only the columns given.
pub(crate) struct Update {
    sql: Sql,
    columns: usize,
}

impl Update {
    pub(crate) fn new(table: &str) -> Update {
        Update {
            sql: Sql::new(format!("UPDATE {table} SET ")),
            columns: 0,
        }
    }

    pub(crate) fn set(&mut self, column: &str, value: impl Into<Arg>) {
        if self.columns > 0 {
            self.sql.push(", ");
        }
        let placeholder = self.sql.arg(value);
        self.sql.push(&format!("{column} = {placeholder}"));
        self.columns += 1;
    }

    /// Sets or clears the `budget_nanos`/`budget_period` pair (always together: a CHECK wants
    /// both or neither).
    pub(crate) fn set_budget(&mut self, budget: Option<Budget>) -> Result<(), StoreError> {
        check_budget(budget.as_ref())?;
        self.set("budget_nanos", budget.map(|budget| budget.amount.0));
        self.set("budget_period", budget.map(|budget| budget.period.as_str()));
        self.set("budget_mode", budget_mode(budget));
        self.set("budget_alert_percent", budget_alert_percent(budget));
        Ok(())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.columns == 0
    }

    pub(crate) fn finish(mut self, id: &str, returning: &str) -> Sql {
        let id = self.sql.arg(id);
        self.sql
            .push(&format!(" WHERE id = {id} RETURNING {returning}"));
        self.sql
    }
}

/// Guardrail overrides as stored: a JSON object's text, or NULL. The admin API checks the
/// shape; the store only insists on an object.
pub(crate) fn guardrails_json(
    guardrails: Option<&serde_json::Value>,
) -> Result<Option<String>, StoreError> {
    match guardrails {
        None => Ok(None),
        Some(value) if value.is_object() => Ok(Some(value.to_string())),
        Some(_) => Err(StoreError::Invalid(
            "guardrails must be a JSON object".into(),
        )),
    }
}

/// A name-like field: trimmed, and not empty.
pub(crate) fn required(field: &str, value: &str) -> Result<String, StoreError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(StoreError::Invalid(format!("{field} must not be empty")));
    }
    Ok(value.to_string())
}

/// A count the domain keeps unsigned, into the `i64` both databases store.
pub(crate) fn to_i64(field: &str, value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Invalid(format!("{field} is too large")))
}

/// A budget is never negative (zero is allowed: it blocks every priced call).
pub(crate) fn check_budget(budget: Option<&Budget>) -> Result<(), StoreError> {
    if budget.is_some_and(|budget| budget.amount < NanoUsd::ZERO) {
        return Err(StoreError::Invalid("budget must not be negative".into()));
    }
    if budget
        .and_then(|budget| budget.alert_at_percent)
        .is_some_and(|percent| !(1..=100).contains(&percent))
    {
        return Err(StoreError::Invalid(
            "budget alert percent must be between 1 and 100".into(),
        ));
    }
    Ok(())
}

/// The `budget_mode` column of a budget (`NULL`: the gateway's default).
pub(crate) fn budget_mode(budget: Option<Budget>) -> Option<&'static str> {
    budget
        .and_then(|budget| budget.mode)
        .map(BudgetMode::as_str)
}

/// The `budget_alert_percent` column of a budget (`NULL`: the gateway's default).
pub(crate) fn budget_alert_percent(budget: Option<Budget>) -> Option<i64> {
    budget
        .and_then(|budget| budget.alert_at_percent)
        .map(i64::from)
}
