//! Users: people in one organization, optionally in one of its teams.

use crate::StoreError;
use crate::driver::{Driver, Sql};
use crate::ids;
use crate::model::{NewUser, Page, PageRequest, User, UserFilter, UserUpdate};
use crate::sql::build::{
    Update, budget_alert_percent, budget_mode, check_budget, filter_eq, into_page, paginate_by_id,
    required,
};
use crate::sql::rows::{self, USER_COLUMNS};
use crate::time::Timestamp;

pub(crate) async fn create<D: Driver>(db: &D, new: NewUser) -> Result<User, StoreError> {
    check_budget(new.budget.as_ref())?;
    let user = User {
        id: ids::new_id(ids::USER),
        org_id: new.org_id,
        team_id: new.team_id,
        email: required("email", &new.email)?,
        name: new.name,
        role: new.role,
        budget: new.budget,
        created_at: Timestamp::now(),
    };
    let sql = Sql::new(
        "INSERT INTO users (id, org_id, team_id, email, name, role, budget_nanos, \
         budget_period, budget_mode, budget_alert_percent, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(user.id.as_str())
    .bind(user.org_id.as_str())
    .bind(user.team_id.as_deref())
    .bind(user.email.as_str())
    .bind(user.name.as_deref())
    .bind(user.role.as_str())
    .bind(user.budget.map(|budget| budget.amount.0))
    .bind(user.budget.map(|budget| budget.period.as_str()))
    .bind(budget_mode(user.budget))
    .bind(budget_alert_percent(user.budget))
    .bind(user.created_at.millis());
    db.execute(sql)
        .await
        .map_err(|e| StoreError::from_write(e, "user"))?;
    Ok(user)
}

pub(crate) async fn get<D: Driver>(db: &D, id: &str) -> Result<Option<User>, StoreError> {
    let sql = Sql::new(format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1")).bind(id);
    db.fetch_optional(sql)
        .await?
        .as_ref()
        .map(rows::user)
        .transpose()
}

pub(crate) async fn list<D: Driver>(
    db: &D,
    filter: &UserFilter,
    page: &PageRequest,
) -> Result<Page<User>, StoreError> {
    let mut sql = Sql::new(format!("SELECT {USER_COLUMNS} FROM users WHERE 1 = 1"));
    filter_eq(&mut sql, "org_id", filter.org_id.as_deref());
    filter_eq(&mut sql, "team_id", filter.team_id.as_deref());
    paginate_by_id(&mut sql, page);
    let items = db
        .fetch_all(sql)
        .await?
        .iter()
        .map(rows::user)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(into_page(items, page, |user| user.id.clone()))
}

pub(crate) async fn update<D: Driver>(
    db: &D,
    id: &str,
    update: UserUpdate,
) -> Result<User, StoreError> {
    let mut statement = Update::new("users");
    if let Some(team_id) = update.team_id {
        statement.set("team_id", team_id);
    }
    if let Some(email) = update.email {
        statement.set("email", required("email", &email)?);
    }
    if let Some(name) = update.name {
        statement.set("name", name);
    }
    if let Some(role) = update.role {
        statement.set("role", role.as_str());
    }
    if let Some(budget) = update.budget {
        statement.set_budget(budget)?;
    }
    if statement.is_empty() {
        return get(db, id)
            .await?
            .ok_or_else(|| StoreError::not_found("user", id));
    }
    let row = db
        .fetch_optional(statement.finish(id, USER_COLUMNS))
        .await
        .map_err(|e| StoreError::from_write(e, "user"))?
        .ok_or_else(|| StoreError::not_found("user", id))?;
    rows::user(&row)
}

pub(crate) async fn delete<D: Driver>(db: &D, id: &str) -> Result<(), StoreError> {
    let deleted = db
        .execute(Sql::new("DELETE FROM users WHERE id = $1").bind(id))
        .await
        .map_err(|e| StoreError::from_delete(e, "user"))?;
    if deleted == 0 {
        return Err(StoreError::not_found("user", id));
    }
    Ok(())
}
