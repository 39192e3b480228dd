//! `models:`: names, deployments (and the providers they name), prices and fallbacks.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rust_decimal::Decimal;

use super::{Validator, field, item};
use crate::raw::{ExactDecimal, RawDeployment, RawModel, RawPrice};
use crate::{DeploymentConfig, ModelConfig, ModelKind, Price, ProviderConfig};

/// What deployments may refer to.
pub(super) struct KnownProviders<'a> {
    /// Every name under `providers:`.
    pub declared: BTreeSet<String>,
    /// The entries that passed validation.
    pub valid: &'a BTreeMap<String, ProviderConfig>,
}

impl Validator {
    pub(super) fn models(
        &mut self,
        raw: Vec<RawModel>,
        providers: &KnownProviders<'_>,
    ) -> Vec<ModelConfig> {
        let mut models = Vec::with_capacity(raw.len());
        // Name → (index, kind) of its first definition, for duplicates and fallbacks.
        let mut seen: HashMap<String, (usize, ModelKind)> = HashMap::new();
        let mut fallbacks_to_check = Vec::new();
        for (i, raw) in raw.into_iter().enumerate() {
            let path = item("models", i);
            let name = self.required(&field(&path, "name"), raw.name);
            let kind = self.keyword(&field(&path, "kind"), raw.kind.as_deref(), ModelKind::Chat);
            if let Some(name) = &name {
                if let Some((first, _)) = seen.get(name) {
                    self.problem(
                        field(&path, "name"),
                        format!("model `{name}` is already defined at models[{first}]"),
                    );
                } else {
                    seen.insert(name.clone(), (i, kind));
                }
            }
            let deployments = self.deployments(&path, raw.deployments, kind, providers);
            let retries = self.int_in(
                &field(&path, "retries"),
                raw.retries,
                0,
                i64::from(u32::MAX),
                0,
            );
            let deadline = self.optional_millis(&field(&path, "deadline_ms"), raw.deadline_ms);
            let fallbacks = raw.fallbacks.unwrap_or_default();
            let context_window_fallbacks = raw.context_window_fallbacks.unwrap_or_default();
            fallbacks_to_check.push((
                field(&path, "fallbacks"),
                name.clone(),
                kind,
                fallbacks.clone(),
            ));
            fallbacks_to_check.push((
                field(&path, "context_window_fallbacks"),
                name.clone(),
                kind,
                context_window_fallbacks.clone(),
            ));
            if let Some(name) = name {
                models.push(ModelConfig {
                    name,
                    kind,
                    deployments,
                    retries: u32::try_from(retries).unwrap_or(0),
                    fallbacks,
                    context_window_fallbacks,
                    deadline,
                });
            }
        }
        // Fallbacks may name models defined later in the file, so they are checked last.
        for (list_path, name, kind, fallbacks) in fallbacks_to_check {
            for (j, fallback) in fallbacks.iter().enumerate() {
                let fallback_path = item(&list_path, j);
                match seen.get(fallback) {
                    _ if Some(fallback) == name.as_ref() => {
                        self.problem(fallback_path, "a model cannot fall back to itself");
                    }
                    None => self.problem(fallback_path, format!("unknown model `{fallback}`")),
                    Some((_, fallback_kind)) if *fallback_kind != kind => self.problem(
                        fallback_path,
                        format!("`{fallback}` is a {fallback_kind} model; a {kind} model cannot fall back to it"),
                    ),
                    Some(_) => {}
                }
            }
        }
        models
    }

    fn deployments(
        &mut self,
        model_path: &str,
        raw: Option<Vec<RawDeployment>>,
        kind: ModelKind,
        providers: &KnownProviders<'_>,
    ) -> Vec<DeploymentConfig> {
        let path = field(model_path, "deployments");
        let raw = raw.unwrap_or_default();
        if raw.is_empty() {
            self.problem(&path, "a model needs at least one deployment");
        }
        raw.into_iter()
            .enumerate()
            .filter_map(|(j, raw)| self.deployment(&item(&path, j), raw, kind, providers))
            .collect()
    }

    fn deployment(
        &mut self,
        path: &str,
        raw: RawDeployment,
        kind: ModelKind,
        providers: &KnownProviders<'_>,
    ) -> Option<DeploymentConfig> {
        let provider_path = field(path, "provider");
        let provider = self.required(&provider_path, raw.provider);
        if let Some(name) = &provider {
            if !providers.declared.contains(name) {
                let declared: Vec<_> = providers.declared.iter().map(String::as_str).collect();
                self.problem(
                    &provider_path,
                    format!(
                        "unknown provider `{name}` (defined: {})",
                        declared.join(", ")
                    ),
                );
            } else if let Some(p) = providers.valid.get(name)
                && kind == ModelKind::Embedding
                && !p.kind.supports_embeddings()
            {
                self.problem(
                    &provider_path,
                    format!(
                        "provider `{name}` is kind {}, which has no embeddings API",
                        p.kind
                    ),
                );
            }
        }
        let model = self.required(&field(path, "model"), raw.model);
        let weight = self.int_in(
            &field(path, "weight"),
            raw.weight,
            1,
            i64::from(u32::MAX),
            i64::from(DeploymentConfig::DEFAULT_WEIGHT),
        );
        let timeout = self.millis(
            &field(path, "timeout_ms"),
            raw.timeout_ms,
            DeploymentConfig::DEFAULT_TIMEOUT,
        );
        let first_byte_path = field(path, "first_byte_timeout_ms");
        let first_byte_timeout = self.millis(&first_byte_path, raw.first_byte_timeout_ms, timeout);
        if first_byte_timeout > timeout {
            self.problem(first_byte_path, "must not exceed timeout_ms");
        }
        let idle_path = field(path, "stream_idle_timeout_ms");
        let stream_idle_timeout = self.millis(
            &idle_path,
            raw.stream_idle_timeout_ms,
            first_byte_timeout.min(timeout),
        );
        if stream_idle_timeout > timeout {
            self.problem(idle_path, "must not exceed timeout_ms");
        }
        let rpm_limit = self.rate_limit(&field(path, "rpm_limit"), raw.rpm_limit);
        let tpm_limit = self.rate_limit(&field(path, "tpm_limit"), raw.tpm_limit);
        let price = raw
            .price
            .map(|p| self.price(&field(path, "price"), p, kind));
        Some(DeploymentConfig {
            provider: provider?,
            model: model?,
            weight: u32::try_from(weight).unwrap_or(DeploymentConfig::DEFAULT_WEIGHT),
            timeout,
            first_byte_timeout,
            stream_idle_timeout,
            rpm_limit,
            tpm_limit,
            price,
        })
    }

    /// A per-minute quota: at least 1, at most what the counters hold.
    fn rate_limit(&mut self, path: &str, value: Option<i64>) -> Option<u64> {
        let max = i64::try_from(DeploymentConfig::MAX_RATE_LIMIT).unwrap_or(i64::MAX);
        let value = value?;
        let limit = self.int_in(path, Some(value), 1, max, 0);
        u64::try_from(limit).ok().filter(|limit| *limit > 0)
    }

    fn price(&mut self, path: &str, raw: RawPrice, kind: ModelKind) -> Price {
        let input = self.amount(path, "input_per_mtok", raw.input_per_mtok);
        let output = self.amount(path, "output_per_mtok", raw.output_per_mtok);
        if input.is_none() {
            self.problem(field(path, "input_per_mtok"), "is required in a price");
        }
        // Embeddings produce no output tokens, so their price may leave the output out.
        if output.is_none() && kind == ModelKind::Chat {
            self.problem(
                field(path, "output_per_mtok"),
                "is required in a chat model's price",
            );
        }
        Price {
            input_per_mtok: input.unwrap_or_default(),
            output_per_mtok: output.unwrap_or_default(),
            cached_input_per_mtok: self.amount(
                path,
                "cached_input_per_mtok",
                raw.cached_input_per_mtok,
            ),
            cache_write_per_mtok: self.amount(
                path,
                "cache_write_per_mtok",
                raw.cache_write_per_mtok,
            ),
        }
    }

    fn amount(&mut self, parent: &str, name: &str, value: Option<ExactDecimal>) -> Option<Decimal> {
        let ExactDecimal(value) = value?;
        if value.is_sign_negative() && !value.is_zero() {
            self.problem(
                field(parent, name),
                format!("must not be negative (got {value})"),
            );
        }
        Some(value)
    }
}
