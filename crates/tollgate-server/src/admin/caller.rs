//! The authenticated admin caller, as an axum extractor, and its policy checks as HTTP errors.

use axum::extract::FromRequestParts;
use http::request::Parts;

use crate::admin::audit::RequestId;
use crate::admin::errors::AdminError;
use crate::admin::rbac::{self, Action, Actor, Denied, Listing, NewObject, Object, Parent};
use crate::auth::Principal;
use crate::state::AppState;

/// Who is calling the admin API. Extracting it authenticates the request (401 on a missing,
/// unknown, revoked or expired key).
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    /// The call's request id (see [`crate::admin::audit::tag_request`]), recorded with its audit event.
    pub request_id: Option<String>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AdminError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, AdminError> {
        let actor = match state.auth().authenticate(&parts.headers).await? {
            Principal::Master => Actor::master(),
            Principal::Key(key) => Actor::from_key(&key),
        };
        let request_id = parts
            .extensions
            .get::<RequestId>()
            .map(|RequestId(id)| id.clone());
        Ok(Caller { actor, request_id })
    }
}

impl Caller {
    pub fn check(&self, object: Object<'_>, action: Action) -> Result<(), AdminError> {
        rbac::check(&self.actor, object, action).map_err(|denied| {
            let verb = match action {
                Action::Read => "read",
                Action::Write => "change",
            };
            self.refusal(denied, &describe(object), verb)
        })
    }

    /// [`rbac::check_update_key`]: no reconfiguring one's own key below admin.
    pub fn check_update_key(&self, key: Object<'_>) -> Result<(), AdminError> {
        self.check(key, Action::Write)?;
        rbac::check_update_key(&self.actor, key).map_err(|_| {
            AdminError::forbidden(
                "A key cannot change its own models, limits, budget or expiry; ask an admin.",
            )
        })
    }

    /// [`rbac::check_guardrails`].
    pub fn check_guardrails(&self, object: Object<'_>) -> Result<(), AdminError> {
        rbac::check_guardrails(&self.actor, object)
            .map_err(|denied| self.refusal(denied, &describe(object), "set the guardrails of"))
    }

    pub fn check_create(&self, parent: Parent<'_>, new: NewObject) -> Result<(), AdminError> {
        rbac::check_create(&self.actor, parent, new).map_err(|denied| match denied {
            Denied::NotFound => AdminError::not_found(match parent {
                Parent::Gateway => "the gateway".to_string(),
                Parent::Org(id) => format!("organization `{id}`"),
                Parent::Team { id, .. } => format!("team `{id}`"),
            }),
            Denied::Forbidden => {
                let what = match new {
                    NewObject::Org => "organizations".to_string(),
                    NewObject::Team => "teams here".to_string(),
                    NewObject::Principal(role) => {
                        format!("users or keys with role `{}` here", role.as_str())
                    }
                };
                AdminError::forbidden(format!(
                    "Role `{}` may not create {what}.",
                    self.actor.role.as_str()
                ))
            }
        })
    }

    pub fn check_list(&self, listing: Listing) -> Result<(), AdminError> {
        rbac::check_list(&self.actor, listing).map_err(|_| {
            AdminError::forbidden(format!(
                "Role `{}` may not list these.",
                self.actor.role.as_str()
            ))
        })
    }

    fn refusal(&self, denied: Denied, what: &str, verb: &str) -> AdminError {
        match denied {
            Denied::NotFound => AdminError::not_found(what),
            Denied::Forbidden => AdminError::forbidden(format!(
                "Role `{}` may not {verb} {what}.",
                self.actor.role.as_str()
            )),
        }
    }
}

fn describe(object: Object<'_>) -> String {
    match object {
        Object::Org { id } => format!("organization `{id}`"),
        Object::Team { id, .. } => format!("team `{id}`"),
        Object::User { id, .. } => format!("user `{id}`"),
        Object::Key { id, .. } => format!("key `{id}`"),
    }
}
