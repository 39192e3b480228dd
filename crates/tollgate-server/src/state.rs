//! What every handler can reach.

use std::sync::Arc;

use tollgate_router::Router;
use tollgate_store::{DynStore, SpendWriter};

use crate::auth::Auth;

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    router: Arc<Router>,
    auth: Auth,
    store: DynStore,
    limits: ServerLimits,
    spend_writer: Option<SpendWriter>,
}

/// Limits on what a caller may send.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    pub max_body_bytes: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            max_body_bytes: 4 * 1024 * 1024,
        }
    }
}

impl AppState {
    pub fn new(router: Router, auth: Auth, store: DynStore, limits: ServerLimits) -> Self {
        AppState {
            inner: Arc::new(Inner {
                router: Arc::new(router),
                auth,
                store,
                limits,
                spend_writer: None,
            }),
        }
    }

    /// Records every authenticated request's spend-log row through `writer`.
    pub fn with_spend_writer(mut self, writer: SpendWriter) -> Self {
        match Arc::get_mut(&mut self.inner) {
            Some(inner) => inner.spend_writer = Some(writer),
            None => tracing::error!("spend writer attached after the state was shared; ignored"),
        }
        self
    }

    pub fn spend_writer(&self) -> Option<&SpendWriter> {
        self.inner.spend_writer.as_ref()
    }

    pub fn router(&self) -> &Router {
        &self.inner.router
    }

    pub fn auth(&self) -> &Auth {
        &self.inner.auth
    }

    pub fn store(&self) -> &DynStore {
        &self.inner.store
    }

    pub fn limits(&self) -> ServerLimits {
        self.inner.limits
    }
}
