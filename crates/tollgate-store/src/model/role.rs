//! Roles, shared by users and keys; what each may do is the admin API's business.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The whole gateway.
    Admin,
    OrgAdmin,
    TeamAdmin,
    Member,
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::OrgAdmin => "org_admin",
            Role::TeamAdmin => "team_admin",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        [
            Role::Admin,
            Role::OrgAdmin,
            Role::TeamAdmin,
            Role::Member,
            Role::Viewer,
        ]
        .into_iter()
        .find(|role| role.as_str() == text)
    }
}
