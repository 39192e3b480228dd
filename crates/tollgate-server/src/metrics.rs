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
use serde_json::Value;
use tollgate_store::{SpendCostSource, SpendRecord};

/// A label value that varies per request (model, provider, error class, finding): allocated
/// once per [`Metrics::observe`] and shared by every label set that carries it.
type Label = Arc<str>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    model: Label,
    provider: Label,
    status: u16,
    /// `None` is exported as the empty string, as before.
    error: Option<Label>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelLabels {
    model: Label,
    provider: Label,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CostLabels {
    model: Label,
    provider: Label,
    source: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TokenLabels {
    model: Label,
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FindingLabels {
    guardrail: &'static str,
    finding: Label,
}

/// Keys of the spend row's `guardrails` object holding `entity → count`, and the `guardrail`
/// label their entities are counted under.
const COUNTED_FINDINGS: [(&str, &str); 2] = [("pii", "pii"), ("output_pii", "output_pii")];

/// Keys of the spend row's `guardrails` object holding a list of names (rules, categories),
/// and the `guardrail` label each name is counted under (once per request).
const LISTED_FINDINGS: [(&str, &str); 4] = [
    ("policy_rules", "policy"),
    ("output_policy_rules", "output_policy"),
    ("policy_categories", "policy_category"),
    ("output_policy_categories", "output_policy_category"),
];

/// Calls `each(guardrail, finding, count)` for every `tollgate_guardrail_findings` increment a
/// spend row's `guardrails` object (and its error class) makes. Labels stay low-cardinality:
/// entity, rule and category names come from the configuration, never from the text scanned.
fn for_each_finding(
    findings: &Value,
    error_class: Option<&str>,
    mut each: impl FnMut(&'static str, &str, u64),
) {
    for (key, guardrail) in COUNTED_FINDINGS {
        if let Some(counts) = findings.get(key).and_then(Value::as_object) {
            for (entity, count) in counts {
                each(guardrail, entity, count.as_u64().unwrap_or(1));
            }
        }
    }
    for (key, guardrail) in LISTED_FINDINGS {
        if let Some(names) = findings.get(key).and_then(Value::as_array) {
            for name in names.iter().filter_map(Value::as_str) {
                each(guardrail, name, 1);
            }
        }
    }
    if error_class == Some("prompt_injection") {
        each("injection", "blocked", 1);
    }
}

/// The row's injection score (stored in per-mille) as a fraction of 1, if it has one.
fn injection_score(findings: &Value) -> Option<f64> {
    findings
        .get("injection_score")
        .and_then(Value::as_u64)
        .map(|permille| permille.min(1000) as f64 / 1000.0)
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
    injection_score: Histogram,
    /// The `-` of unrouted requests, shared.
    unknown: Label,
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
        // 0.1 … 1.0 written out: summed steps would export `le="0.30000000000000004"`.
        let injection_score = Histogram::new([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]);
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
        registry.register(
            "tollgate_injection_score",
            "Prompt-injection score (0 to 1) of requests whose spend row records guardrail \
             findings",
            injection_score.clone(),
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
            injection_score,
            unknown: Label::from("-"),
        }
    }
}

impl Metrics {
    /// Counts one finished request from its spend-log row. On the hot path (every request):
    /// the model and provider labels are allocated once and shared by every label set, the
    /// fixed labels are `&'static str`, and the error class is allocated only on errors.
    pub fn observe(&self, row: &SpendRecord) {
        let (model, provider) = match row.provider.as_deref() {
            Some(provider) => (
                Label::from(row.requested_model.as_str()),
                Label::from(provider),
            ),
            None => (Arc::clone(&self.unknown), Arc::clone(&self.unknown)),
        };
        let routed = row.provider.is_some();
        self.requests
            .get_or_create(&RequestLabels {
                model: Arc::clone(&model),
                provider: Arc::clone(&provider),
                status: row.status,
                error: row.error_class.as_deref().map(Label::from),
            })
            .inc();
        let by_model = ModelLabels {
            model: Arc::clone(&model),
            provider,
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
                            model: Arc::clone(&model),
                            provider: by_model.provider,
                            source: source.as_str(),
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
                        model: Arc::clone(&model),
                        kind,
                    })
                    .inc_by(count);
            }
        }
        if let Some(findings) = &row.guardrails {
            for_each_finding(
                findings,
                row.error_class.as_deref(),
                |guardrail, finding, count| {
                    self.guardrail_findings
                        .get_or_create(&FindingLabels {
                            guardrail,
                            finding: Label::from(finding),
                        })
                        .inc_by(count);
                },
            );
            if let Some(score) = injection_score(findings) {
                self.injection_score.observe(score);
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use serde_json::json;
    use tollgate_store::Timestamp;
    use tollgate_types::{NanoUsd, Usage};

    use super::*;

    fn row() -> SpendRecord {
        SpendRecord {
            request_id: "r".into(),
            client_request_id: None,
            created_at: Timestamp(0),
            org_id: None,
            team_id: None,
            user_id: None,
            key_id: None,
            end_user: None,
            requested_model: "gpt".into(),
            deployment: None,
            provider: Some("openai".into()),
            attempts: 1,
            usage: Usage {
                input_tokens: 10,
                output_tokens: 5,
                cached_input_tokens: 2,
                ..Usage::default()
            },
            cost: Some(NanoUsd(1234)),
            cost_source: SpendCostSource::Catalog,
            latency_ms: Some(12),
            ttft_ms: Some(3),
            status: 400,
            error_class: Some("prompt_injection".into()),
            tags: vec![],
            guardrails: Some(json!({"pii": {"email": 2}, "policy_rules": ["a/b"],
                "injection_score": 700})),
            charge_credits: false,
        }
    }

    fn findings(value: &Value, error_class: Option<&str>) -> Vec<(&'static str, String, u64)> {
        let mut all = Vec::new();
        for_each_finding(value, error_class, |guardrail, finding, count| {
            all.push((guardrail, finding.to_string(), count));
        });
        all.sort();
        all
    }

    #[test]
    fn every_key_of_the_row_maps_to_its_guardrail_label() {
        let row = json!({
            "pii": {"email": 2, "phone": 1},
            "injection_score": 734,
            "injection_signals": ["override"],
            "policy_rules": ["violence/weapons", "deny"],
            "policy_categories": ["violence"],
            "modified": true,
            "fallback_model": "safe-model",
            "output_pii": {"email": 1},
            "output_policy_rules": ["answers/echoes"],
            "output_policy_categories": ["answers"],
        });
        let expected: Vec<(&str, String, u64)> = vec![
            ("injection", "blocked".into(), 1),
            ("output_pii", "email".into(), 1),
            ("output_policy", "answers/echoes".into(), 1),
            ("output_policy_category", "answers".into(), 1),
            ("pii", "email".into(), 2),
            ("pii", "phone".into(), 1),
            ("policy", "deny".into(), 1),
            ("policy", "violence/weapons".into(), 1),
            ("policy_category", "violence".into(), 1),
        ];
        assert_eq!(findings(&row, Some("prompt_injection")), expected);
        // Signals, scores, flags and the fallback model are not findings labels.
        let without_block = findings(&row, Some("content_policy_violation"));
        assert_eq!(without_block.len(), expected.len() - 1);
        assert!(findings(&json!({"injection_score": 0, "modified": true}), None).is_empty());
        // Malformed values are skipped, not guessed at.
        assert!(findings(&json!({"pii": ["email"], "policy_rules": "x"}), None).is_empty());
    }

    #[test]
    fn the_injection_score_is_a_fraction_of_one() {
        assert_eq!(
            injection_score(&json!({"injection_score": 734})),
            Some(0.734)
        );
        assert_eq!(injection_score(&json!({"injection_score": 0})), Some(0.0));
        assert_eq!(
            injection_score(&json!({"injection_score": 5000})),
            Some(1.0)
        );
        assert_eq!(injection_score(&json!({"pii": {"email": 1}})), None);
    }

    /// The series as exported, order-free (a family's series come out in hash order).
    fn lines(metrics: &Metrics) -> Vec<String> {
        let mut lines: Vec<String> = metrics.render().lines().map(str::to_string).collect();
        lines.sort();
        lines
    }

    #[test]
    fn existing_series_are_exported_as_before() {
        let metrics = Metrics::default();
        metrics.observe(&row());
        let mut unrouted = row();
        unrouted.provider = None;
        unrouted.error_class = None;
        unrouted.status = 404;
        unrouted.cost = None;
        unrouted.guardrails = None;
        metrics.observe(&unrouted);
        let lines = lines(&metrics);
        // As rendered before the label types changed (String labels everywhere).
        for expected in [
            r#"tollgate_requests_total{model="gpt",provider="openai",status="400",error="prompt_injection"} 1"#,
            r#"tollgate_requests_total{model="-",provider="-",status="404",error=""} 1"#,
            r#"tollgate_cost_nanousd_total{model="gpt",provider="openai",source="catalog"} 1234"#,
            r#"tollgate_request_duration_seconds_sum{model="gpt",provider="openai"} 0.012"#,
            r#"tollgate_request_duration_seconds_count{model="-",provider="-"} 1"#,
            r#"tollgate_time_to_first_token_seconds_bucket{le="0.004",model="gpt",provider="openai"} 1"#,
            r#"tollgate_tokens_total{model="gpt",kind="cached_input"} 2"#,
            r#"tollgate_tokens_total{model="-",kind="output"} 5"#,
            r#"tollgate_guardrail_findings_total{guardrail="pii",finding="email"} 2"#,
            r#"tollgate_guardrail_findings_total{guardrail="policy",finding="a/b"} 1"#,
            r#"tollgate_guardrail_findings_total{guardrail="injection",finding="blocked"} 1"#,
        ] {
            assert!(
                lines.iter().any(|line| line == expected),
                "{expected}\n{lines:#?}"
            );
        }
        let requests = lines
            .iter()
            .filter(|l| l.starts_with("tollgate_requests_total"));
        assert_eq!(requests.count(), 2);
    }

    #[test]
    fn answer_findings_categories_and_the_injection_score_are_exported() {
        let metrics = Metrics::default();
        let mut answer = row();
        answer.error_class = None;
        answer.status = 200;
        answer.guardrails = Some(json!({
            "injection_score": 734,
            "policy_categories": ["violence"],
            "output_pii": {"email": 3},
            "output_policy_rules": ["violence/weapons"],
            "output_policy_categories": ["violence"],
        }));
        metrics.observe(&answer);
        metrics.observe(&answer);
        let lines = lines(&metrics);
        for expected in [
            r#"tollgate_guardrail_findings_total{guardrail="output_pii",finding="email"} 6"#,
            r#"tollgate_guardrail_findings_total{guardrail="output_policy",finding="violence/weapons"} 2"#,
            r#"tollgate_guardrail_findings_total{guardrail="policy_category",finding="violence"} 2"#,
            r#"tollgate_guardrail_findings_total{guardrail="output_policy_category",finding="violence"} 2"#,
            "# TYPE tollgate_injection_score histogram",
            "tollgate_injection_score_count 2",
            r#"tollgate_injection_score_bucket{le="0.7"} 0"#,
            r#"tollgate_injection_score_bucket{le="0.8"} 2"#,
            r#"tollgate_injection_score_bucket{le="0.3"} 0"#,
            r#"tollgate_injection_score_bucket{le="+Inf"} 2"#,
        ] {
            assert!(
                lines.iter().any(|line| line == expected),
                "{expected}\n{lines:#?}"
            );
        }
        assert!(
            !lines.iter().any(|l| l.contains(r#"guardrail="injection""#)),
            "no block, no injection count"
        );
    }
}
