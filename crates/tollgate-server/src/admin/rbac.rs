//! Who may do what in the admin API: a pure function of the caller (role and tenant), the object
//! (its tenant and, for users and keys, their role) and the action. No I/O, so the whole policy is
//! a table in `rbac/tests.rs`.
//!
//! | caller      | sees (else 404)                                   | may change (else 403)                          |
//! |-------------|---------------------------------------------------|------------------------------------------------|
//! | master key, `admin` | everything                                | everything                                     |
//! | `org_admin` | its org and everything in it                      | teams, and users/keys of a role it may grant, in its org; not the org itself |
//! | `viewer`    | its org and everything in it                      | nothing                                        |
//! | `team_admin`| its org and team (read), its team's users and keys | its team's users/keys of a role it may grant  |
//! | `member`    | its own key(s): the key itself and its user's keys | nothing (its org, team and user answer 403)   |
//!
//! An object outside the caller's tenant answers 404 whatever the action, so a caller cannot even
//! learn that it exists; inside the tenant, a role too low answers 403. Nobody grants a role
//! beyond its own: `org_admin` grants `org_admin`, `team_admin`, `member`, `viewer`; `team_admin`
//! grants `team_admin` and `member` (not `viewer`, which reads the whole org). Only an admin
//! reconfigures its own key ([`check_update_key`]). Usage and lists are narrowed to the caller's
//! tenant ([`narrow`]); so is the audit log, a member's to the events of its own keys. An
//! organization's credits are read by every role of that organization and
//! recorded only by an admin ([`check_credits`]).

use tollgate_store::{ApiKey, Organization, Role, Team, User};

/// The caller as the policy sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub role: Role,
    pub org: Option<String>,
    pub team: Option<String>,
    pub user: Option<String>,
    /// The caller's own key (`None` for the master key).
    pub key: Option<String>,
}

impl Actor {
    /// The master key: admin of the whole gateway.
    pub fn master() -> Actor {
        Actor {
            role: Role::Admin,
            org: None,
            team: None,
            user: None,
            key: None,
        }
    }

    pub fn from_key(key: &ApiKey) -> Actor {
        Actor {
            role: key.role,
            org: key.org_id.clone(),
            team: key.team_id.clone(),
            user: key.user_id.clone(),
            key: Some(key.id.clone()),
        }
    }

    /// Where this caller's new teams, users and keys go when the request does not say:
    /// `(org, team)`.
    pub fn home(&self) -> (Option<&str>, Option<&str>) {
        match self.role {
            Role::Admin | Role::Member => (None, None),
            Role::OrgAdmin | Role::Viewer => (self.org.as_deref(), None),
            Role::TeamAdmin => (self.org.as_deref(), self.team.as_deref()),
        }
    }
}

/// An existing object, by its tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Object<'a> {
    Org {
        id: &'a str,
    },
    Team {
        org: &'a str,
        id: &'a str,
    },
    User {
        org: &'a str,
        team: Option<&'a str>,
        id: &'a str,
        role: Role,
    },
    Key {
        org: Option<&'a str>,
        team: Option<&'a str>,
        user: Option<&'a str>,
        id: &'a str,
        role: Role,
    },
}

impl<'a> Object<'a> {
    pub fn org(org: &'a Organization) -> Object<'a> {
        Object::Org { id: &org.id }
    }

    pub fn team(team: &'a Team) -> Object<'a> {
        Object::Team {
            org: &team.org_id,
            id: &team.id,
        }
    }

    pub fn user(user: &'a User) -> Object<'a> {
        Object::User {
            org: &user.org_id,
            team: user.team_id.as_deref(),
            id: &user.id,
            role: user.role,
        }
    }

    pub fn key(key: &'a ApiKey) -> Object<'a> {
        Object::Key {
            org: key.org_id.as_deref(),
            team: key.team_id.as_deref(),
            user: key.user_id.as_deref(),
            id: &key.id,
            role: key.role,
        }
    }
}

/// Where a new object is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parent<'a> {
    /// No organization (organizations themselves, and keys owned by nobody).
    Gateway,
    Org(&'a str),
    Team {
        org: &'a str,
        id: &'a str,
    },
}

/// What is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewObject {
    Org,
    Team,
    /// A user or a key, with the role it will carry.
    Principal(Role),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    /// Update, delete, rotate, revoke, expire.
    Write,
}

/// Which list endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    Orgs,
    Teams,
    Users,
    Keys,
    Usage,
    /// The audit log (narrowed as usage is).
    Audit,
}

/// Why a call is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// Unknown or outside the caller's tenant: 404.
    NotFound,
    /// Inside the caller's tenant, but its role is too low: 403.
    Forbidden,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relation {
    Outside,
    /// The caller's own org or team (or user) seen from below: readable by some roles, never
    /// changed by them.
    Ancestor,
    Inside,
}

/// Whether `actor` may do `action` to `object`.
pub fn check(actor: &Actor, object: Object<'_>, action: Action) -> Result<(), Denied> {
    let relation = relation(actor, object);
    if relation == Relation::Outside {
        return Err(Denied::NotFound);
    }
    let allowed = match (actor.role, relation, action) {
        (Role::Admin, _, _) => true,
        (Role::Member, Relation::Inside, Action::Read) => true,
        (Role::Member, _, _) => false,
        (_, _, Action::Read) => true,
        (Role::Viewer, _, Action::Write) => false,
        (_, Relation::Ancestor, Action::Write) => false,
        (granter, _, Action::Write) => match object {
            Object::Org { .. } => false,
            Object::Team { .. } => granter == Role::OrgAdmin,
            Object::User { role, .. } | Object::Key { role, .. } => may_grant(granter, role),
        },
    };
    if allowed {
        Ok(())
    } else {
        Err(Denied::Forbidden)
    }
}

/// Whether `actor` may change the models, limits, budget or expiry of a key. As [`check`] with
/// `Write`, and besides, only an admin changes its own key: otherwise a team admin could lift the
/// budget it was given. (Its own key may still be rotated, revoked or expired.)
pub fn check_update_key(actor: &Actor, key: Object<'_>) -> Result<(), Denied> {
    check(actor, key, Action::Write)?;
    let own = matches!(key, Object::Key { id, .. } if actor.key.as_deref() == Some(id));
    if own && actor.role != Role::Admin {
        return Err(Denied::Forbidden);
    }
    Ok(())
}

/// Whether `actor` may set the guardrail overrides of `object`: an organization's by an admin or
/// its own `org_admin`; a team's by those and the team's own `team_admin`; a key's as
/// [`check_update_key`]. (A team admin reads its org and team but changes nothing else of them.)
pub fn check_guardrails(actor: &Actor, object: Object<'_>) -> Result<(), Denied> {
    if let Object::Key { .. } | Object::User { .. } = object {
        return check_update_key(actor, object);
    }
    let relation = relation(actor, object);
    if relation == Relation::Outside {
        return Err(Denied::NotFound);
    }
    let allowed = matches!(
        (actor.role, object),
        (Role::Admin, _)
            | (Role::OrgAdmin, Object::Org { .. } | Object::Team { .. })
            | (Role::TeamAdmin, Object::Team { .. })
    );
    if allowed {
        Ok(())
    } else {
        Err(Denied::Forbidden)
    }
}

/// Whether `actor` may read (`Read`) or record movements in (`Write`) the credits of `org`.
/// Every role of the organization reads them, members too (whether their calls can still be
/// paid is their business); only an admin records one, since it stands for a payment.
/// Another organization's credits are hidden (404), as everything outside the tenant.
pub fn check_credits(actor: &Actor, org: &str, action: Action) -> Result<(), Denied> {
    if actor.role == Role::Admin {
        return Ok(());
    }
    if actor.org.as_deref() != Some(org) {
        return Err(Denied::NotFound);
    }
    match action {
        Action::Read => Ok(()),
        Action::Write => Err(Denied::Forbidden),
    }
}

/// Whether `actor` may read or set the end users' own budgets of `org` (`None`: of the keys
/// outside any organization). The end users are the organization's customers, so its admins
/// manage them; every role of the organization reads them. The gateway-wide ones are an admin's.
pub fn check_end_user_budgets(
    actor: &Actor,
    org: Option<&str>,
    action: Action,
) -> Result<(), Denied> {
    if actor.role == Role::Admin {
        return Ok(());
    }
    match org {
        Some(org) if actor.org.as_deref() == Some(org) => match (action, actor.role) {
            (Action::Read, _) | (Action::Write, Role::OrgAdmin) => Ok(()),
            _ => Err(Denied::Forbidden),
        },
        Some(_) => Err(Denied::NotFound),
        None => Err(Denied::Forbidden),
    }
}

/// Whether `actor` may create `new` under `parent`.
pub fn check_create(actor: &Actor, parent: Parent<'_>, new: NewObject) -> Result<(), Denied> {
    if actor.role == Role::Admin {
        return Ok(());
    }
    let parent_object = match parent {
        Parent::Gateway => return Err(Denied::Forbidden),
        Parent::Org(id) => Object::Org { id },
        Parent::Team { org, id } => Object::Team { org, id },
    };
    if relation(actor, parent_object) == Relation::Outside {
        return Err(Denied::NotFound);
    }
    let allowed = match (actor.role, parent, new) {
        (Role::OrgAdmin, Parent::Org(_), NewObject::Team) => true,
        (Role::OrgAdmin, _, NewObject::Principal(role)) => may_grant(Role::OrgAdmin, role),
        (Role::TeamAdmin, Parent::Team { .. }, NewObject::Principal(role)) => {
            may_grant(Role::TeamAdmin, role)
        }
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(Denied::Forbidden)
    }
}

/// Whether `granter` may create or manage a user or key carrying `role`.
pub fn may_grant(granter: Role, role: Role) -> bool {
    match granter {
        Role::Admin => true,
        Role::OrgAdmin => role != Role::Admin,
        Role::TeamAdmin => matches!(role, Role::TeamAdmin | Role::Member),
        Role::Member | Role::Viewer => false,
    }
}

/// Whether `actor` may call a list endpoint at all (what it then sees is [`narrow`]ed).
pub fn check_list(actor: &Actor, listing: Listing) -> Result<(), Denied> {
    match (actor.role, listing) {
        (Role::Member, Listing::Orgs | Listing::Teams | Listing::Users) => Err(Denied::Forbidden),
        _ => Ok(()),
    }
}

/// Tenant fields of a list or usage query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tenant {
    pub org: Option<String>,
    pub team: Option<String>,
    pub user: Option<String>,
    pub key: Option<String>,
}

/// The caller's request narrowed to its tenant: its own org/team/user/key are forced in. `None`
/// when the request asks for something outside the tenant (the answer is then empty, as if
/// nothing matched).
pub fn narrow(actor: &Actor, requested: Tenant) -> Option<Tenant> {
    let forced = match actor.role {
        Role::Admin => Tenant::default(),
        Role::OrgAdmin | Role::Viewer => Tenant {
            org: Some(actor.org.clone()?),
            ..Tenant::default()
        },
        Role::TeamAdmin => Tenant {
            org: Some(actor.org.clone()?),
            team: Some(actor.team.clone()?),
            ..Tenant::default()
        },
        Role::Member => match (&actor.user, &actor.key) {
            (Some(user), _) => Tenant {
                user: Some(user.clone()),
                ..Tenant::default()
            },
            (None, Some(key)) => Tenant {
                key: Some(key.clone()),
                ..Tenant::default()
            },
            (None, None) => return None,
        },
    };
    Some(Tenant {
        org: merge(forced.org, requested.org)?,
        team: merge(forced.team, requested.team)?,
        user: merge(forced.user, requested.user)?,
        key: merge(forced.key, requested.key)?,
    })
}

/// `None` when both are set and differ.
fn merge(forced: Option<String>, requested: Option<String>) -> Option<Option<String>> {
    match (forced, requested) {
        (Some(forced), Some(requested)) if forced != requested => None,
        (Some(forced), _) => Some(Some(forced)),
        (None, requested) => Some(requested),
    }
}

fn relation(actor: &Actor, object: Object<'_>) -> Relation {
    let inside = |yes: bool| {
        if yes {
            Relation::Inside
        } else {
            Relation::Outside
        }
    };
    let ancestor = |yes: bool| {
        if yes {
            Relation::Ancestor
        } else {
            Relation::Outside
        }
    };
    let org = actor.org.as_deref();
    let team = actor.team.as_deref();
    match actor.role {
        Role::Admin => Relation::Inside,
        Role::OrgAdmin | Role::Viewer => {
            let Some(own) = org else {
                return Relation::Outside;
            };
            match object {
                Object::Org { id } => ancestor(id == own),
                Object::Team { org, .. } | Object::User { org, .. } => inside(org == own),
                Object::Key { org, .. } => inside(org == Some(own)),
            }
        }
        Role::TeamAdmin => {
            let (Some(own_org), Some(own_team)) = (org, team) else {
                return Relation::Outside;
            };
            match object {
                Object::Org { id } => ancestor(id == own_org),
                Object::Team { org, id } => ancestor(org == own_org && id == own_team),
                Object::User { org, team, .. } => inside(org == own_org && team == Some(own_team)),
                Object::Key { org, team, .. } => {
                    inside(org == Some(own_org) && team == Some(own_team))
                }
            }
        }
        Role::Member => match object {
            Object::Org { id } => ancestor(org == Some(id)),
            Object::Team { id, .. } => ancestor(team == Some(id)),
            Object::User { id, .. } => ancestor(actor.user.as_deref() == Some(id)),
            Object::Key { id, user, .. } => inside(
                actor.key.as_deref() == Some(id)
                    || (actor.user.is_some() && user == actor.user.as_deref()),
            ),
        },
    }
}

#[cfg(test)]
mod tests;
