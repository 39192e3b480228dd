//! Tollgate's own price catalog: LiteLLM's public price map reduced to the models Tollgate can
//! price per token (`data/catalog.json`, rebuilt by `scripts/build_catalog.py`; see
//! `data/SOURCE.md`), embedded in the binary so pricing works offline from the first start.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use rust_decimal::Decimal;

use crate::catalog_file::CatalogFile;
use crate::price::ModelPrice;

const EMBEDDED_CATALOG_JSON: &str = include_str!("../data/catalog.json");

/// The kind of API a catalog model is served through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CatalogMode {
    Chat,
    Completion,
    Responses,
    Embedding,
}

/// One model of the catalog, under its LiteLLM key (`gpt-4o`, `azure/gpt-4o`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogEntry {
    pub key: String,
    /// LiteLLM's provider id (`openai`, `azure`, `vertex_ai-language-models`, ...).
    pub provider: String,
    pub mode: CatalogMode,
    /// Shared, so the resolver hands it out without copying.
    pub price: Arc<ModelPrice>,
    /// Anthropic's 1-hour cache-write rate, shown to users but not billed yet: canonical `Usage`
    /// does not tell 1-hour writes from 5-minute ones, so [`crate::cost`] uses `cache_write`.
    pub cache_write_1h: Option<Decimal>,
}

/// Models by LiteLLM key.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    entries: HashMap<String, CatalogEntry>,
    source_sha256: String,
}

impl Catalog {
    /// The catalog compiled into this binary, parsed on first use.
    ///
    /// The file is generated and checked by this crate's tests, so a parse failure is a bug in
    /// the build, not a runtime condition: it is logged and an empty catalog is returned, which
    /// leaves every catalog-priced call `unpriced` rather than taking the gateway down.
    pub fn embedded() -> Arc<Catalog> {
        static EMBEDDED: OnceLock<Arc<Catalog>> = OnceLock::new();
        EMBEDDED
            .get_or_init(|| {
                let catalog = Catalog::from_json(EMBEDDED_CATALOG_JSON).unwrap_or_else(|error| {
                    tracing::error!(%error, "embedded price catalog does not parse; every call is unpriced");
                    Catalog::default()
                });
                Arc::new(catalog)
            })
            .clone()
    }

    /// Parses a catalog in the format of `data/catalog.json`.
    pub fn from_json(text: &str) -> Result<Catalog, serde_json::Error> {
        let file: CatalogFile = serde_json::from_str(text)?;
        let entries = file
            .entries
            .into_iter()
            .map(|raw| {
                let entry = raw.into_entry();
                (entry.key.clone(), entry)
            })
            .collect();
        Ok(Catalog {
            entries,
            source_sha256: file.source_sha256,
        })
    }

    /// The entry stored under exactly this LiteLLM key. Use [`Catalog::find`] to look up the
    /// model a provider serves.
    pub fn get(&self, key: &str) -> Option<&CatalogEntry> {
        self.entries.get(key)
    }

    /// Every entry, in no particular order (for the model browser).
    pub fn entries(&self) -> impl Iterator<Item = &CatalogEntry> {
        self.entries.values()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// SHA-256 of the LiteLLM price map the catalog was built from: the catalog's version.
    pub fn source_sha256(&self) -> &str {
        &self.source_sha256
    }
}
