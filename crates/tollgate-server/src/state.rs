//! What every handler can reach.

use std::sync::Arc;

use tollgate_router::Router;
use tollgate_store::SqliteStore;

use crate::auth::Auth;

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    router: Arc<Router>,
    auth: Auth,
    store: SqliteStore,
    limits: ServerLimits,
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
    pub fn new(router: Router, auth: Auth, store: SqliteStore, limits: ServerLimits) -> Self {
        AppState {
            inner: Arc::new(Inner {
                router: Arc::new(router),
                auth,
                store,
                limits,
            }),
        }
    }

    pub fn router(&self) -> &Router {
        &self.inner.router
    }

    pub fn auth(&self) -> &Auth {
        &self.inner.auth
    }

    pub fn store(&self) -> &SqliteStore {
        &self.inner.store
    }

    pub fn limits(&self) -> ServerLimits {
        self.inner.limits
    }
}
