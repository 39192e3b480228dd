//! Guardrails per caller (design.md §1 steps 3, 4 and 9).
//!
//! The effective settings of a key are the config's `guardrails:` section with its
//! organization's `guardrails`, then its team's, then its own laid over it (each a partial object
//! of the same shape, set through the admin API) under the floor policy: an override can only
//! tighten what the levels above set, never loosen it
//! ([`tollgate_config::GuardrailsConfig::effective_settings`] gives the order per field). The
//! admin API refuses an override that is looser than the config with a 400; one looser than its
//! organization's or team's is stored as given and the looser fields are ignored here.
//! Resolution is cached twice:
//!
//! - key id → its compiled guardrails, stamped with the auth generation: every admin mutation
//!   bumps it (`Auth::invalidate`), so a changed override applies from the next request; the TTL
//!   bounds staleness for changes made through another instance;
//! - effective [`GuardSettings`] → compiled guardrails: keys with identical effective settings
//!   share one compiled [`Guard`], compiled once (a cache miss above costs two store reads and a
//!   merge, never a recompilation).
//!
//! A key and the tenants above it without any override use the gateway's guard directly.

use std::sync::Arc;
use std::time::Duration;

use tollgate_config::{GuardrailsConfig, GuardrailsOverride};
use tollgate_guard::{
    Blocked, Findings, Guard, GuardSettings, InjectionMode, InjectionSettings, PiiMode, PiiSettings,
};
use tollgate_store::{ApiKey, DynStore, StoreError};
use tollgate_types::{ChatRequest, GatewayError, Message, Role};

use crate::auth::Principal;
use crate::state::AppState;

/// How long a key's resolved guardrails are trusted without a generation bump.
const KEY_CACHE_TTL: Duration = Duration::from_secs(30);
/// Distinct compiled guards kept (each is a few automata; keys share them).
const MAX_COMPILED: u64 = 1024;

/// The compiled guardrails of one effective settings value.
#[derive(Clone)]
pub struct GuardrailSet {
    pub guard: Guard,
    /// Answers must come back canonical to be scanned (PII rewritten or restored, content
    /// policy checked); same-dialect passthrough is then skipped.
    pub rewrites_output: bool,
    /// The content policy alone, to check answers; `None` without policy rules.
    pub output_policy: Option<Guard>,
}

impl GuardrailSet {
    pub fn compile(settings: GuardSettings) -> Result<GuardrailSet, String> {
        let output_policy = if settings.policy.rules.is_empty() {
            None
        } else {
            Some(Guard::new(policy_only(&settings)).map_err(|e| e.to_string())?)
        };
        let rewrites_output = rewrites_output(&settings);
        let guard = Guard::new(settings).map_err(|e| e.to_string())?;
        Ok(GuardrailSet {
            guard,
            rewrites_output,
            output_policy,
        })
    }

    /// A fixed guard (no content policy on answers beyond what `guard` does).
    pub fn fixed(guard: Guard, rewrites_output: bool) -> GuardrailSet {
        GuardrailSet {
            guard,
            rewrites_output,
            output_policy: None,
        }
    }

    /// The content policy over an answer text: the refusal when a blocking rule matches, else
    /// what matched (log mode): `policy_rules` and `policy_categories` of the findings.
    #[allow(clippy::result_large_err)]
    pub fn check_answer(&self, text: &str) -> Result<Findings, Blocked> {
        let Some(policy) = &self.output_policy else {
            return Ok(Findings::default());
        };
        // A system turn is "caller-written" to the guard (policy-checked) but not untrusted
        // (no injection scoring); the policy-only guard detects no PII.
        let mut probe = ChatRequest {
            messages: vec![Message::text(Role::System, text)],
            ..ChatRequest::default()
        };
        policy
            .inspect_request(&mut probe)
            .map(|inspection| inspection.findings)
    }
}

/// Whether guardrails with these settings must see answers in canonical form.
pub fn rewrites_output(settings: &GuardSettings) -> bool {
    let rewriting =
        |mode: PiiMode| matches!(mode, PiiMode::Mask | PiiMode::Redact | PiiMode::Block);
    let pii = &settings.pii;
    let pii_rewrites = pii.scan_output
        && (rewriting(pii.mode)
            || pii.entities.values().copied().any(rewriting)
            || pii.custom.iter().any(|custom| rewriting(custom.mode)));
    pii_rewrites || pii.reversible || !settings.policy.rules.is_empty()
}

/// The same content policy with PII detection and injection scoring off.
fn policy_only(settings: &GuardSettings) -> GuardSettings {
    GuardSettings {
        pii: PiiSettings {
            mode: PiiMode::Off,
            scan_output: false,
            ..PiiSettings::default()
        },
        injection: InjectionSettings {
            mode: InjectionMode::Off,
            ..InjectionSettings::default()
        },
        policy: settings.policy.clone(),
    }
}

/// The gateway's guardrails and every principal's effective ones.
#[derive(Clone)]
pub struct Guardrails {
    /// The config's section; `None` for a fixed guard that takes no overrides.
    base: Option<Arc<GuardrailsConfig>>,
    base_set: Arc<GuardrailSet>,
    base_settings: Arc<GuardSettings>,
    store: Option<DynStore>,
    by_key: moka::sync::Cache<String, (u64, Arc<GuardrailSet>)>,
    compiled: moka::sync::Cache<GuardSettings, Arc<GuardrailSet>>,
}

impl Guardrails {
    /// The config's guardrails, overridable per organization, team and key (read from `store`).
    pub fn new(config: GuardrailsConfig, store: Option<DynStore>) -> Result<Guardrails, String> {
        let settings = config.guard_settings();
        let base_set = GuardrailSet::compile(settings.clone())?;
        Ok(Guardrails {
            base: Some(Arc::new(config)),
            ..Guardrails::with_set(base_set, settings, store)
        })
    }

    /// One guard for everybody; overrides are ignored.
    pub fn fixed(guard: Guard, rewrites_output: bool) -> Guardrails {
        let settings = guard.settings().clone();
        Guardrails::with_set(GuardrailSet::fixed(guard, rewrites_output), settings, None)
    }

    fn with_set(set: GuardrailSet, settings: GuardSettings, store: Option<DynStore>) -> Guardrails {
        Guardrails {
            base: None,
            base_set: Arc::new(set),
            base_settings: Arc::new(settings),
            store,
            by_key: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(KEY_CACHE_TTL)
                .build(),
            compiled: moka::sync::Cache::builder()
                .max_capacity(MAX_COMPILED)
                .build(),
        }
    }

    /// The config's section overrides are checked against (`None` for a fixed guard).
    pub fn config(&self) -> Option<&GuardrailsConfig> {
        self.base.as_deref()
    }

    /// The gateway-wide guardrails (the master key's, and every key's without overrides).
    pub fn gateway(&self) -> Arc<GuardrailSet> {
        Arc::clone(&self.base_set)
    }

    /// The guardrails that apply to `principal`. Never fails: a store error or a stored
    /// override that no longer compiles falls back to the gateway's guardrails (logged).
    pub async fn for_principal(&self, principal: &Principal, generation: u64) -> Arc<GuardrailSet> {
        let (Some(base), Principal::Key(key)) = (&self.base, principal) else {
            return self.gateway();
        };
        if key.guardrails.is_none() && key.team_id.is_none() && key.org_id.is_none() {
            return self.gateway();
        }
        if let Some((stamp, set)) = self.by_key.get(&key.id)
            && stamp == generation
        {
            return set;
        }
        let set = match self.resolve(base, key).await {
            Ok(set) => set,
            Err(error) => {
                tracing::error!(key_id = %key.id, %error, "guardrail overrides unavailable; using the gateway's");
                return self.gateway();
            }
        };
        self.by_key
            .insert(key.id.clone(), (generation, Arc::clone(&set)));
        set
    }

    async fn resolve(
        &self,
        base: &GuardrailsConfig,
        key: &ApiKey,
    ) -> Result<Arc<GuardrailSet>, StoreError> {
        let mut layers: Vec<(&str, Option<serde_json::Value>)> = Vec::with_capacity(3);
        // Outermost first: the floor merge needs each level's parent before it.
        if let (Some(store), Some(org_id)) = (&self.store, &key.org_id) {
            let org = store.get_org(org_id).await?;
            layers.push(("organization", org.and_then(|org| org.guardrails)));
        }
        if let (Some(store), Some(team_id)) = (&self.store, &key.team_id) {
            let team = store.get_team(team_id).await?;
            layers.push(("team", team.and_then(|team| team.guardrails)));
        }
        layers.push(("key", key.guardrails.clone()));
        let overrides: Vec<GuardrailsOverride> = layers
            .into_iter()
            .filter_map(|(level, value)| stored_override(level, value))
            .collect();
        Ok(self.compiled_for(base.effective_settings(&overrides)))
    }

    /// One compiled set per distinct settings value.
    fn compiled_for(&self, settings: GuardSettings) -> Arc<GuardrailSet> {
        if settings == *self.base_settings {
            return self.gateway();
        }
        if let Some(set) = self.compiled.get(&settings) {
            return set;
        }
        match GuardrailSet::compile(settings.clone()) {
            Ok(set) => {
                let set = Arc::new(set);
                self.compiled.insert(settings, Arc::clone(&set));
                set
            }
            Err(error) => {
                tracing::error!(%error, "effective guardrails do not compile; using the gateway's");
                self.gateway()
            }
        }
    }

    /// How many distinct effective settings are compiled now (for tests and metrics).
    pub fn compiled_count(&self) -> u64 {
        self.compiled.run_pending_tasks();
        self.compiled.entry_count()
    }
}

/// A stored override as the typed shape (checked when written; a bad one is skipped).
fn stored_override(level: &str, value: Option<serde_json::Value>) -> Option<GuardrailsOverride> {
    let value = value?;
    match serde_json::from_value::<GuardrailsOverride>(value) {
        Ok(over) => Some(over),
        Err(error) => {
            tracing::error!(level, %error, "stored guardrail override is unreadable; ignored");
            None
        }
    }
}

/// The caller's guardrails, if the gateway has any.
pub async fn for_caller(state: &AppState, principal: &Principal) -> Option<Arc<GuardrailSet>> {
    let guardrails = state.guardrails()?;
    Some(
        guardrails
            .for_principal(principal, state.auth().generation())
            .await,
    )
}

/// The refusal of a content-policy (or other guardrail) block, as the caller's 400.
pub fn refusal(blocked: &Blocked) -> GatewayError {
    GatewayError::invalid_request(blocked.message.clone()).with_code(blocked.code.as_str())
}

/// Adds what the output guardrails found in an answer to the spend row's `guardrails` object,
/// merged over choices: `output_pii` (entity → count, from the PII scan), `output_policy_rules`
/// and `output_policy_categories` (sorted, from the content policy). Nothing found, nothing
/// added.
pub fn record_answer_findings(row: &mut Option<serde_json::Value>, findings: &Findings) {
    use serde_json::{Map, Value};
    if findings.pii.is_empty() && findings.policy_rules.is_empty() {
        return;
    }
    let Some(object) = row
        .get_or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
    else {
        return;
    };
    if !findings.pii.is_empty() {
        let counts = object
            .entry("output_pii")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(counts) = counts.as_object_mut() {
            for (entity, n) in &findings.pii {
                let before = counts.get(entity).and_then(Value::as_u64).unwrap_or(0);
                counts.insert(entity.clone(), Value::from(before + u64::from(*n)));
            }
        }
    }
    for (key, names) in [
        ("output_policy_rules", &findings.policy_rules),
        ("output_policy_categories", &findings.policy_categories),
    ] {
        if names.is_empty() {
            continue;
        }
        let mut all: std::collections::BTreeSet<String> = object
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        all.extend(names.iter().cloned());
        object.insert(
            key.to_owned(),
            Value::from(all.into_iter().collect::<Vec<_>>()),
        );
    }
}

/// Most bytes of earlier answer text kept to catch a denied word split across stream chunks.
const POLICY_WINDOW_BYTES: usize = 256;

/// The content policy over a streamed answer, as it flows. Each piece of a choice's text is
/// checked together with the tail of the same choice's text before it, before it is passed on,
/// so a denied word split across chunks is caught before its last piece leaves, and choices
/// interleaved (`n > 1`) are never mixed. What matched is kept for the spend row (log-mode
/// rules, and the blocking rule that ended the stream).
///
/// The text checked is the one about to be sent, i.e. after the PII scanner
/// ([`crate::streaming::AnswerGuard`]): the same order as a non-streamed answer (scanned, then
/// policed), at no extra delay since the scanner holds text back anyway.
pub struct StreamPolicy {
    set: Arc<GuardrailSet>,
    /// Per choice index: the tail of its text so far.
    tails: Vec<(u32, String)>,
    /// What matched so far, over every choice (policy rules and categories only).
    found: Findings,
}

impl StreamPolicy {
    /// `None` when the set has no content policy for answers.
    pub fn new(set: Arc<GuardrailSet>) -> Option<StreamPolicy> {
        set.output_policy.as_ref()?;
        Some(StreamPolicy {
            set,
            tails: Vec::new(),
            found: Findings::default(),
        })
    }

    /// Checks `text`, the next piece of `choice`'s answer about to be sent. On a blocking hit,
    /// the `content_policy_violation` refusal to end the stream with (what was sent before
    /// stays sent).
    pub fn check(&mut self, choice: u32, text: &str) -> Result<(), GatewayError> {
        let at = match self.tails.iter().position(|(index, _)| *index == choice) {
            Some(at) => at,
            None => {
                self.tails.push((choice, String::new()));
                self.tails.len() - 1
            }
        };
        let Some((_, tail)) = self.tails.get_mut(at) else {
            return Ok(());
        };
        tail.push_str(text);
        let checked = self.set.check_answer(tail);
        if tail.len() > POLICY_WINDOW_BYTES {
            let mut cut = tail.len() - POLICY_WINDOW_BYTES;
            while !tail.is_char_boundary(cut) {
                cut += 1;
            }
            tail.drain(..cut);
        }
        match checked {
            Ok(found) => {
                self.note(found);
                Ok(())
            }
            Err(blocked) => {
                let refusal = answer_refusal(&blocked);
                self.note(blocked.findings);
                Err(refusal)
            }
        }
    }

    /// A rule matched in the window is matched again by the next checks while it is in it: the
    /// names are moved into sets, nothing is cloned (and nothing happens when nothing matched).
    fn note(&mut self, found: Findings) {
        self.found.policy_rules.extend(found.policy_rules);
        self.found.policy_categories.extend(found.policy_categories);
    }

    /// What the policy matched so far (`policy_rules`, `policy_categories`).
    pub fn findings(&self) -> &Findings {
        &self.found
    }
}

/// The caller's refusal of an answer the content policy blocks.
fn answer_refusal(blocked: &Blocked) -> GatewayError {
    GatewayError::invalid_request(format!(
        "answer {}",
        blocked.message.trim_start_matches("request ")
    ))
    .with_code(blocked.code.as_str())
}
