//! What each attempt of a call did, for the spend log and headers.

use std::time::Duration;

use tollgate_types::GatewayError;

use crate::route::Deployment;

/// One try on one deployment.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub deployment: String,
    /// 200 on success, else the status the failure maps to.
    pub status: u16,
    /// Low-cardinality error label (`upstream_timeout`, …) on failure.
    pub error: Option<&'static str>,
    /// Time until the upstream accepted (streams) or answered (non-streamed calls).
    pub duration: Duration,
}

impl Attempt {
    pub(crate) fn success(deployment: &Deployment, duration: Duration) -> Self {
        Attempt {
            deployment: deployment.id.clone(),
            status: 200,
            error: None,
            duration,
        }
    }

    pub(crate) fn failure(
        deployment: &Deployment,
        error: &GatewayError,
        duration: Duration,
    ) -> Self {
        Attempt {
            deployment: deployment.id.clone(),
            status: error.status,
            error: Some(error.kind.as_label()),
            duration,
        }
    }
}

/// A call that failed, with every attempt it made.
#[derive(Debug)]
pub struct RouteFailure {
    pub error: GatewayError,
    pub attempts: Vec<Attempt>,
}

impl From<RouteFailure> for GatewayError {
    fn from(failure: RouteFailure) -> Self {
        failure.error
    }
}
