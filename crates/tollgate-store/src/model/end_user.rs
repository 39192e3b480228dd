//! A budget of its own for one end user, in place of the config's default end-user budget.

use serde::Serialize;

use super::key::Budget;
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndUserBudget {
    /// The organization of the keys the end user calls through; `None`: keys outside any.
    pub org_id: Option<String>,
    /// As callers name it: the request's `user` field or the configured header.
    pub end_user: String,
    pub budget: Budget,
    pub updated_at: Timestamp,
}
