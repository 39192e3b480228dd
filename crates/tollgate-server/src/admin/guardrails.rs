//! The `guardrails` object of organizations, teams and keys: a partial override of the config's
//! `guardrails:` section (same shape; config ← organization ← team ← key). Overrides are
//! tighten-only (the floor policy, [`tollgate_config::GuardrailsConfig::effective_settings`]):
//! a field looser than the gateway's config is refused here with a 400 naming it; a field looser
//! than the organization's or team's override (which these handlers do not load) is stored as
//! given and ignored by the merge on the request path ([`crate::guardrails`]).

use serde_json::Value;
use tollgate_config::{GuardrailsConfig, GuardrailsOverride};
use utoipa::ToSchema;

use crate::admin::errors::AdminError;
use crate::state::AppState;

/// Checks a `guardrails` object; answers it in canonical form (absent fields left out). Unknown
/// fields, bad modes, bad regexes and unknown fallback models are a 400 naming the field
/// (`guardrails.pii.custom[0].regex: invalid regex: ...`), every problem listed.
pub fn check(state: &AppState, value: Value) -> Result<Value, AdminError> {
    if !value.is_object() {
        return Err(AdminError::field(
            "guardrails",
            "must be an object of the config's `guardrails:` shape ({\"pii\", \"injection\", \"policy\"}), or null",
        ));
    }
    let over: GuardrailsOverride = serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner().to_string();
        let field = if matches!(path.as_str(), "" | ".") {
            "guardrails".to_string()
        } else {
            format!("guardrails.{path}")
        };
        AdminError::field(&field, inner)
    })?;
    let mut problems: Vec<(String, String)> = match GuardrailsConfig::default().apply(&over) {
        Ok(_) => Vec::new(),
        Err(errors) => errors
            .into_iter()
            .map(|e| (format!("guardrails.{}", e.path), e.message))
            .collect(),
    };
    let guardrails = state.guardrails();
    if let Some(config) = guardrails.as_deref().and_then(|g| g.config()) {
        problems.extend(
            config
                .loosenings(&over)
                .into_iter()
                .map(|e| (format!("guardrails.{}", e.path), e.message)),
        );
    }
    if let Some(model) = over
        .policy
        .as_ref()
        .and_then(|policy| policy.fallback_model.as_deref())
        .map(str::trim)
        .filter(|model| !model.is_empty())
        && state.router().resolve(model).is_none()
    {
        problems.push((
            "guardrails.policy.fallback_model".to_string(),
            format!("unknown model `{model}`"),
        ));
    }
    if let Some((first, _)) = problems.first() {
        let message = problems
            .iter()
            .map(|(path, message)| format!("{path}: {message}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut error = AdminError::field(first, "");
        error.message = message;
        return Err(error);
    }
    serde_json::to_value(&over).map_err(|_| AdminError::internal())
}

/// A PATCH's `guardrails`: absent keeps, `null` clears, an object replaces (checked).
pub fn patch(
    state: &AppState,
    value: Option<Option<Value>>,
) -> Result<Option<Option<Value>>, AdminError> {
    value
        .map(|value| value.map(|value| check(state, value)).transpose())
        .transpose()
}

/// A create's `guardrails` (absent or `null`: no override).
pub fn create(state: &AppState, value: Option<Value>) -> Result<Option<Value>, AdminError> {
    value.map(|value| check(state, value)).transpose()
}

// The shape, for the OpenAPI document only (the checks above are the source of truth).

/// Guardrail overrides: the config's `guardrails:` shape, every field optional. Overrides can
/// only tighten the level above (config ← organization ← team ← key): PII modes
/// `off < log < mask < redact < block`, injection `off < log < block` with the threshold only
/// going down, `scan_output` only on, `reversible` only off, content-policy rules of every level
/// all apply. A field looser than the gateway's config is a 400; one looser than the
/// organization's or team's is ignored. `null` (on PATCH) removes the override.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct GuardrailsValue {
    pub pii: Option<PiiValue>,
    pub injection: Option<InjectionValue>,
    pub policy: Option<PolicyValue>,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum PiiModeValue {
    /// Not detected.
    Off,
    /// Detected and recorded; the text is untouched.
    Log,
    /// Replaced by `****` and its last characters.
    Mask,
    /// Replaced by a typed placeholder (`<EMAIL_1>`).
    Redact,
    /// The request is refused (400 `pii_blocked`).
    Block,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum InjectionModeValue {
    Off,
    Log,
    /// Refused at or above the threshold (400 `prompt_injection`).
    Block,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum PolicyModeValue {
    /// Refused (400 `content_policy_violation`), or sent to `fallback_model` when set.
    Block,
    Log,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PiiValue {
    /// Mode of every built-in entity not named in `entities`.
    pub mode: Option<PiiModeValue>,
    /// Built-in entity → mode. Entities: `email`, `phone`, `credit_card`, `iban`, `us_ssn`,
    /// `ipv4`, `ipv6`, `aws_access_key`, `aws_secret_key`, `gcp_api_key`, `openai_key`,
    /// `anthropic_key`, `github_token`, `slack_token`, `stripe_key`, `private_key`, `jwt`,
    /// `connection_password`.
    #[schema(value_type = Option<std::collections::BTreeMap<String, PiiModeValue>>, example = json!({"email": "redact", "credit_card": "block"}))]
    pub entities: Option<()>,
    pub custom: Option<Vec<CustomEntityValue>>,
    /// Redacted values are restored in the answer; the provider never sees them.
    pub reversible: Option<bool>,
    /// Scan answers too.
    pub scan_output: Option<bool>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CustomEntityValue {
    /// Lower-case letters, digits and `_` (`employee_id` → `<EMPLOYEE_ID_1>`).
    #[schema(example = "employee_id")]
    pub name: String,
    /// Rust `regex` syntax.
    #[schema(example = "EMP-[0-9]{6}")]
    pub regex: Option<String>,
    /// Whole words or phrases, case-insensitive.
    pub words: Option<Vec<String>>,
    pub mode: PiiModeValue,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct InjectionValue {
    pub mode: Option<InjectionModeValue>,
    /// 0 to 1.
    #[schema(example = 0.5)]
    pub threshold: Option<f64>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PolicyValue {
    /// Denied words or phrases (normalised: case, width, confusables do not evade them).
    pub deny: Option<Vec<String>>,
    /// Denied regular expressions.
    pub regex: Option<Vec<String>>,
    pub mode: Option<PolicyModeValue>,
    /// A public model name a blocked request is served by instead of a 400.
    pub fallback_model: Option<String>,
    /// Named rules, each optionally in a category; findings report `category/name` and the
    /// category.
    pub rules: Option<Vec<PolicyRuleValue>>,
    /// Category → mode, for that category's rules without a mode of their own.
    #[schema(value_type = Option<std::collections::BTreeMap<String, PolicyModeValue>>, example = json!({"violence": "block", "secrets": "log"}))]
    pub categories: Option<()>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PolicyRuleValue {
    /// Lower-case letters, digits and `_`.
    #[schema(example = "weapons")]
    pub name: String,
    /// `violence`, `self_harm`, `secrets`, or any name of the same spelling.
    #[schema(example = "violence")]
    pub category: Option<String>,
    /// Denied words or phrases.
    pub deny: Option<Vec<String>>,
    /// Denied regular expressions.
    pub regex: Option<Vec<String>>,
    /// Its own mode; else its category's, else the policy's `mode`.
    pub mode: Option<PolicyModeValue>,
}
