//! Organizations, teams and users.

use serde::Serialize;

use crate::model::Role;
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
    /// Pricing tier (decides the platform fee on credit purchases); `"default"` unless set.
    pub tier: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganization {
    pub name: String,
    /// `None` means `"default"`.
    pub tier: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrganizationUpdate {
    pub name: Option<String>,
    pub tier: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Team {
    pub id: String,
    pub org_id: String,
    /// Unique within the organization.
    pub name: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTeam {
    pub org_id: String,
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamUpdate {
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamFilter {
    pub org_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: String,
    pub org_id: String,
    /// A team of the same organization.
    pub team_id: Option<String>,
    /// Unique within the organization.
    pub email: String,
    pub name: Option<String>,
    pub role: Role,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub org_id: String,
    pub team_id: Option<String>,
    pub email: String,
    pub name: Option<String>,
    pub role: Role,
}

/// `None` keeps a field; `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserUpdate {
    pub team_id: Option<Option<String>>,
    pub email: Option<String>,
    pub name: Option<Option<String>>,
    pub role: Option<Role>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    pub org_id: Option<String>,
    pub team_id: Option<String>,
}
