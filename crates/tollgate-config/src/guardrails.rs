//! The `guardrails:` section (design.md §4.1), and the same shape as a partial override stored
//! on an organization, a team or a key (admin API `guardrails` object).
//!
//! One serde type, [`GuardrailsOverride`], reads both: the config file's section and an
//! override. Every field is optional; [`GuardrailsConfig::apply`] lays one over a base (the
//! config's section over the defaults; an override over the level above, to read what it asks
//! for) and reports every problem with its path. Tenant overrides then only tighten:
//! [`GuardrailsConfig::effective_settings`] floor-merges them, and
//! [`GuardrailsConfig::loosenings`] names the fields of an override looser than the config.
//! Merging rules of `apply`:
//!
//! - scalars (`mode`, `threshold`, `reversible`, `scan_output`, `fallback_model`) replace the
//!   value above;
//! - `pii.entities` and `policy.categories` merge key by key (an override names only the
//!   entities or categories it changes);
//! - lists (`pii.custom`, `policy.deny`, `policy.regex`, `policy.rules`) replace the list above
//!   whole (`[]` empties it);
//! - an absent field (or `null` inside an override) keeps the value above.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tollgate_guard::{
    CustomEntity, EntityKind, GuardSettings, InjectionSettings, PiiSettings, PolicyAction,
    PolicyRule, PolicySettings,
};

use crate::ConfigError;
use crate::keyword::{Keyword, keyword_enum};

keyword_enum! {
    pub enum PiiMode {
        Off => "off",
        /// Detect and record, change nothing.
        Log => "log",
        /// Replace with a mask keeping the last characters.
        Mask => "mask",
        /// Replace with a typed placeholder.
        Redact => "redact",
        Block => "block",
    }
}

keyword_enum! {
    pub enum InjectionMode {
        Off => "off",
        Log => "log",
        Block => "block",
    }
}

keyword_enum! {
    /// What a content-policy hit does.
    pub enum PolicyMode {
        /// Refuse (400 `content_policy_violation`), or route to `fallback_model` when set.
        Block => "block",
        /// Record the hit, let the request through.
        Log => "log",
    }
}

/// Gateway-wide guardrail defaults (organizations, teams and keys may override them).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GuardrailsConfig {
    pub pii: PiiConfig,
    pub injection: InjectionConfig,
    pub policy: PolicyConfig,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PiiConfig {
    /// Mode of every built-in entity not named in `entities`.
    pub mode: PiiMode,
    /// Per-entity modes.
    pub entities: BTreeMap<EntityKind, PiiMode>,
    /// Operator-defined entities, each with its own mode.
    pub custom: Vec<CustomEntityConfig>,
    /// Redacted values are restored in the answer (the provider never sees them).
    pub reversible: bool,
    /// Scan answers too.
    pub scan_output: bool,
}

impl Default for PiiConfig {
    /// Detection on, traffic untouched: safety is on for everyone without surprising anyone.
    fn default() -> Self {
        Self {
            mode: PiiMode::Log,
            entities: BTreeMap::new(),
            custom: Vec::new(),
            reversible: false,
            scan_output: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomEntityConfig {
    /// Lower-case letters, digits and `_`, starting with a letter; the placeholder is its upper
    /// case (`employee_id` → `<EMPLOYEE_ID_1>`).
    pub name: String,
    /// Rust `regex` syntax.
    pub regex: Option<String>,
    /// Whole words or phrases, ASCII-case-insensitive.
    pub words: Vec<String>,
    pub mode: PiiMode,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InjectionConfig {
    pub mode: InjectionMode,
    /// Score in `0..=1` at or above which a prompt counts as an injection attempt.
    pub threshold: f64,
}

impl InjectionConfig {
    pub const DEFAULT_THRESHOLD: f64 = 0.5;
}

impl Default for InjectionConfig {
    fn default() -> Self {
        Self {
            mode: InjectionMode::Log,
            threshold: Self::DEFAULT_THRESHOLD,
        }
    }
}

/// Content policy: words and regular expressions the caller's text must not contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyConfig {
    /// Words or phrases, matched as whole words after normalisation (case, width, confusables
    /// and invisible characters do not evade them). Findings name the rule `deny`.
    pub deny: Vec<String>,
    /// Regular expressions over the original text. Findings name the rule `regex`.
    pub regex: Vec<String>,
    /// What a hit of `deny`, `regex`, or a rule without its own mode and category mode does.
    pub mode: PolicyMode,
    /// A public model name a blocked request is sent to instead of being refused.
    pub fallback_model: Option<String>,
    /// Named rules, each optionally in a category (`violence`, `self_harm`, `secrets`, or any
    /// name): findings report the rule as `category/name` and its category separately.
    pub rules: Vec<PolicyRuleConfig>,
    /// Category → mode, for the rules of that category without a mode of their own.
    pub categories: BTreeMap<String, PolicyMode>,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            deny: Vec::new(),
            regex: Vec::new(),
            mode: PolicyMode::Block,
            fallback_model: None,
            rules: Vec::new(),
            categories: BTreeMap::new(),
        }
    }
}

/// One named content-policy rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRuleConfig {
    /// Lower-case letters, digits and `_`, starting with a letter; unique within its list.
    pub name: String,
    /// Same spelling as `name`.
    pub category: Option<String>,
    /// Words or phrases, as `policy.deny`.
    pub deny: Vec<String>,
    /// Regular expressions, as `policy.regex`.
    pub regex: Vec<String>,
    /// Its own mode; else its category's (`policy.categories`), else `policy.mode`.
    pub mode: Option<PolicyMode>,
}

impl PolicyConfig {
    /// Rule names in findings and in the refusal message.
    pub const DENY_RULE: &'static str = "deny";
    pub const REGEX_RULE: &'static str = "regex";
}

/// The `guardrails:` section as written, or an override of it: every field optional, unknown
/// fields refused. Keywords stay strings here so that [`GuardrailsConfig::apply`] can report
/// every bad one with its path.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardrailsOverride {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pii: Option<PiiOverride>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub injection: Option<InjectionOverride>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyOverride>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PiiOverride {
    /// `off | log | mask | redact | block`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Entity name (`email`, `phone`, `credit_card`, `iban`, `us_ssn`, `ipv4`, `ipv6`,
    /// `aws_access_key`, `aws_secret_key`, `gcp_api_key`, `openai_key`, `anthropic_key`,
    /// `github_token`, `slack_token`, `stripe_key`, `private_key`, `jwt`,
    /// `connection_password`) → mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entities: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<Vec<CustomEntityOverride>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reversible: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_output: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomEntityOverride {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub words: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InjectionOverride {
    /// `off | log | block`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// `0..=1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyOverride {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<Vec<String>>,
    /// `block | log`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<PolicyRuleOverride>>,
    /// Category → `block | log`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<BTreeMap<String, String>>,
}

/// A named rule as written (`policy.rules[i]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyRuleOverride {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<Vec<String>>,
    /// `block | log`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

impl GuardrailsOverride {
    /// Whether it overrides nothing.
    pub fn is_empty(&self) -> bool {
        self.pii.is_none() && self.injection.is_none() && self.policy.is_none()
    }
}

/// Longest custom entity name (it becomes a placeholder tag).
const MAX_NAME_CHARS: usize = 64;

impl GuardrailsConfig {
    /// `over` laid over `self` (see the module docs for the merging rules), or every problem in
    /// `over`, each with its path relative to the section (`pii.entities.emial`,
    /// `policy.regex[1]`). Cross references (does `fallback_model` exist?) are the caller's.
    pub fn apply(&self, over: &GuardrailsOverride) -> Result<GuardrailsConfig, Vec<ConfigError>> {
        let mut check = Check::new("");
        let merged = check.apply(self, over);
        if check.problems.is_empty() {
            Ok(merged)
        } else {
            Err(check
                .problems
                .into_iter()
                .map(|(path, message)| ConfigError {
                    path,
                    line: None,
                    column: None,
                    message,
                })
                .collect())
        }
    }

    /// `over` laid over `self`, skipping any field that is invalid (stored overrides were
    /// checked when written; this never fails on the request path).
    pub fn merged(&self, over: &GuardrailsOverride) -> GuardrailsConfig {
        Check::new("").apply(self, over)
    }

    /// The effective settings under tenant overrides, outermost first (organization, team,
    /// key): the floor policy. Each override is read as usual, laid over the level above
    /// ([`Self::merged`], so a field it leaves out is inherited), and the result is then merged
    /// into the settings so far with [`GuardSettings::tightened`], which keeps the stricter
    /// value of every field. An override can therefore only tighten, never loosen, what the
    /// config and the levels above it set. The order, per field:
    ///
    /// - PII mode, for `pii.mode` and per entity: `off < log < mask < redact < block`;
    /// - `pii.custom`: union by name (same name: stricter mode, both patterns);
    /// - `pii.scan_output` only turns on; `pii.reversible` only turns off;
    /// - `injection.mode`: `off < log < block`; `injection.threshold` only goes down;
    /// - content policy: the rules of every level apply (a union; `policy.mode`,
    ///   `policy.categories` and `policy.fallback_model` of a level decide only for the rules
    ///   that level can see, and a parent's rule is never weakened or rerouted by a child).
    ///
    /// Organization overrides are floor-merged too: an `org_admin` may write them
    /// (`rbac::check_guardrails`), so they must not loosen the gateway's config.
    pub fn effective_settings<'a>(
        &self,
        overrides: impl IntoIterator<Item = &'a GuardrailsOverride>,
    ) -> GuardSettings {
        let mut settings = self.guard_settings();
        let mut inherited = self.clone();
        for over in overrides {
            if over.is_empty() {
                continue;
            }
            inherited = inherited.merged(over);
            settings = settings.tightened(&inherited.guard_settings());
        }
        settings
    }

    /// Every field of `over` that asks for less than `self` (an override of a tenant under this
    /// config), as `(path, message)` problems: the admin API refuses such an override with a
    /// 400 instead of storing a wish the floor merge would ignore. Fields that do not parse are
    /// left to [`Self::apply`].
    pub fn loosenings(&self, over: &GuardrailsOverride) -> Vec<ConfigError> {
        let mut problems: Vec<(String, String)> = Vec::new();
        let mut looser = |path: String, asked: &str, here: &str, order: &str| {
            problems.push((
                path,
                format!(
                    "`{asked}` is looser than the gateway's `{here}`; guardrail overrides can \
                     only tighten ({order})"
                ),
            ));
        };
        const PII_ORDER: &str = "off < log < mask < redact < block";
        let pii_rank = |mode: PiiMode| guard_pii_mode(mode).strictness();
        if let Some(pii) = &over.pii {
            if let Some(mode) = pii.mode.as_deref().and_then(parse::<PiiMode>)
                && pii_rank(mode) < pii_rank(self.pii.mode)
            {
                looser(
                    "pii.mode".into(),
                    mode.as_str(),
                    self.pii.mode.as_str(),
                    PII_ORDER,
                );
            }
            for (name, mode) in pii.entities.iter().flatten() {
                let (Some(kind), Some(mode)) =
                    (EntityKind::from_name(name), parse::<PiiMode>(mode))
                else {
                    continue;
                };
                let here = self
                    .pii
                    .entities
                    .get(&kind)
                    .copied()
                    .unwrap_or(self.pii.mode);
                if pii_rank(mode) < pii_rank(here) {
                    looser(
                        format!("pii.entities.{name}"),
                        mode.as_str(),
                        here.as_str(),
                        PII_ORDER,
                    );
                }
            }
            for (index, custom) in pii.custom.iter().flatten().enumerate() {
                let here = self
                    .pii
                    .custom
                    .iter()
                    .find(|c| Some(c.name.as_str()) == custom.name.as_deref().map(str::trim));
                if let (Some(here), Some(mode)) =
                    (here, custom.mode.as_deref().and_then(parse::<PiiMode>))
                    && pii_rank(mode) < pii_rank(here.mode)
                {
                    looser(
                        format!("pii.custom[{index}].mode"),
                        mode.as_str(),
                        here.mode.as_str(),
                        PII_ORDER,
                    );
                }
            }
            if pii.reversible == Some(true) && !self.pii.reversible {
                looser(
                    "pii.reversible".into(),
                    "true",
                    "false",
                    "reversible can only be turned off",
                );
            }
            if pii.scan_output == Some(false) && self.pii.scan_output {
                looser(
                    "pii.scan_output".into(),
                    "false",
                    "true",
                    "scan_output can only be turned on",
                );
            }
        }
        if let Some(injection) = &over.injection {
            let rank = |mode: InjectionMode| match mode {
                InjectionMode::Off => 0,
                InjectionMode::Log => 1,
                InjectionMode::Block => 2,
            };
            if let Some(mode) = injection.mode.as_deref().and_then(parse::<InjectionMode>)
                && rank(mode) < rank(self.injection.mode)
            {
                looser(
                    "injection.mode".into(),
                    mode.as_str(),
                    self.injection.mode.as_str(),
                    "off < log < block",
                );
            }
            if let Some(threshold) = injection.threshold
                && threshold > self.injection.threshold
                && threshold <= 1.0
            {
                looser(
                    "injection.threshold".into(),
                    &threshold.to_string(),
                    &self.injection.threshold.to_string(),
                    "the threshold can only go down",
                );
            }
        }
        if let Some(categories) = over.policy.as_ref().and_then(|p| p.categories.as_ref()) {
            for (category, mode) in categories {
                if parse::<PolicyMode>(mode) == Some(PolicyMode::Log)
                    && self.policy.categories.get(category) == Some(&PolicyMode::Block)
                {
                    looser(
                        format!("policy.categories.{category}"),
                        "log",
                        "block",
                        "log < block",
                    );
                }
            }
        }
        problems
            .into_iter()
            .map(|(path, message)| ConfigError {
                path,
                line: None,
                column: None,
                message,
            })
            .collect()
    }

    /// The settings the guard compiles.
    pub fn guard_settings(&self) -> GuardSettings {
        let mut rules = Vec::new();
        if !self.policy.deny.is_empty() {
            rules.push(PolicyRule {
                name: PolicyConfig::DENY_RULE.to_owned(),
                category: None,
                words: self.policy.deny.clone(),
                regexes: Vec::new(),
                action: guard_action(self.policy.mode),
                fallback_model: None,
            });
        }
        if !self.policy.regex.is_empty() {
            rules.push(PolicyRule {
                name: PolicyConfig::REGEX_RULE.to_owned(),
                category: None,
                words: Vec::new(),
                regexes: self.policy.regex.clone(),
                action: guard_action(self.policy.mode),
                fallback_model: None,
            });
        }
        for rule in &self.policy.rules {
            let category_mode = rule
                .category
                .as_ref()
                .and_then(|category| self.policy.categories.get(category).copied());
            let mode = rule.mode.or(category_mode).unwrap_or(self.policy.mode);
            rules.push(PolicyRule {
                name: rule.name.clone(),
                category: rule.category.clone(),
                words: rule.deny.clone(),
                regexes: rule.regex.clone(),
                action: guard_action(mode),
                fallback_model: None,
            });
        }
        GuardSettings {
            pii: PiiSettings {
                mode: guard_pii_mode(self.pii.mode),
                entities: self
                    .pii
                    .entities
                    .iter()
                    .map(|(kind, mode)| (*kind, guard_pii_mode(*mode)))
                    .collect(),
                custom: self
                    .pii
                    .custom
                    .iter()
                    .map(|custom| CustomEntity {
                        name: custom.name.clone(),
                        regex: custom.regex.clone(),
                        words: custom.words.clone(),
                        mode: guard_pii_mode(custom.mode),
                    })
                    .collect(),
                reversible: self.pii.reversible,
                scan_output: self.pii.scan_output,
            },
            injection: InjectionSettings {
                mode: match self.injection.mode {
                    InjectionMode::Off => tollgate_guard::InjectionMode::Off,
                    InjectionMode::Log => tollgate_guard::InjectionMode::Log,
                    InjectionMode::Block => tollgate_guard::InjectionMode::Block,
                },
                // Validated to 0..=1; the guard counts in thousandths.
                threshold_permille: (self.injection.threshold * 1000.0)
                    .round()
                    .clamp(0.0, 1000.0) as u16,
            },
            policy: PolicySettings {
                rules,
                fallback_model: self.policy.fallback_model.clone(),
            },
        }
    }
}

fn parse<K: Keyword>(word: &str) -> Option<K> {
    K::from_keyword(word.trim())
}

fn guard_action(mode: PolicyMode) -> PolicyAction {
    match mode {
        PolicyMode::Block => PolicyAction::Block,
        PolicyMode::Log => PolicyAction::Log,
    }
}

fn guard_pii_mode(mode: PiiMode) -> tollgate_guard::PiiMode {
    match mode {
        PiiMode::Off => tollgate_guard::PiiMode::Off,
        PiiMode::Log => tollgate_guard::PiiMode::Log,
        PiiMode::Mask => tollgate_guard::PiiMode::Mask,
        PiiMode::Redact => tollgate_guard::PiiMode::Redact,
        PiiMode::Block => tollgate_guard::PiiMode::Block,
    }
}

/// Merges an override while collecting `(path, message)` problems; an invalid field keeps the
/// base value so checking goes on.
pub(crate) struct Check {
    prefix: String,
    pub problems: Vec<(String, String)>,
}

impl Check {
    /// `prefix`: the section's own path (`guardrails` in the config file, empty in the API).
    pub fn new(prefix: &str) -> Check {
        Check {
            prefix: prefix.to_owned(),
            problems: Vec::new(),
        }
    }

    fn path(&self, rest: &str) -> String {
        if self.prefix.is_empty() {
            rest.to_owned()
        } else {
            format!("{}.{rest}", self.prefix)
        }
    }

    fn problem(&mut self, rest: &str, message: impl Into<String>) {
        let path = self.path(rest);
        self.problems.push((path, message.into()));
    }

    fn keyword<K: Keyword>(&mut self, rest: &str, word: Option<&str>, base: K) -> K {
        // Empty counts as absent: `${VAR:-}` expands to nothing on purpose.
        let Some(word) = word.filter(|w| !w.trim().is_empty()) else {
            return base;
        };
        match K::from_keyword(word.trim()) {
            Some(keyword) => keyword,
            None => {
                self.problem(
                    rest,
                    format!("unknown value `{word}`; expected one of {}", K::expected()),
                );
                base
            }
        }
    }

    pub fn apply(
        &mut self,
        base: &GuardrailsConfig,
        over: &GuardrailsOverride,
    ) -> GuardrailsConfig {
        let mut out = base.clone();
        if let Some(pii) = &over.pii {
            self.pii(&mut out.pii, pii);
        }
        if let Some(injection) = &over.injection {
            out.injection.mode = self.keyword(
                "injection.mode",
                injection.mode.as_deref(),
                out.injection.mode,
            );
            if let Some(threshold) = injection.threshold {
                if (0.0..=1.0).contains(&threshold) {
                    out.injection.threshold = threshold;
                } else {
                    self.problem(
                        "injection.threshold",
                        format!("must be between 0 and 1 (got {threshold})"),
                    );
                }
            }
        }
        if let Some(policy) = &over.policy {
            self.policy(&mut out.policy, policy);
        }
        out
    }

    fn pii(&mut self, out: &mut PiiConfig, over: &PiiOverride) {
        out.mode = self.keyword("pii.mode", over.mode.as_deref(), out.mode);
        if let Some(entities) = &over.entities {
            for (name, mode) in entities {
                let path = format!("pii.entities.{name}");
                let Some(kind) = EntityKind::from_name(name) else {
                    let known: Vec<&str> = EntityKind::ALL.iter().map(|k| k.name()).collect();
                    self.problem(
                        &path,
                        format!(
                            "unknown entity `{name}`; expected one of {} (custom entities go \
                             under `pii.custom`)",
                            known.join(", ")
                        ),
                    );
                    continue;
                };
                let base = out.entities.get(&kind).copied().unwrap_or(out.mode);
                let mode = self.keyword(&path, Some(mode), base);
                out.entities.insert(kind, mode);
            }
        }
        if let Some(custom) = &over.custom {
            let mut entities = Vec::with_capacity(custom.len());
            for (index, entity) in custom.iter().enumerate() {
                if let Some(entity) = self.custom_entity(index, entity, &entities) {
                    entities.push(entity);
                }
            }
            out.custom = entities;
        }
        if let Some(reversible) = over.reversible {
            out.reversible = reversible;
        }
        if let Some(scan_output) = over.scan_output {
            out.scan_output = scan_output;
        }
    }

    /// The name of a custom entity or a policy rule at `{at}.name`: required, well-formed, not
    /// `reserved` (the message says why), and not `taken` by an earlier one in the same list.
    fn check_name(&mut self, at: &str, name: &str, reserved: Option<String>, taken: bool) {
        let path = format!("{at}.name");
        if name.is_empty() {
            self.problem(&path, "is required");
        } else if !valid_entity_name(name) {
            self.problem(&path, name_rule(name));
        } else if let Some(why) = reserved {
            self.problem(&path, why);
        } else if taken {
            self.problem(&path, format!("`{name}` is defined twice"));
        }
    }

    fn custom_entity(
        &mut self,
        index: usize,
        over: &CustomEntityOverride,
        earlier: &[CustomEntityConfig],
    ) -> Option<CustomEntityConfig> {
        let at = format!("pii.custom[{index}]");
        let before = self.problems.len();
        let name = over.name.as_deref().map(str::trim).unwrap_or_default();
        let built_in = EntityKind::from_name(name)
            .is_some()
            .then(|| format!("`{name}` is a built-in entity; set its mode under `pii.entities`"));
        self.check_name(&at, name, built_in, earlier.iter().any(|e| e.name == name));
        let regex = over
            .regex
            .as_deref()
            .filter(|r| !r.is_empty())
            .map(str::to_owned);
        if let Some(regex) = &regex {
            self.regex(&format!("{at}.regex"), regex);
        }
        let words: Vec<String> = over.words.clone().unwrap_or_default();
        for (i, word) in words.iter().enumerate() {
            if word.trim().is_empty() {
                self.problem(&format!("{at}.words[{i}]"), "must not be empty");
            }
        }
        if regex.is_none() && words.is_empty() {
            self.problem(&at, "needs a `regex` or `words`");
        }
        let mode = match over.mode.as_deref() {
            None => {
                self.problem(&format!("{at}.mode"), "is required");
                PiiMode::Log
            }
            Some(mode) => self.keyword(&format!("{at}.mode"), Some(mode), PiiMode::Log),
        };
        (self.problems.len() == before).then(|| CustomEntityConfig {
            name: name.to_owned(),
            regex,
            words: words.iter().map(|w| w.trim().to_owned()).collect(),
            mode,
        })
    }

    fn policy(&mut self, out: &mut PolicyConfig, over: &PolicyOverride) {
        if let Some(deny) = &over.deny {
            let before = self.problems.len();
            for (i, word) in deny.iter().enumerate() {
                if word.trim().is_empty() {
                    self.problem(&format!("policy.deny[{i}]"), "must not be empty");
                }
            }
            if self.problems.len() == before {
                out.deny = deny.iter().map(|w| w.trim().to_owned()).collect();
            }
        }
        if let Some(regex) = &over.regex {
            let before = self.problems.len();
            for (i, pattern) in regex.iter().enumerate() {
                self.regex(&format!("policy.regex[{i}]"), pattern);
            }
            if self.problems.len() == before {
                out.regex = regex.clone();
            }
        }
        out.mode = self.keyword("policy.mode", over.mode.as_deref(), out.mode);
        if let Some(rules) = &over.rules {
            let before = self.problems.len();
            let mut checked: Vec<PolicyRuleConfig> = Vec::with_capacity(rules.len());
            for (index, rule) in rules.iter().enumerate() {
                if let Some(rule) = self.policy_rule(index, rule, &checked) {
                    checked.push(rule);
                }
            }
            if self.problems.len() == before {
                out.rules = checked;
            }
        }
        if let Some(categories) = &over.categories {
            for (category, mode) in categories {
                let path = format!("policy.categories.{category}");
                if !valid_entity_name(category) {
                    self.problem(&path, name_rule(category));
                    continue;
                }
                let base = out
                    .categories
                    .get(category.as_str())
                    .copied()
                    .unwrap_or(out.mode);
                let mode = self.keyword(&path, Some(mode), base);
                out.categories.insert(category.clone(), mode);
            }
        }
        if let Some(model) = &over.fallback_model {
            let model = model.trim();
            if model.is_empty() {
                self.problem("policy.fallback_model", "must not be empty");
            } else {
                out.fallback_model = Some(model.to_owned());
            }
        }
    }

    fn policy_rule(
        &mut self,
        index: usize,
        over: &PolicyRuleOverride,
        earlier: &[PolicyRuleConfig],
    ) -> Option<PolicyRuleConfig> {
        let at = format!("policy.rules[{index}]");
        let before = self.problems.len();
        let name = over.name.as_deref().map(str::trim).unwrap_or_default();
        self.check_name(
            &at,
            name,
            None,
            earlier.iter().any(|rule| rule.name == name),
        );
        let category = over
            .category
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        if let Some(category) = category
            && !valid_entity_name(category)
        {
            self.problem(&format!("{at}.category"), name_rule(category));
        }
        let deny: Vec<String> = over.deny.clone().unwrap_or_default();
        for (i, word) in deny.iter().enumerate() {
            if word.trim().is_empty() {
                self.problem(&format!("{at}.deny[{i}]"), "must not be empty");
            }
        }
        let regex: Vec<String> = over.regex.clone().unwrap_or_default();
        for (i, pattern) in regex.iter().enumerate() {
            self.regex(&format!("{at}.regex[{i}]"), pattern);
        }
        if deny.is_empty() && regex.is_empty() {
            self.problem(&at, "needs `deny` words or a `regex`");
        }
        let mode = over
            .mode
            .as_deref()
            .filter(|m| !m.trim().is_empty())
            .map(|mode| self.keyword(&format!("{at}.mode"), Some(mode), PolicyMode::Block));
        (self.problems.len() == before).then(|| PolicyRuleConfig {
            name: name.to_owned(),
            category: category.map(str::to_owned),
            deny: deny.iter().map(|w| w.trim().to_owned()).collect(),
            regex,
            mode,
        })
    }

    fn regex(&mut self, rest: &str, pattern: &str) {
        if pattern.is_empty() {
            self.problem(rest, "must not be empty");
            return;
        }
        if let Err(error) = regex_automata::meta::Regex::new(pattern) {
            // A syntax error's text spans several lines (the pattern, a caret under the fault,
            // `error: ...`): keep the last, which says what is wrong.
            let reason = match error.syntax_error() {
                Some(syntax) => {
                    let text = syntax.to_string();
                    text.lines()
                        .rev()
                        .find_map(|line| line.strip_prefix("error: "))
                        .unwrap_or(text.as_str())
                        .to_owned()
                }
                None => error.to_string(),
            };
            self.problem(rest, format!("invalid regex: {reason}"));
        }
    }
}

fn name_rule(name: &str) -> String {
    format!(
        "`{name}` must be lower-case letters, digits and `_`, start with a letter, and be at \
         most {MAX_NAME_CHARS} characters"
    )
}

fn valid_entity_name(name: &str) -> bool {
    name.chars().count() <= MAX_NAME_CHARS
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
