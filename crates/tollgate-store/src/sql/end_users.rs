//! End users' own budgets, keyed by (organization, end user); `''` stands for keys outside any
//! organization.

use crate::StoreError;
use crate::driver::{Driver, Sql};
use crate::model::{Budget, EndUserBudget, Page, PageRequest};
use crate::sql::build::{budget_alert_percent, budget_mode, check_budget, into_page};
use crate::sql::rows::{self, END_USER_BUDGET_COLUMNS};
use crate::time::Timestamp;

fn org_column(org_id: Option<&str>) -> &str {
    org_id.unwrap_or("")
}

/// Sets (or replaces) `end_user`'s budget.
pub(crate) async fn put<D: Driver>(
    db: &D,
    org_id: Option<&str>,
    end_user: &str,
    budget: Budget,
) -> Result<EndUserBudget, StoreError> {
    check_budget(Some(&budget))?;
    if end_user.is_empty() {
        return Err(StoreError::Invalid("end user must not be empty".into()));
    }
    let stored = EndUserBudget {
        org_id: org_id.map(str::to_string),
        end_user: end_user.to_string(),
        budget,
        updated_at: Timestamp::now(),
    };
    let sql = Sql::new(
        "INSERT INTO end_user_budgets (org_id, end_user, budget_nanos, budget_period, \
         budget_mode, budget_alert_percent, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (org_id, end_user) DO UPDATE SET budget_nanos = excluded.budget_nanos, \
         budget_period = excluded.budget_period, budget_mode = excluded.budget_mode, \
         budget_alert_percent = excluded.budget_alert_percent, updated_at = excluded.updated_at",
    )
    .bind(org_column(org_id))
    .bind(end_user)
    .bind(budget.amount.0)
    .bind(budget.period.as_str())
    .bind(budget_mode(Some(budget)))
    .bind(budget_alert_percent(Some(budget)))
    .bind(stored.updated_at.millis());
    db.execute(sql)
        .await
        .map_err(|e| StoreError::from_write(e, "end-user budget"))?;
    Ok(stored)
}

pub(crate) async fn get<D: Driver>(
    db: &D,
    org_id: Option<&str>,
    end_user: &str,
) -> Result<Option<EndUserBudget>, StoreError> {
    let sql = Sql::new(format!(
        "SELECT {END_USER_BUDGET_COLUMNS} FROM end_user_budgets WHERE org_id = $1 AND end_user = $2"
    ))
    .bind(org_column(org_id))
    .bind(end_user);
    db.fetch_optional(sql)
        .await?
        .as_ref()
        .map(rows::end_user_budget)
        .transpose()
}

/// One organization's end-user budgets, by end user.
pub(crate) async fn list<D: Driver>(
    db: &D,
    org_id: Option<&str>,
    page: &PageRequest,
) -> Result<Page<EndUserBudget>, StoreError> {
    let mut sql = Sql::new(format!(
        "SELECT {END_USER_BUDGET_COLUMNS} FROM end_user_budgets WHERE org_id = $1"
    ))
    .bind(org_column(org_id));
    if let Some(after) = &page.after {
        let after = sql.arg(after.as_str());
        sql.push(&format!(" AND end_user > {after}"));
    }
    let limit = sql.arg(page.clamped_limit() + 1);
    sql.push(&format!(" ORDER BY end_user LIMIT {limit}"));
    let items = db
        .fetch_all(sql)
        .await?
        .iter()
        .map(rows::end_user_budget)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(into_page(items, page, |budget| budget.end_user.clone()))
}

pub(crate) async fn delete<D: Driver>(
    db: &D,
    org_id: Option<&str>,
    end_user: &str,
) -> Result<(), StoreError> {
    let deleted = db
        .execute(
            Sql::new("DELETE FROM end_user_budgets WHERE org_id = $1 AND end_user = $2")
                .bind(org_column(org_id))
                .bind(end_user),
        )
        .await
        .map_err(|e| StoreError::from_delete(e, "end-user budget"))?;
    if deleted == 0 {
        return Err(StoreError::not_found("end-user budget", end_user));
    }
    Ok(())
}
