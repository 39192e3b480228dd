//! The guard: compiled once per settings value, shared by every request that uses them.
//!
//! On a request it walks every text part, tool-call argument and tool result once: PII is
//! detected and rewritten in place, untrusted content (user turns and tool results) is scored
//! for injection, and every caller-written text is checked against the content policy. Only then
//! does it decide, so the findings are complete even for a refused request.

use std::collections::BTreeSet;
use std::ops::Range;
use std::sync::Arc;

use tollgate_types::{ChatRequest, ContentPart, Role};

use crate::entity::EntityTable;
use crate::error::GuardConfigError;
use crate::findings::{BlockCode, Blocked, Findings};
use crate::injection::InjectionDetector;
use crate::normalize::normalize;
use crate::pii::{PiiDetector, Span};
use crate::policy::PolicyEngine;
use crate::redact::{Side, rewrite};
use crate::restore::Restorer;
use crate::settings::{GuardSettings, InjectionMode, PiiMode};
use crate::stream::{ChoiceScanners, OutputScanner};

pub(crate) struct Inner {
    pub settings: GuardSettings,
    pub table: EntityTable,
    pub pii: PiiDetector,
    pub injection: Option<InjectionDetector>,
    pub policy: PolicyEngine,
}

impl Inner {
    pub fn scans_output(&self) -> bool {
        self.settings.pii.scan_output
            && (0..self.table.len()).any(|i| {
                let id = crate::entity::EntityId(u16::try_from(i).unwrap_or(u16::MAX));
                self.table.get(id).mode != PiiMode::Off
            })
    }
}

/// Compiled guardrails. Cheap to clone (one `Arc`), safe to share across threads.
#[derive(Clone)]
pub struct Guard {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

/// The outcome of an allowed request.
#[derive(Debug, Clone)]
pub struct Inspection {
    pub findings: Findings,
    /// Give it to [`Guard::output_scanner`] so reversible placeholders are restored in the answer.
    pub restorer: Restorer,
}

/// One detected value, for tools and tests. Holds a range, not the value, so printing it leaks
/// nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub entity: String,
    pub range: Range<usize>,
}

/// An injection score and the signals behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectionReport {
    pub score_permille: u16,
    pub signals: Vec<String>,
}

/// What one request walk accumulates before the decision.
#[derive(Default)]
struct Walk {
    findings: Findings,
    blocked_entities: BTreeSet<String>,
    /// The first blocking rule hit.
    policy_block: Option<String>,
    /// The first blocking rule's fallback model; cleared for good (`no_fallback`) as soon as a
    /// blocking rule without one is hit.
    policy_fallback: Option<String>,
    no_fallback: bool,
    spans: Vec<Span>,
}

impl Guard {
    pub fn new(settings: GuardSettings) -> Result<Guard, GuardConfigError> {
        if settings.injection.threshold_permille > 1000 {
            return Err(GuardConfigError::Threshold(
                settings.injection.threshold_permille,
            ));
        }
        let mut table = EntityTable::default();
        let pii = PiiDetector::build(&settings.pii, &mut table)?;
        let policy = PolicyEngine::build(&settings.policy)?;
        // The deny-list words ride in the injection lexicon's automaton: one pass over the
        // normalised text finds both.
        let injection = match settings.injection.mode {
            InjectionMode::Off => None,
            InjectionMode::Log | InjectionMode::Block => {
                Some(InjectionDetector::build(policy.words())?)
            }
        };
        Ok(Guard {
            inner: Arc::new(Inner {
                settings,
                table,
                pii,
                injection,
                policy,
            }),
        })
    }

    pub fn settings(&self) -> &GuardSettings {
        &self.inner.settings
    }

    /// Scans and rewrites `request` in place. On `Ok` the request may be forwarded (its
    /// `passthrough` body is cleared whenever text was rewritten, so adapters re-serialise the
    /// canonical form); on `Err` it must be refused with HTTP 400 and `Blocked::code`, or sent to
    /// `Blocked::fallback_model` when that is set.
    // `Blocked` carries the findings by value: a refusal is an ordinary outcome here, handled
    // right at the call site, and boxing it would cost an allocation per refused request.
    #[allow(clippy::result_large_err)]
    pub fn inspect_request(&self, request: &mut ChatRequest) -> Result<Inspection, Blocked> {
        let mut restorer = Restorer::new(self.inner.settings.pii.reversible);
        if self.inner.settings.pii.reversible {
            for text in request.text_parts() {
                restorer.reserve_literals(text);
            }
        }
        let mut walk = Walk::default();
        for message in &mut request.messages {
            let untrusted = matches!(message.role, Role::User | Role::Tool);
            let caller_written = message.role != Role::Assistant;
            for part in &mut message.content {
                if let ContentPart::Text { text } = part {
                    self.inspect_text(text, untrusted, caller_written, &mut restorer, &mut walk);
                }
            }
            for call in &mut message.tool_calls {
                self.inspect_text(&mut call.arguments, false, false, &mut restorer, &mut walk);
            }
        }
        let findings = walk.findings;
        if findings.modified {
            request.passthrough = None;
        }
        if !walk.blocked_entities.is_empty() {
            let names: Vec<&str> = walk.blocked_entities.iter().map(String::as_str).collect();
            return Err(Blocked {
                code: BlockCode::PiiBlocked,
                message: format!(
                    "request contains data that may not be sent: {}",
                    names.join(", ")
                ),
                findings,
                fallback_model: None,
            });
        }
        let injection = &self.inner.settings.injection;
        if injection.mode == InjectionMode::Block
            && findings.injection_score >= injection.threshold_permille
        {
            let score = findings.injection_score;
            return Err(Blocked {
                code: BlockCode::PromptInjection,
                message: format!(
                    "request looks like a prompt injection (score {}.{:03})",
                    score / 1000,
                    score % 1000
                ),
                findings,
                fallback_model: None,
            });
        }
        if let Some(rule) = walk.policy_block.take() {
            return Err(Blocked {
                code: BlockCode::ContentPolicyViolation,
                message: format!("request violates content policy rule `{rule}`"),
                findings,
                fallback_model: if walk.no_fallback {
                    None
                } else {
                    walk.policy_fallback
                },
            });
        }
        Ok(Inspection { findings, restorer })
    }

    fn inspect_text(
        &self,
        text: &mut String,
        untrusted: bool,
        caller_written: bool,
        restorer: &mut Restorer,
        walk: &mut Walk,
    ) {
        let inner = &*self.inner;
        let wants_injection = untrusted && inner.injection.is_some();
        let wants_policy = caller_written && !inner.policy.is_empty();
        if wants_injection || wants_policy {
            let normalized = normalize(text);
            let mut word_matches = Vec::new();
            let mut words_found = false;
            if let (true, Some(detector)) = (wants_injection, &inner.injection) {
                let signals = detector.score_normalized(
                    text,
                    &normalized,
                    wants_policy.then_some(&mut word_matches),
                );
                words_found = wants_policy;
                let score = signals.permille();
                if score > 0 {
                    walk.findings.injection_score = walk.findings.injection_score.max(score);
                    walk.findings
                        .injection_signals
                        .extend(signals.names().map(str::to_owned));
                }
            }
            if wants_policy {
                let hits = inner.policy.check(
                    text,
                    &normalized.text,
                    words_found.then_some(word_matches.as_slice()),
                );
                walk.findings
                    .policy_rules
                    .extend(inner.policy.labels(&hits).map(str::to_owned));
                for category in inner.policy.categories(&hits) {
                    if !walk.findings.policy_categories.contains(category) {
                        walk.findings.policy_categories.insert(category.to_owned());
                    }
                }
                for (label, fallback) in inner.policy.blocking(&hits) {
                    if walk.policy_block.is_none() {
                        walk.policy_block = Some(label.to_owned());
                        walk.policy_fallback = fallback.map(str::to_owned);
                    }
                    walk.no_fallback |= fallback.is_none();
                }
            }
        }
        walk.spans.clear();
        inner.pii.detect(text, 0, &mut walk.spans);
        add_repeats(text, &mut walk.spans);
        for span in &walk.spans {
            let info = inner.table.get(span.entity);
            if info.mode == PiiMode::Block {
                walk.blocked_entities.insert(info.name.clone());
            }
        }
        if let Some(rewritten) = rewrite(
            text,
            &walk.spans,
            &inner.table,
            restorer,
            Side::Request,
            &mut walk.findings,
        ) {
            *text = rewritten;
            walk.findings.modified = true;
        }
    }

    /// A scanner for one streamed answer (per choice, and per tool call's arguments). Each
    /// scanner gets its own copy of the restorer: clone it for several.
    pub fn output_scanner(&self, restorer: Restorer) -> OutputScanner {
        OutputScanner::new(Arc::clone(&self.inner), restorer)
    }

    /// A scanner for a streamed answer with any number of choices: one [`OutputScanner`] per
    /// choice index, each with its own copy of `restorer`.
    pub fn choice_scanners(&self, restorer: Restorer) -> ChoiceScanners {
        ChoiceScanners::new(Arc::clone(&self.inner), restorer)
    }

    /// Scans a complete (non-streamed) answer text.
    pub fn scan_answer(&self, text: &str, restorer: &Restorer) -> (String, Findings) {
        let mut scanner = self.output_scanner(restorer.clone());
        let mut out = scanner.push(text);
        out.push_str(&scanner.finish());
        (out, scanner.findings().clone())
    }

    /// The entities detected in `text` (modes other than `off`), in order.
    pub fn detect_pii(&self, text: &str) -> Vec<Detection> {
        let mut spans = Vec::new();
        self.inner.pii.detect(text, 0, &mut spans);
        spans
            .iter()
            .map(|s| Detection {
                entity: self.inner.table.get(s.entity).name.clone(),
                range: s.start..s.end,
            })
            .collect()
    }

    /// The injection score of one untrusted text (zero when injection is off).
    pub fn injection_report(&self, text: &str) -> InjectionReport {
        match &self.inner.injection {
            Some(detector) => {
                let signals = detector.score_normalized(text, &normalize(text), None);
                InjectionReport {
                    score_permille: signals.permille(),
                    signals: signals.names().map(str::to_owned).collect(),
                }
            }
            None => InjectionReport {
                score_permille: 0,
                signals: Vec::new(),
            },
        }
    }
}

/// Every other occurrence of a detected value in the same text, as spans of the same entity.
/// Context rules can leave a repeat undetected (`order #4111...` after a real card number); once
/// a value is known to be sensitive, no copy of it may go through. Request side only: a stream
/// cannot take back text it already sent.
fn add_repeats(text: &str, spans: &mut Vec<Span>) {
    if spans.is_empty() {
        return;
    }
    // Each distinct value is searched once (memchr's SIMD substring search); the spans are
    // sorted and disjoint, so an occurrence is checked against them by binary search.
    let mut seen: Vec<&str> = Vec::new();
    let mut extra: Vec<Span> = Vec::new();
    for span in spans.iter() {
        let Some(value) = text.get(span.start..span.end) else {
            continue;
        };
        if value.is_empty() || seen.contains(&value) {
            continue;
        }
        seen.push(value);
        for at in memchr::memmem::find_iter(text.as_bytes(), value.as_bytes()) {
            let end = at + value.len();
            // The first span ending after `at` is the only one that can overlap.
            let next = spans.partition_point(|s| s.end <= at);
            let covered = spans.get(next).is_some_and(|s| s.start < end)
                || extra.iter().any(|s| at < s.end && s.start < end);
            if !covered && text.is_char_boundary(at) && text.is_char_boundary(end) {
                extra.push(Span {
                    match_start: at,
                    start: at,
                    end,
                    ..*span
                });
            }
        }
    }
    if !extra.is_empty() {
        spans.extend(extra);
        spans.sort_by_key(|s| s.start);
    }
}
