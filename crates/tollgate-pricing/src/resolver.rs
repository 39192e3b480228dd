//! The price of a call on the request path: a deployment's configured price if it has one,
//! else the catalog's, remembered per provider and model so that after the first call a lookup
//! is one read lock and two hash probes, with no string built.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use tollgate_config::Price;

use crate::catalog::Catalog;
use crate::lookup::{ProviderScope, provider_scope};
use crate::price::ModelPrice;

/// Resolves a deployment's price. Shared by every request (`Send + Sync`).
pub struct PriceResolver {
    catalog: Arc<Catalog>,
    cache: RwLock<ResolvedPrices>,
}

#[derive(Debug, Default)]
struct ResolvedPrices {
    /// Scope name → upstream model → what was found.
    by_scope: HashMap<&'static str, HashMap<String, Resolved>>,
    models: usize,
}

#[derive(Debug, Clone)]
struct Resolved {
    /// `None`: the catalog does not know the model.
    catalog_price: Option<Arc<ModelPrice>>,
    /// The last override seen for this model and the price built from it. One is enough: a
    /// model has one override per deployment and deployments rarely share a model and kind.
    overridden: Option<(Price, Arc<ModelPrice>)>,
}

enum CacheLookup {
    Hit(Option<Arc<ModelPrice>>),
    /// The model was seen with another override (or none): its catalog price is known.
    CatalogKnown(Option<Arc<ModelPrice>>),
    Miss,
}

/// Without the two thousand catalog entries.
impl fmt::Debug for PriceResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cached_models = self.cache.read().map_or(0, |cache| cache.models);
        f.debug_struct("PriceResolver")
            .field("catalog_entries", &self.catalog.len())
            .field("cached_models", &cached_models)
            .finish()
    }
}

impl PriceResolver {
    /// Models remembered at most. Upstream model names can come from callers (provider-prefixed
    /// model names), so the cache must not grow without bound; past this, lookups still work,
    /// they are just not remembered.
    pub const MAX_CACHED_MODELS: usize = 4096;

    pub fn new(catalog: Arc<Catalog>) -> PriceResolver {
        PriceResolver {
            catalog,
            cache: RwLock::default(),
        }
    }

    pub fn with_embedded_catalog() -> PriceResolver {
        PriceResolver::new(Catalog::embedded())
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The price of `upstream_model` served by a provider of `provider_kind` (see
    /// [`Catalog::find_for_host`] for `host_hint` and the lookup order). A deployment's
    /// `override_price` wins over the catalog; the catalog still supplies context limits and
    /// capabilities when it knows the model.
    ///
    /// `None` means unpriced: the caller flags the call `unpriced` and must never record it as
    /// costing $0.
    pub fn resolve(
        &self,
        provider_kind: &str,
        host_hint: Option<&str>,
        upstream_model: &str,
        override_price: Option<&Price>,
    ) -> Option<Arc<ModelPrice>> {
        let scope = provider_scope(provider_kind, host_hint);
        let catalog_price = match self.cached(scope, upstream_model, override_price) {
            CacheLookup::Hit(price) => return price,
            CacheLookup::CatalogKnown(catalog_price) => catalog_price,
            CacheLookup::Miss => self
                .catalog
                .find_in_scope(scope, upstream_model)
                .map(|entry| Arc::clone(&entry.price)),
        };
        let resolved = match override_price {
            None => catalog_price.clone(),
            Some(price) => Some(Arc::new(match &catalog_price {
                Some(catalog) => catalog.overridden_by(price),
                None => ModelPrice::from_config(price),
            })),
        };
        let overridden = override_price
            .cloned()
            .zip(resolved.as_ref().map(Arc::clone));
        self.remember(scope, upstream_model, catalog_price, overridden);
        resolved
    }

    fn cached(
        &self,
        scope: ProviderScope,
        upstream_model: &str,
        override_price: Option<&Price>,
    ) -> CacheLookup {
        let cache = self.cache.read().unwrap_or_else(PoisonError::into_inner);
        let Some(resolved) = cache
            .by_scope
            .get(scope.name)
            .and_then(|models| models.get(upstream_model))
        else {
            return CacheLookup::Miss;
        };
        match (override_price, &resolved.overridden) {
            (None, _) => CacheLookup::Hit(resolved.catalog_price.clone()),
            (Some(wanted), Some((seen, price))) if wanted == seen => {
                CacheLookup::Hit(Some(Arc::clone(price)))
            }
            (Some(_), _) => CacheLookup::CatalogKnown(resolved.catalog_price.clone()),
        }
    }

    fn remember(
        &self,
        scope: ProviderScope,
        upstream_model: &str,
        catalog_price: Option<Arc<ModelPrice>>,
        overridden: Option<(Price, Arc<ModelPrice>)>,
    ) {
        let mut cache = self.cache.write().unwrap_or_else(PoisonError::into_inner);
        let ResolvedPrices { by_scope, models } = &mut *cache;
        let scope_models = by_scope.entry(scope.name).or_default();
        if let Some(resolved) = scope_models.get_mut(upstream_model) {
            if overridden.is_some() {
                resolved.overridden = overridden;
            }
            return;
        }
        if *models >= Self::MAX_CACHED_MODELS {
            return;
        }
        *models += 1;
        scope_models.insert(
            upstream_model.to_owned(),
            Resolved {
                catalog_price,
                overridden,
            },
        );
    }
}
