//! What a guard is asked to do. The gateway resolves one `GuardSettings` per principal
//! (key → team → organization) and builds one [`crate::Guard`] per distinct value; the types are
//! `Eq + Hash` so that cache can be a plain map, and the injection threshold is an integer for
//! the same reason.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::entity::EntityKind;

/// Everything one guard enforces.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GuardSettings {
    pub pii: PiiSettings,
    pub injection: InjectionSettings,
    pub policy: PolicySettings,
}

/// What happens to a detected entity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiMode {
    /// Not even detected (its pattern is left out of the scanner).
    Off,
    /// Detected and counted in the findings; the text is untouched.
    #[default]
    Log,
    /// Replaced by `****` and the value's last four characters.
    Mask,
    /// Replaced by a typed placeholder such as `<EMAIL_1>`.
    Redact,
    /// The whole request is refused (`pii_blocked`). In answers, where a 400 is no longer
    /// possible, it acts as `Redact`.
    Block,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PiiSettings {
    /// Mode of every built-in entity without an entry in `entities`.
    pub mode: PiiMode,
    /// Per-entity overrides, e.g. `{credit_card: block, email: redact}`.
    pub entities: BTreeMap<EntityKind, PiiMode>,
    /// Custom entities, each with its own mode.
    pub custom: Vec<CustomEntity>,
    /// `Redact` placeholders are remembered per request and restored in the answer, so the caller
    /// sees its own values while the provider never does.
    pub reversible: bool,
    /// Scan answers too (new PII the model produced).
    pub scan_output: bool,
}

impl Default for PiiSettings {
    /// Detection on, traffic untouched: the same default as the config file's `pii.mode`.
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

impl PiiSettings {
    /// The mode that applies to a built-in entity.
    pub fn mode_of(&self, kind: EntityKind) -> PiiMode {
        self.entities.get(&kind).copied().unwrap_or(self.mode)
    }
}

/// An entity the operator defines: an employee id format, project code names, ...
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomEntity {
    /// Lower-case name used in findings and (upper-cased) in placeholders: `employee_id` →
    /// `<EMPLOYEE_ID_1>`. Letters, digits and `_` only.
    pub name: String,
    /// A regular expression (Rust `regex` syntax). Matches longer than
    /// [`crate::MAX_ENTITY_BYTES`] are ignored, so stream scanning stays bounded.
    #[serde(default)]
    pub regex: Option<String>,
    /// Whole words or phrases, matched ASCII-case-insensitively.
    #[serde(default)]
    pub words: Vec<String>,
    pub mode: PiiMode,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InjectionMode {
    Off,
    #[default]
    Log,
    Block,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InjectionSettings {
    pub mode: InjectionMode,
    /// Score in per-mille (0..=1000) at or above which content counts as an injection attempt.
    /// The config file's `threshold: 0.5` is 500 here.
    pub threshold_permille: u16,
}

impl InjectionSettings {
    pub const DEFAULT_THRESHOLD_PERMILLE: u16 = 500;
}

impl Default for InjectionSettings {
    fn default() -> Self {
        Self {
            mode: InjectionMode::Log,
            threshold_permille: Self::DEFAULT_THRESHOLD_PERMILLE,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicySettings {
    pub rules: Vec<PolicyRule>,
    /// When a blocking rule without its own `fallback_model` hits and this is set, the request
    /// may be sent to this public model instead of being refused (see
    /// [`crate::Blocked::fallback_model`]).
    pub fallback_model: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyAction {
    Log,
    #[default]
    Block,
}

/// One content rule: a deny list and/or regular expressions, under a name that findings report.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyRule {
    pub name: String,
    /// A label grouping rules (`weapons`, `competitors`, ...), reported beside the name.
    #[serde(default)]
    pub category: Option<String>,
    /// Words or phrases, matched as whole words after normalisation (case, width, confusable
    /// letters and invisible characters do not help to evade them).
    #[serde(default)]
    pub words: Vec<String>,
    /// Regular expressions matched against the original text.
    #[serde(default)]
    pub regexes: Vec<String>,
    #[serde(default)]
    pub action: PolicyAction,
    /// A public model a request this rule blocks is sent to instead of being refused; when
    /// unset, [`PolicySettings::fallback_model`] applies. A request is rerouted only when every
    /// blocking rule it hit has a fallback (the first hit rule's is used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_model: Option<String>,
}

impl PiiMode {
    /// Rank in the tighten-only order `off < log < mask < redact < block`: each step reveals
    /// less of a value (`mask` keeps its last four characters, `redact` none of it, `block` does
    /// not send the request at all).
    pub const fn strictness(self) -> u8 {
        match self {
            PiiMode::Off => 0,
            PiiMode::Log => 1,
            PiiMode::Mask => 2,
            PiiMode::Redact => 3,
            PiiMode::Block => 4,
        }
    }

    /// The stricter of two modes.
    pub const fn stricter(self, other: PiiMode) -> PiiMode {
        if other.strictness() > self.strictness() {
            other
        } else {
            self
        }
    }
}

impl InjectionMode {
    /// Rank in the tighten-only order `off < log < block`.
    pub const fn strictness(self) -> u8 {
        match self {
            InjectionMode::Off => 0,
            InjectionMode::Log => 1,
            InjectionMode::Block => 2,
        }
    }
}

impl PolicyAction {
    /// Rank in the tighten-only order `log < block`.
    pub const fn strictness(self) -> u8 {
        match self {
            PolicyAction::Log => 0,
            PolicyAction::Block => 1,
        }
    }
}

impl GuardSettings {
    /// The floor merge: `child`'s wishes laid over `self` so that they can only make the result
    /// stricter, never looser. This is how a team's or key's settings (and an organization's,
    /// whose `org_admin` may write them) combine with the level above; a child that asks for
    /// less than its parent simply gets its parent's value. Field by field:
    ///
    /// - `pii.mode` and the mode of every built-in entity: the stricter of the two, in the order
    ///   `off < log < mask < redact < block` ([`PiiMode::strictness`]); an entity's mode is
    ///   compared as each side resolves it ([`PiiSettings::mode_of`]);
    /// - `pii.custom`: the union by name; an entity both define gets the stricter mode, the
    ///   union of the word lists and both regexes (`(?:parent)|(?:child)`);
    /// - `pii.scan_output` can only turn on (logical or);
    /// - `pii.reversible` can only turn off (logical and): restoring values in answers is a
    ///   convenience the level above must have granted;
    /// - `injection.mode`: the stricter in `off < log < block`; `injection.threshold_permille`:
    ///   the lower (a lower threshold flags more);
    /// - `policy.rules`: the union (the parent's rules first, then the child's that are not
    ///   already there), each rule keeping its own action, so a child's `log` rule never
    ///   weakens a parent's `block` rule with the same words;
    /// - `policy.fallback_model`: each side's applies to its own rules only (it is moved into
    ///   every rule without one, [`PolicyRule::fallback_model`]): a child cannot send requests a
    ///   parent rule refuses to a model of its choice.
    ///
    /// The merge is monotone: the result is at least as strict as both sides in every field,
    /// and `a.tightened(&a) == a`.
    pub fn tightened(&self, child: &GuardSettings) -> GuardSettings {
        if self == child {
            return self.clone();
        }
        GuardSettings {
            pii: self.pii.tightened(&child.pii),
            injection: InjectionSettings {
                mode: if child.injection.mode.strictness() > self.injection.mode.strictness() {
                    child.injection.mode
                } else {
                    self.injection.mode
                },
                threshold_permille: self
                    .injection
                    .threshold_permille
                    .min(child.injection.threshold_permille),
            },
            policy: self.policy.tightened(&child.policy),
        }
    }
}

impl PiiSettings {
    fn tightened(&self, child: &PiiSettings) -> PiiSettings {
        let mode = self.mode.stricter(child.mode);
        let entities = self
            .entities
            .keys()
            .chain(child.entities.keys())
            .map(|kind| (*kind, self.mode_of(*kind).stricter(child.mode_of(*kind))))
            .collect();
        let mut custom = self.custom.clone();
        for theirs in &child.custom {
            match custom.iter_mut().find(|mine| mine.name == theirs.name) {
                Some(mine) => {
                    mine.mode = mine.mode.stricter(theirs.mode);
                    for word in &theirs.words {
                        if !mine.words.contains(word) {
                            mine.words.push(word.clone());
                        }
                    }
                    mine.regex = match (mine.regex.take(), &theirs.regex) {
                        (Some(a), Some(b)) if a != *b => Some(format!("(?:{a})|(?:{b})")),
                        (Some(a), _) => Some(a),
                        (None, b) => b.clone(),
                    };
                }
                None => custom.push(theirs.clone()),
            }
        }
        PiiSettings {
            mode,
            entities,
            custom,
            reversible: self.reversible && child.reversible,
            scan_output: self.scan_output || child.scan_output,
        }
    }
}

impl PolicySettings {
    /// Rules with the level's default fallback written into each (see [`GuardSettings::tightened`]).
    fn baked_rules(&self) -> impl Iterator<Item = PolicyRule> + '_ {
        self.rules.iter().map(|rule| PolicyRule {
            fallback_model: rule
                .fallback_model
                .clone()
                .or_else(|| self.fallback_model.clone()),
            ..rule.clone()
        })
    }

    fn tightened(&self, child: &PolicySettings) -> PolicySettings {
        let mut rules: Vec<PolicyRule> = self.baked_rules().collect();
        for rule in child.baked_rules() {
            if !rules.contains(&rule) {
                rules.push(rule);
            }
        }
        PolicySettings {
            rules,
            fallback_model: None,
        }
    }
}
