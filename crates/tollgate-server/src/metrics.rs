//! Prometheus metrics at `/metrics`, fed from the one place every request is recorded
//! ([`crate::accounting::record`]), so metrics and the spend log cannot disagree.
//!
//! Labels stay low-cardinality: the public model name only once a request was routed (unknown
//! names a caller typed become `-`), the provider, the status class and the error class.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tollgate_store::{SpendCostSource, SpendRecord};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    model: String,
    provider: String,
    status: String,
    error: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelLabels {
    model: String,
    provider: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CostLabels {
    model: String,
    provider: String,
    source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TokenLabels {
    model: String,
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FindingLabels {
    guardrail: String,
    finding: String,
}

/// The gateway's metrics; cheap to clone (shared families).
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<ModelLabels, Histogram>,
    time_to_first_token: Family<ModelLabels, Histogram>,
    cost_nanousd: Family<CostLabels, Counter>,
    unpriced: Family<ModelLabels, Counter>,
    tokens: Family<TokenLabels, Counter>,
    guardrail_findings: Family<FindingLabels, Counter>,
}

fn seconds_histogram() -> Histogram {
    // 1 ms … ~65 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 17))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<ModelLabels, Histogram>::new_with_constructor(
            seconds_histogram as fn() -> Histogram,
        );
        let time_to_first_token = Family::<ModelLabels, Histogram>::new_with_constructor(
            seconds_histogram as fn() -> Histogram,
        );
        let cost_nanousd = Family::<CostLabels, Counter>::default();
        let unpriced = Family::<ModelLabels, Counter>::default();
        let tokens = Family::<TokenLabels, Counter>::default();
        let guardrail_findings = Family::<FindingLabels, Counter>::default();
        registry.register(
            "tollgate_requests",
            "Requests by public model, provider, status and error class",
            requests.clone(),
        );
        registry.register(
            "tollgate_request_duration_seconds",
            "Time from request to the end of the answer",
            latency.clone(),
        );
        registry.register(
            "tollgate_time_to_first_token_seconds",
            "Time from request to the first token (streams) or the answer",
            time_to_first_token.clone(),
        );
        registry.register(
            "tollgate_cost_nanousd",
            "Settled cost in nano-USD, by where the figure came from",
            cost_nanousd.clone(),
        );
        registry.register(
            "tollgate_unpriced_requests",
            "Requests whose cost could not be determined (never counted as $0)",
            unpriced.clone(),
        );
        registry.register(
            "tollgate_tokens",
            "Tokens by kind (input includes cached and cache-write; output includes reasoning)",
            tokens.clone(),
        );
        registry.register(
            "tollgate_guardrail_findings",
            "What the guardrails found (types and counts, never values)",
            guardrail_findings.clone(),
        );
        Metrics {
            registry: Arc::new(registry),
            requests,
            latency,
            time_to_first_token,
            cost_nanousd,
            unpriced,
            tokens,
            guardrail_findings,
        }
    }
}

impl Metrics {
    /// Counts one finished request from its spend-log row.
    pub fn observe(&self, row: &SpendRecord) {
        let routed = row.provider.is_some();
        let model = if routed {
            row.requested_model.clone()
        } else {
            "-".to_string()
        };
        let provider = row.provider.clone().unwrap_or_else(|| "-".to_string());
        self.requests
            .get_or_create(&RequestLabels {
                model: model.clone(),
                provider: provider.clone(),
                status: row.status.to_string(),
                error: row.error_class.clone().unwrap_or_default(),
            })
            .inc();
        let by_model = ModelLabels {
            model: model.clone(),
            provider: provider.clone(),
        };
        if let Some(ms) = row.latency_ms {
            self.latency
                .get_or_create(&by_model)
                .observe(ms as f64 / 1000.0);
        }
        if let Some(ms) = row.ttft_ms {
            self.time_to_first_token
                .get_or_create(&by_model)
                .observe(ms as f64 / 1000.0);
        }
        match (row.cost, row.cost_source) {
            (_, SpendCostSource::Unpriced) | (None, _) => {
                if routed {
                    self.unpriced.get_or_create(&by_model).inc();
                }
            }
            (Some(cost), source) => {
                if let Ok(nanos) = u64::try_from(cost.0) {
                    self.cost_nanousd
                        .get_or_create(&CostLabels {
                            model: model.clone(),
                            provider,
                            source: source.as_str().to_string(),
                        })
                        .inc_by(nanos);
                }
            }
        }
        let usage = &row.usage;
        for (kind, count) in [
            ("input", usage.input_tokens),
            ("output", usage.output_tokens),
            ("cached_input", usage.cached_input_tokens),
            ("cache_write", usage.cache_write_tokens),
            ("reasoning", usage.reasoning_tokens),
        ] {
            if count > 0 {
                self.tokens
                    .get_or_create(&TokenLabels {
                        model: model.clone(),
                        kind: kind.to_string(),
                    })
                    .inc_by(count);
            }
        }
        if let Some(findings) = &row.guardrails {
            if let Some(pii) = findings.get("pii").and_then(|p| p.as_object()) {
                for (entity, count) in pii {
                    self.guardrail_findings
                        .get_or_create(&FindingLabels {
                            guardrail: "pii".into(),
                            finding: entity.clone(),
                        })
                        .inc_by(count.as_u64().unwrap_or(1));
                }
            }
            if let Some(rules) = findings.get("policy_rules").and_then(|r| r.as_array()) {
                for rule in rules.iter().filter_map(|r| r.as_str()) {
                    self.guardrail_findings
                        .get_or_create(&FindingLabels {
                            guardrail: "policy".into(),
                            finding: rule.to_string(),
                        })
                        .inc();
                }
            }
            if row.error_class.as_deref() == Some("prompt_injection") {
                self.guardrail_findings
                    .get_or_create(&FindingLabels {
                        guardrail: "injection".into(),
                        finding: "blocked".into(),
                    })
                    .inc();
            }
        }
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Err(error) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(%error, "could not encode metrics");
        }
        out
    }
}
