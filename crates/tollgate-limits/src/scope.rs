//! Who a limit or a budget belongs to.

use std::fmt;

/// One principal that can carry a budget, a rate limit or a parallel limit.
///
/// Budgets of an organization and its prepaid credit balance are different scopes (`Org` and
/// `Credits`) because both can apply to the same call and a refusal must say which one ran out.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    Key(String),
    User(String),
    Team(String),
    Org(String),
    /// The caller's own customer, named by the request's `user` field; namespaced by the
    /// organization so two tenants' "alice" are different end users.
    EndUser {
        org: Option<String>,
        id: String,
    },
    Deployment(String),
    /// An organization's prepaid credit balance.
    Credits(String),
}

impl Scope {
    /// A stable lower-case name for JSON and metrics labels.
    pub fn kind(&self) -> &'static str {
        match self {
            Scope::Key(_) => "key",
            Scope::User(_) => "user",
            Scope::Team(_) => "team",
            Scope::Org(_) => "organization",
            Scope::EndUser { .. } => "end_user",
            Scope::Deployment(_) => "deployment",
            Scope::Credits(_) => "credits",
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Scope::Key(id)
            | Scope::User(id)
            | Scope::Team(id)
            | Scope::Org(id)
            | Scope::EndUser { id, .. }
            | Scope::Deployment(id)
            | Scope::Credits(id) => id,
        }
    }
}

/// `team t-1`, `end user alice (organization o-1)`, `credits of organization o-1`: for messages.
impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::EndUser { org: Some(org), id } => {
                write!(f, "end user {id} (organization {org})")
            }
            Scope::EndUser { org: None, id } => write!(f, "end user {id}"),
            Scope::Credits(org) => write!(f, "credits of organization {org}"),
            other => write!(f, "{} {}", other.kind(), other.id()),
        }
    }
}
