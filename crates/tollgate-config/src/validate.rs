//! Raw file → [`Config`]: defaults, keywords, ranges and cross references, every problem
//! collected in one pass. Problems name a path; `load` turns paths into lines.

use std::time::Duration;

use crate::keyword::Keyword;
use crate::raw::RawConfig;
use crate::{Config, Secret};

mod budgets;
mod models;
mod providers;
mod sections;

/// One validation failure at a document path (`models[0].deployments[1].weight`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub path: String,
    pub message: String,
}

pub(crate) fn validate(raw: RawConfig) -> Result<Config, Vec<Problem>> {
    let mut v = Validator::default();
    let server = v.server(raw.server);
    let master_key = non_empty(raw.master_key).map(Secret::new);
    let storage = v.storage(raw.storage);
    let redis = v.redis(raw.redis);
    let raw_providers = raw.providers.unwrap_or_default();
    // Names as written, valid or not: a deployment on a provider whose own entry has an error
    // should not get a second, misleading "unknown provider" error.
    let declared = raw_providers.keys().cloned().collect();
    let providers = v.providers(raw_providers);
    let models = v.models(
        raw.models.unwrap_or_default(),
        &models::KnownProviders {
            declared,
            valid: &providers,
        },
    );
    let routing = v.routing(raw.routing);
    let guardrails = v.guardrails(raw.guardrails);
    if let Some(fallback) = &guardrails.policy.fallback_model
        && !models.iter().any(|m| &m.name == fallback)
    {
        v.problem(
            "guardrails.policy.fallback_model",
            format!("unknown model `{fallback}`; it must be one of `models[].name`"),
        );
    }
    let budgets = v.budgets(raw.budgets);
    let credits = v.credits(raw.credits);
    if !v.problems.is_empty() {
        return Err(v.problems);
    }
    Ok(Config {
        server,
        master_key,
        storage,
        redis,
        providers,
        models,
        routing,
        guardrails,
        budgets,
        credits,
    })
}

/// Collects problems; its helpers return a usable value (the default) even after reporting,
/// so checking goes on and finds the next problem.
#[derive(Debug, Default)]
struct Validator {
    problems: Vec<Problem>,
}

impl Validator {
    fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    /// A keyword field: `default` when absent, an error listing the accepted words when unknown.
    fn keyword<K: Keyword>(&mut self, path: &str, word: Option<&str>, default: K) -> K {
        match word {
            None => default,
            Some(word) => self.known_keyword(path, word).unwrap_or(default),
        }
    }

    /// Parses a keyword, reporting an unknown one.
    fn known_keyword<K: Keyword>(&mut self, path: &str, word: &str) -> Option<K> {
        let keyword = K::from_keyword(word);
        if keyword.is_none() {
            self.problem(
                path,
                format!("unknown value `{word}`; expected one of {}", K::expected()),
            );
        }
        keyword
    }

    /// An integer in `min..=max` (`default` when absent).
    fn int_in(&mut self, path: &str, value: Option<i64>, min: i64, max: i64, default: i64) -> i64 {
        match value {
            None => default,
            Some(v) if (min..=max).contains(&v) => v,
            Some(v) => {
                let rule = if v > max {
                    format!("must be at most {max}")
                } else {
                    match min {
                        0 => "must not be negative".to_owned(),
                        1 => "must be greater than 0".to_owned(),
                        _ => format!("must be at least {min}"),
                    }
                };
                self.problem(path, format!("{rule} (got {v})"));
                default
            }
        }
    }

    /// A duration in milliseconds, greater than 0.
    fn millis(&mut self, path: &str, value: Option<i64>, default: Duration) -> Duration {
        let default_ms = i64::try_from(default.as_millis()).unwrap_or(i64::MAX);
        Duration::from_millis(
            self.int_in(path, value, 1, i64::MAX, default_ms)
                .unsigned_abs(),
        )
    }

    /// An optional duration in milliseconds, greater than 0.
    fn optional_millis(&mut self, path: &str, value: Option<i64>) -> Option<Duration> {
        let value = value?;
        let ms = self.int_in(path, Some(value), 1, i64::MAX, 0);
        (ms > 0).then(|| Duration::from_millis(ms.unsigned_abs()))
    }

    /// A required string field; empty counts as missing.
    fn required(&mut self, path: &str, value: Option<String>) -> Option<String> {
        let value = non_empty(value);
        if value.is_none() {
            self.problem(path, "is required");
        }
        value
    }
}

/// Empty strings count as absent: `${VAR:-}` expands to nothing on purpose.
fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// `a.b` / `a[0]`: child paths, spelled like `serde_path_to_error` does.
fn field(parent: &str, name: &str) -> String {
    crate::source_index::join_key(parent, name)
}

fn item(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}
