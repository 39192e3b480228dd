//! Teams: named groups of users and keys inside one organization.

use crate::StoreError;
use crate::driver::{Driver, Sql};
use crate::ids;
use crate::model::{NewTeam, Page, PageRequest, Team, TeamFilter, TeamUpdate};
use crate::sql::build::{
    Update, budget_alert_percent, budget_mode, check_budget, filter_eq, guardrails_json, into_page,
    paginate_by_id, required, to_i64,
};
use crate::sql::rows::{self, TEAM_COLUMNS};
use crate::time::Timestamp;

pub(crate) async fn create<D: Driver>(db: &D, new: NewTeam) -> Result<Team, StoreError> {
    check_budget(new.budget.as_ref())?;
    let guardrails = guardrails_json(new.guardrails.as_ref())?;
    let team = Team {
        id: ids::new_id(ids::TEAM),
        org_id: new.org_id,
        name: required("name", &new.name)?,
        budget: new.budget,
        rpm_limit: new.rpm_limit,
        tpm_limit: new.tpm_limit,
        max_parallel: new.max_parallel,
        guardrails: new.guardrails,
        created_at: Timestamp::now(),
    };
    let sql = Sql::new(
        "INSERT INTO teams (id, org_id, name, budget_nanos, budget_period, budget_mode, \
         budget_alert_percent, rpm_limit, tpm_limit, max_parallel, guardrails, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(team.id.as_str())
    .bind(team.org_id.as_str())
    .bind(team.name.as_str())
    .bind(team.budget.map(|budget| budget.amount.0))
    .bind(team.budget.map(|budget| budget.period.as_str()))
    .bind(budget_mode(team.budget))
    .bind(budget_alert_percent(team.budget))
    .bind(team.rpm_limit.map(i64::from))
    .bind(team.tpm_limit.map(|v| to_i64("tpm_limit", v)).transpose()?)
    .bind(team.max_parallel.map(i64::from))
    .bind(guardrails)
    .bind(team.created_at.millis());
    db.execute(sql)
        .await
        .map_err(|e| StoreError::from_write(e, "team"))?;
    Ok(team)
}

pub(crate) async fn get<D: Driver>(db: &D, id: &str) -> Result<Option<Team>, StoreError> {
    let sql = Sql::new(format!("SELECT {TEAM_COLUMNS} FROM teams WHERE id = $1")).bind(id);
    db.fetch_optional(sql)
        .await?
        .as_ref()
        .map(rows::team)
        .transpose()
}

pub(crate) async fn list<D: Driver>(
    db: &D,
    filter: &TeamFilter,
    page: &PageRequest,
) -> Result<Page<Team>, StoreError> {
    let mut sql = Sql::new(format!("SELECT {TEAM_COLUMNS} FROM teams WHERE 1 = 1"));
    filter_eq(&mut sql, "org_id", filter.org_id.as_deref());
    paginate_by_id(&mut sql, page);
    let items = db
        .fetch_all(sql)
        .await?
        .iter()
        .map(rows::team)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(into_page(items, page, |team| team.id.clone()))
}

pub(crate) async fn update<D: Driver>(
    db: &D,
    id: &str,
    update: TeamUpdate,
) -> Result<Team, StoreError> {
    let mut statement = Update::new("teams");
    if let Some(name) = update.name {
        statement.set("name", required("name", &name)?);
    }
    if let Some(budget) = update.budget {
        statement.set_budget(budget)?;
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
    if let Some(guardrails) = update.guardrails {
        statement.set("guardrails", guardrails_json(guardrails.as_ref())?);
    }
    if statement.is_empty() {
        return get(db, id)
            .await?
            .ok_or_else(|| StoreError::not_found("team", id));
    }
    let row = db
        .fetch_optional(statement.finish(id, TEAM_COLUMNS))
        .await
        .map_err(|e| StoreError::from_write(e, "team"))?
        .ok_or_else(|| StoreError::not_found("team", id))?;
    rows::team(&row)
}

pub(crate) async fn delete<D: Driver>(db: &D, id: &str) -> Result<(), StoreError> {
    let deleted = db
        .execute(Sql::new("DELETE FROM teams WHERE id = $1").bind(id))
        .await
        .map_err(|e| StoreError::from_delete(e, "team"))?;
    if deleted == 0 {
        return Err(StoreError::not_found("team", id));
    }
    Ok(())
}
