//! Where a new user or key goes, and whether the caller may put it there.
//!
//! Missing owners default to the caller's own (an `org_admin`'s org, a `team_admin`'s team); a
//! named org, team or user must exist and be visible to the caller (404 otherwise, exactly as if
//! it did not exist) and fit together (400); then the policy decides (403 for a role too low, or
//! for granting a role above the caller's own).

use tollgate_store::Role;

use crate::admin::caller::Caller;
use crate::admin::errors::AdminError;
use crate::admin::rbac::{Action, NewObject, Object, Parent};
use crate::state::AppState;

/// The owners of a new user or key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Owners {
    pub org_id: Option<String>,
    pub team_id: Option<String>,
    pub user_id: Option<String>,
}

/// Fills and checks `owners` for a new user or key with `role`.
pub async fn place(
    state: &AppState,
    caller: &Caller,
    mut owners: Owners,
    role: Role,
) -> Result<Owners, AdminError> {
    let (home_org, home_team) = caller.actor.home();
    if owners.org_id.is_none() {
        owners.org_id = home_org.map(str::to_string);
    }
    if owners.team_id.is_none() && owners.org_id.as_deref() == home_org {
        owners.team_id = home_team.map(str::to_string);
    }
    let store = state.store();
    if let Some(team_id) = &owners.team_id {
        let team = store
            .get_team(team_id)
            .await?
            .ok_or_else(|| AdminError::not_found(format!("team `{team_id}`")))?;
        caller.check(Object::team(&team), Action::Read)?;
        match &owners.org_id {
            Some(org_id) if *org_id != team.org_id => {
                return Err(AdminError::field(
                    "team_id",
                    format!("team `{team_id}` belongs to another organization than `{org_id}`"),
                ));
            }
            Some(_) => {}
            None => owners.org_id = Some(team.org_id.clone()),
        }
    }
    if let Some(user_id) = &owners.user_id {
        let user = store
            .get_user(user_id)
            .await?
            .ok_or_else(|| AdminError::not_found(format!("user `{user_id}`")))?;
        caller.check(Object::user(&user), Action::Read)?;
        match &owners.org_id {
            Some(org_id) if *org_id != user.org_id => {
                return Err(AdminError::field(
                    "user_id",
                    format!("user `{user_id}` belongs to another organization than `{org_id}`"),
                ));
            }
            Some(_) => {}
            None => owners.org_id = Some(user.org_id.clone()),
        }
    }
    if let Some(org_id) = &owners.org_id
        && store.get_org(org_id).await?.is_none()
    {
        return Err(AdminError::not_found(format!("organization `{org_id}`")));
    }
    let parent = match (&owners.org_id, &owners.team_id) {
        (Some(org), Some(team)) => Parent::Team { org, id: team },
        (Some(org), None) => Parent::Org(org),
        (None, _) => Parent::Gateway,
    };
    caller.check_create(parent, NewObject::Principal(role))?;
    check_role_fits(role, &owners)?;
    Ok(owners)
}

/// A scoped role needs the scope it administers or reads.
fn check_role_fits(role: Role, owners: &Owners) -> Result<(), AdminError> {
    match role {
        Role::OrgAdmin | Role::Viewer if owners.org_id.is_none() => Err(AdminError::field(
            "org_id",
            format!("role `{}` needs an organization", role.as_str()),
        )),
        Role::TeamAdmin if owners.team_id.is_none() => Err(AdminError::field(
            "team_id",
            "role `team_admin` needs a team",
        )),
        _ => Ok(()),
    }
}
