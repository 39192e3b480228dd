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
    /// When a blocking rule hits and this is set, the request may be sent to this public model
    /// instead of being refused (see [`crate::Blocked::fallback_model`]).
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
}
