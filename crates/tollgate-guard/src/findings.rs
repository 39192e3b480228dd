//! What the guardrails found, in a form safe to log: types, counts, scores and rule names, never
//! a detected value.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

/// Summary for the spend-log row and metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Findings {
    /// Entity name → occurrences (`{"email": 2, "credit_card": 1}`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub pii: BTreeMap<String, u32>,
    /// Highest injection score over the scanned content, per-mille (integer so logs carry no
    /// float noise).
    pub injection_score: u16,
    /// Names of the injection signals that fired (`override`, `fake_role`, `encoded_payload`...).
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub injection_signals: BTreeSet<String>,
    /// Content-policy rules that matched, as `name` or `category/name`.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub policy_rules: BTreeSet<String>,
    /// Categories of the content-policy rules that matched (`violence`, `secrets`, ...); rules
    /// without a category add none.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub policy_categories: BTreeSet<String>,
    /// The request (or answer) was rewritten: masked or redacted.
    pub modified: bool,
}

impl Findings {
    pub fn is_empty(&self) -> bool {
        self.pii.is_empty()
            && self.injection_score == 0
            && self.policy_rules.is_empty()
            && !self.modified
    }

    pub(crate) fn count_pii(&mut self, name: &str) {
        match self.pii.get_mut(name) {
            Some(n) => *n = n.saturating_add(1),
            None => {
                self.pii.insert(name.to_owned(), 1);
            }
        }
    }

    /// Folds another summary in (e.g. the answer's into the request's).
    pub fn merge(&mut self, other: &Findings) {
        for (name, n) in &other.pii {
            let slot = self.pii.entry(name.clone()).or_insert(0);
            *slot = slot.saturating_add(*n);
        }
        self.injection_score = self.injection_score.max(other.injection_score);
        self.injection_signals
            .extend(other.injection_signals.iter().cloned());
        self.policy_rules.extend(other.policy_rules.iter().cloned());
        self.policy_categories
            .extend(other.policy_categories.iter().cloned());
        self.modified |= other.modified;
    }
}

/// Which guardrail refused the request; `as_str` is the error `code` callers see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockCode {
    PiiBlocked,
    PromptInjection,
    ContentPolicyViolation,
}

impl BlockCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            BlockCode::PiiBlocked => "pii_blocked",
            BlockCode::PromptInjection => "prompt_injection",
            BlockCode::ContentPolicyViolation => "content_policy_violation",
        }
    }
}

impl fmt::Display for BlockCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused request: render as HTTP 400 in the caller's dialect with `code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    pub code: BlockCode,
    /// Safe to show the caller: names entity types or rules, never a value.
    pub message: String,
    pub findings: Findings,
    /// Content policy only: a model the operator wants such requests sent to instead of a 400.
    pub fallback_model: Option<String>,
}

impl fmt::Display for Blocked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Blocked {}
