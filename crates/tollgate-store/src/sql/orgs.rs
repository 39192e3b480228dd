//! Organizations.

use crate::StoreError;
use crate::driver::{Driver, Sql};
use crate::ids;
use crate::model::{NewOrganization, Organization, OrganizationUpdate, Page, PageRequest};
use crate::sql::build::{
    Update, budget_alert_percent, budget_mode, check_budget, guardrails_json, into_page,
    paginate_by_id, required,
};
use crate::sql::rows::{self, ORG_COLUMNS};
use crate::time::Timestamp;

const DEFAULT_TIER: &str = "default";

pub(crate) async fn create<D: Driver>(
    db: &D,
    new: NewOrganization,
) -> Result<Organization, StoreError> {
    let tier = match new.tier {
        Some(tier) => required("tier", &tier)?,
        None => DEFAULT_TIER.to_string(),
    };
    check_budget(new.budget.as_ref())?;
    let guardrails = guardrails_json(new.guardrails.as_ref())?;
    let org = Organization {
        id: ids::new_id(ids::ORG),
        name: required("name", &new.name)?,
        tier,
        budget: new.budget,
        credits_enabled: new.credits_enabled,
        guardrails: new.guardrails,
        created_at: Timestamp::now(),
    };
    let sql = Sql::new(
        "INSERT INTO organizations \
         (id, name, tier, budget_nanos, budget_period, budget_mode, budget_alert_percent, \
         credits_enabled, guardrails, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(org.id.as_str())
    .bind(org.name.as_str())
    .bind(org.tier.as_str())
    .bind(org.budget.map(|budget| budget.amount.0))
    .bind(org.budget.map(|budget| budget.period.as_str()))
    .bind(budget_mode(org.budget))
    .bind(budget_alert_percent(org.budget))
    .bind(i64::from(org.credits_enabled))
    .bind(guardrails)
    .bind(org.created_at.millis());
    db.execute(sql)
        .await
        .map_err(|e| StoreError::from_write(e, "organization"))?;
    Ok(org)
}

pub(crate) async fn get<D: Driver>(db: &D, id: &str) -> Result<Option<Organization>, StoreError> {
    let sql = Sql::new(format!(
        "SELECT {ORG_COLUMNS} FROM organizations WHERE id = $1"
    ))
    .bind(id);
    db.fetch_optional(sql)
        .await?
        .as_ref()
        .map(rows::org)
        .transpose()
}

pub(crate) async fn list<D: Driver>(
    db: &D,
    page: &PageRequest,
) -> Result<Page<Organization>, StoreError> {
    let mut sql = Sql::new(format!(
        "SELECT {ORG_COLUMNS} FROM organizations WHERE 1 = 1"
    ));
    paginate_by_id(&mut sql, page);
    let items = db
        .fetch_all(sql)
        .await?
        .iter()
        .map(rows::org)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(into_page(items, page, |org| org.id.clone()))
}

pub(crate) async fn update<D: Driver>(
    db: &D,
    id: &str,
    update: OrganizationUpdate,
) -> Result<Organization, StoreError> {
    let mut statement = Update::new("organizations");
    if let Some(name) = update.name {
        statement.set("name", required("name", &name)?);
    }
    if let Some(tier) = update.tier {
        statement.set("tier", required("tier", &tier)?);
    }
    if let Some(budget) = update.budget {
        statement.set_budget(budget)?;
    }
    if let Some(enabled) = update.credits_enabled {
        statement.set("credits_enabled", i64::from(enabled));
    }
    if let Some(guardrails) = update.guardrails {
        statement.set("guardrails", guardrails_json(guardrails.as_ref())?);
    }
    if statement.is_empty() {
        return get(db, id)
            .await?
            .ok_or_else(|| StoreError::not_found("organization", id));
    }
    let row = db
        .fetch_optional(statement.finish(id, ORG_COLUMNS))
        .await
        .map_err(|e| StoreError::from_write(e, "organization"))?
        .ok_or_else(|| StoreError::not_found("organization", id))?;
    rows::org(&row)
}

pub(crate) async fn delete<D: Driver>(db: &D, id: &str) -> Result<(), StoreError> {
    let deleted = db
        .execute(Sql::new("DELETE FROM organizations WHERE id = $1").bind(id))
        .await
        .map_err(|e| StoreError::from_delete(e, "organization"))?;
    if deleted == 0 {
        return Err(StoreError::not_found("organization", id));
    }
    Ok(())
}
