//! Who is calling: the key from `Authorization: Bearer` or `x-api-key`, checked by its SHA-256.
//!
//! The master key is compared in constant time against its hash. Virtual keys are looked up by
//! hash in the store through a small in-memory cache; every key mutation made through this
//! instance clears the cache, so a revocation takes effect on the very next request (other
//! instances learn of it through Redis pub/sub in scale-out mode). Expiry is checked on every
//! request against the clock, not the cache.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use http::HeaderMap;
use tollgate_store::{ApiKey, DynStore, KeyStatus, Role, Timestamp};
use tollgate_types::GatewayError;

/// The checked identity behind a request.
#[derive(Debug, Clone)]
pub enum Principal {
    /// The gateway's master key: every model, every admin call.
    Master,
    /// A virtual key and, through it, its user, team and organization.
    Key(Arc<ApiKey>),
}

impl Principal {
    /// Whether this caller may use the public model `model`.
    pub fn may_use_model(&self, model: &str) -> bool {
        match self {
            Principal::Master => true,
            Principal::Key(key) => key.allows_model(model),
        }
    }

    pub fn role(&self) -> Role {
        match self {
            Principal::Master => Role::Admin,
            Principal::Key(key) => key.role,
        }
    }

    pub fn key(&self) -> Option<&ApiKey> {
        match self {
            Principal::Master => None,
            Principal::Key(key) => Some(key),
        }
    }

    pub fn org_id(&self) -> Option<&str> {
        self.key().and_then(|k| k.org_id.as_deref())
    }

    pub fn team_id(&self) -> Option<&str> {
        self.key().and_then(|k| k.team_id.as_deref())
    }

    pub fn user_id(&self) -> Option<&str> {
        self.key().and_then(|k| k.user_id.as_deref())
    }
}

/// SHA-256 of a key, the only form in which keys are stored (the store's own function, so the
/// master key and virtual keys can never be hashed two different ways).
pub use tollgate_store::hash_key;

/// How long a looked-up key is trusted before the store is asked again. Mutations through this
/// instance clear the cache at once; the TTL bounds staleness for changes made elsewhere.
const KEY_CACHE_TTL: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub struct Auth {
    master_key_sha256: [u8; 32],
    store: Option<DynStore>,
    /// Hash → the key (`None`: no such key). Rotated-out secrets are never cached, so their
    /// grace period ends on time.
    cache: moka::sync::Cache<[u8; 32], Option<Arc<ApiKey>>>,
    /// Bumped by every invalidation, so caches derived from keys and tenants (the limits'
    /// policy cache) know to reload.
    generation: Arc<AtomicU64>,
    /// Told of every local invalidation, so other instances can drop their caches too (the
    /// binary sets it to a Redis publish in scale-out mode).
    on_invalidate: Arc<std::sync::OnceLock<InvalidationHook>>,
}

/// Called after each invalidation made through this instance.
pub type InvalidationHook = Arc<dyn Fn() + Send + Sync>;

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Auth { .. }")
    }
}

impl Auth {
    /// Only the master key (tests, tools).
    pub fn from_master_key_hash(master_key_sha256: [u8; 32]) -> Self {
        Auth {
            master_key_sha256,
            store: None,
            cache: new_cache(),
            generation: Arc::default(),
            on_invalidate: Arc::default(),
        }
    }

    /// The master key and the virtual keys in `store`.
    pub fn new(master_key_sha256: [u8; 32], store: DynStore) -> Self {
        Auth {
            master_key_sha256,
            store: Some(store),
            cache: new_cache(),
            generation: Arc::default(),
            on_invalidate: Arc::default(),
        }
    }

    /// Forgets every cached key and tenant policy (called after any key, tenant, budget or
    /// credit mutation).
    pub fn invalidate(&self) {
        self.invalidate_local();
        if let Some(hook) = self.on_invalidate.get() {
            hook();
        }
    }

    /// Forgets what this instance cached, without telling anyone (another instance's change
    /// arrived, or the bus reconnected and may have missed one).
    pub fn invalidate_local(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.cache.invalidate_all();
    }

    /// Sets the hook told of every invalidation (once; later calls are ignored).
    pub fn on_invalidate(&self, hook: InvalidationHook) {
        if self.on_invalidate.set(hook).is_err() {
            tracing::warn!("an invalidation hook was already set; ignored");
        }
    }

    /// Changes whenever [`Auth::invalidate`] runs.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Checks the caller's key.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Principal, GatewayError> {
        let Some(key) = presented_key(headers) else {
            return Err(GatewayError::authentication(
                "Missing API key: send `Authorization: Bearer <key>` or `x-api-key: <key>`.",
            ));
        };
        let presented = hash_key(key);
        if constant_time_eq(&presented, &self.master_key_sha256) {
            return Ok(Principal::Master);
        }
        let Some(store) = &self.store else {
            return Err(GatewayError::authentication("Invalid API key."));
        };
        let now = Timestamp::now();
        let key = match self.cache.get(&presented) {
            Some(cached) => cached,
            None => {
                let lookup = store
                    .find_key_by_hash(&presented, now)
                    .await
                    .map_err(|error| {
                        tracing::error!(%error, "key lookup failed");
                        GatewayError::internal()
                    })?;
                match lookup {
                    None => {
                        self.cache.insert(presented, None);
                        None
                    }
                    Some(lookup) => {
                        match lookup.status {
                            KeyStatus::Active => {}
                            KeyStatus::Revoked => {
                                return Err(GatewayError::authentication(
                                    "This API key has been revoked.",
                                ));
                            }
                            KeyStatus::Expired => {
                                return Err(GatewayError::authentication(
                                    "This API key has expired.",
                                ));
                            }
                            KeyStatus::Rotated => {
                                return Err(GatewayError::authentication(
                                    "This API key was rotated; use the new secret.",
                                ));
                            }
                        }
                        let key = Arc::new(lookup.key);
                        if !lookup.matched_previous {
                            self.cache.insert(presented, Some(key.clone()));
                        }
                        Some(key)
                    }
                }
            }
        };
        let Some(key) = key else {
            return Err(GatewayError::authentication("Invalid API key."));
        };
        match key.status_at(now) {
            KeyStatus::Expired => Err(GatewayError::authentication("This API key has expired.")),
            KeyStatus::Revoked => Err(GatewayError::authentication(
                "This API key has been revoked.",
            )),
            _ => Ok(Principal::Key(key)),
        }
    }
}

fn new_cache() -> moka::sync::Cache<[u8; 32], Option<Arc<ApiKey>>> {
    moka::sync::Cache::builder()
        .max_capacity(100_000)
        .time_to_live(KEY_CACHE_TTL)
        .build()
}

/// Compares every byte so timing does not reveal how much of the hash matched.
fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(value) = headers.get(http::header::AUTHORIZATION) {
        let value = value.to_str().ok()?.trim();
        let key = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .unwrap_or(value)
            .trim();
        if !key.is_empty() {
            return Some(key);
        }
    }
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty())
}
