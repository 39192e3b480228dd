#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The `guardrails:` section: per-entity modes, custom entities, content policy, and the same
//! shape as a partial override (org ← team ← key) with its merging rules.

mod common;

use common::{BASE, load_err, load_ok};
use tollgate_config::{
    EntityKind, GuardrailsConfig, GuardrailsOverride, InjectionMode, PiiMode, PolicyMode,
};
use tollgate_guard::{PiiMode as GuardPiiMode, PolicyAction};

const FULL: &str = "\
guardrails:
  pii:
    mode: redact
    entities: {email: log, credit_card: block}
    reversible: true
    scan_output: false
    custom:
      - {name: employee_id, regex: 'EMP-[0-9]{6}', mode: redact}
      - {name: project, words: [bluebird, 'red kite'], mode: block}
  injection: {mode: block, threshold: 0.7}
  policy:
    deny: [forbidden, 'secret plan']
    regex: ['(?i)launch code \\d+']
    mode: block
    fallback_model: fast
";

#[test]
fn every_field_loads() {
    let config = load_ok(&format!("{BASE}{FULL}"));
    let g = &config.guardrails;
    assert_eq!(g.pii.mode, PiiMode::Redact);
    assert_eq!(g.pii.entities.get(&EntityKind::Email), Some(&PiiMode::Log));
    assert_eq!(
        g.pii.entities.get(&EntityKind::CreditCard),
        Some(&PiiMode::Block)
    );
    assert!(g.pii.reversible);
    assert!(!g.pii.scan_output);
    assert_eq!(g.pii.custom.len(), 2);
    assert_eq!(g.pii.custom[0].name, "employee_id");
    assert_eq!(g.pii.custom[0].regex.as_deref(), Some("EMP-[0-9]{6}"));
    assert_eq!(g.pii.custom[1].words, vec!["bluebird", "red kite"]);
    assert_eq!(g.pii.custom[1].mode, PiiMode::Block);
    assert_eq!(g.injection.mode, InjectionMode::Block);
    assert_eq!(g.injection.threshold, 0.7);
    assert_eq!(g.policy.deny, vec!["forbidden", "secret plan"]);
    assert_eq!(g.policy.regex, vec![r"(?i)launch code \d+"]);
    assert_eq!(g.policy.mode, PolicyMode::Block);
    assert_eq!(g.policy.fallback_model.as_deref(), Some("fast"));

    let settings = g.guard_settings();
    assert_eq!(settings.pii.mode, GuardPiiMode::Redact);
    assert_eq!(settings.injection.threshold_permille, 700);
    assert_eq!(settings.policy.rules.len(), 2);
    assert_eq!(settings.policy.rules[0].name, "deny");
    assert_eq!(settings.policy.rules[0].action, PolicyAction::Block);
    assert_eq!(settings.policy.rules[1].name, "regex");
    assert_eq!(settings.policy.fallback_model.as_deref(), Some("fast"));
    // It compiles.
    tollgate_guard::Guard::new(settings).unwrap();
}

#[test]
fn defaults_without_the_section() {
    let config = load_ok(BASE);
    assert_eq!(config.guardrails, GuardrailsConfig::default());
    assert!(config.guardrails.pii.scan_output);
    assert_eq!(config.guardrails.policy.mode, PolicyMode::Block);
    assert!(config.guardrails.guard_settings().policy.rules.is_empty());
}

#[test]
fn problems_are_reported_together_with_paths_and_lines() {
    let text = format!(
        "{BASE}\
guardrails:
  pii:
    entities: {{emial: block, phone: shout}}
    custom:
      - {{name: Bad-Name, regex: 'x', mode: redact}}
      - {{name: ticket, regex: '(unclosed', mode: redact}}
      - {{name: nothing, mode: log}}
      - {{name: email, words: [a], mode: log}}
  policy:
    regex: ['ok', '[z-a]']
    mode: deny
    fallback_model: nonexistent
"
    );
    let errors = load_err(&text);
    let found: Vec<(String, Option<usize>)> =
        errors.iter().map(|e| (e.path.clone(), e.line)).collect();
    let expected = [
        ("guardrails.pii.entities.emial", 15),
        ("guardrails.pii.entities.phone", 15),
        ("guardrails.pii.custom[0].name", 17),
        ("guardrails.pii.custom[1].regex", 18),
        ("guardrails.pii.custom[2]", 19),
        ("guardrails.pii.custom[3].name", 20),
        ("guardrails.policy.regex[1]", 22),
        ("guardrails.policy.mode", 23),
        ("guardrails.policy.fallback_model", 24),
    ];
    for (path, line) in expected {
        assert!(
            found.contains(&(path.to_string(), Some(line))),
            "missing {path} at line {line}:\n{errors}"
        );
    }
    assert_eq!(found.len(), expected.len(), "{errors}");
    let regex = errors
        .iter()
        .find(|e| e.path == "guardrails.pii.custom[1].regex")
        .unwrap();
    assert!(
        regex.message.starts_with("invalid regex: ") && regex.message.contains("unclosed group"),
        "{}",
        regex.message
    );
    let entity = errors
        .iter()
        .find(|e| e.path == "guardrails.pii.entities.emial")
        .unwrap();
    assert!(
        entity.message.contains("unknown entity `emial`"),
        "{}",
        entity.message
    );
}

#[test]
fn unknown_fields_are_errors() {
    let errors = load_err(&format!(
        "{BASE}guardrails:\n  policy: {{deny: [a], block: true}}\n"
    ));
    assert_eq!(errors.errors[0].path, "guardrails.policy.block", "{errors}");
}

#[test]
fn overrides_merge_over_the_level_above() {
    let config = load_ok(&format!("{BASE}{FULL}"));
    let org: GuardrailsOverride = serde_json::from_str(
        r#"{"pii": {"entities": {"email": "block"}}, "policy": {"deny": ["orgword"]}}"#,
    )
    .unwrap();
    let team: GuardrailsOverride =
        serde_json::from_str(r#"{"injection": {"threshold": 0.9}, "pii": {"mode": "mask"}}"#)
            .unwrap();
    let key: GuardrailsOverride = serde_json::from_str(
        r#"{"policy": {"mode": "log"}, "pii": {"entities": {"phone": "off"}}}"#,
    )
    .unwrap();
    let effective = config
        .guardrails
        .apply(&org)
        .and_then(|g| g.apply(&team))
        .and_then(|g| g.apply(&key))
        .unwrap();
    // Entities merge one by one; scalars replace; lists replace whole.
    assert_eq!(effective.pii.mode, PiiMode::Mask);
    assert_eq!(
        effective.pii.entities.get(&EntityKind::Email),
        Some(&PiiMode::Block)
    );
    assert_eq!(
        effective.pii.entities.get(&EntityKind::CreditCard),
        Some(&PiiMode::Block)
    );
    assert_eq!(
        effective.pii.entities.get(&EntityKind::Phone),
        Some(&PiiMode::Off)
    );
    assert_eq!(effective.pii.custom.len(), 2, "custom kept from the config");
    assert_eq!(effective.injection.mode, InjectionMode::Block);
    assert_eq!(effective.injection.threshold, 0.9);
    assert_eq!(effective.policy.deny, vec!["orgword"]);
    assert_eq!(effective.policy.regex, vec![r"(?i)launch code \d+"]);
    assert_eq!(effective.policy.mode, PolicyMode::Log);
    assert_eq!(effective.policy.fallback_model.as_deref(), Some("fast"));
    // An empty override changes nothing.
    assert_eq!(
        config
            .guardrails
            .apply(&GuardrailsOverride::default())
            .unwrap(),
        config.guardrails
    );
}

#[test]
fn override_problems_name_their_path() {
    let bad: GuardrailsOverride = serde_json::from_str(
        r#"{"pii": {"mode": "scramble", "custom": [{"name": "x", "regex": "(", "mode": "redact"}]},
            "injection": {"threshold": 2}}"#,
    )
    .unwrap();
    let errors = GuardrailsConfig::default().apply(&bad).unwrap_err();
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        ["pii.mode", "pii.custom[0].regex", "injection.threshold"]
    );
    // The lenient merge used on the request path skips bad fields instead.
    let merged = GuardrailsConfig::default().merged(&bad);
    assert_eq!(merged.pii.mode, PiiMode::Log);
    assert!(merged.pii.custom.is_empty());
    // Unknown fields are refused by the shape itself.
    assert!(serde_json::from_str::<GuardrailsOverride>(r#"{"pii": {"modes": "log"}}"#).is_err());
    // And the shape round-trips, leaving absent fields out.
    let text = r#"{"pii":{"entities":{"email":"block"}},"policy":{"deny":["x"]}}"#;
    let parsed: GuardrailsOverride = serde_json::from_str(text).unwrap();
    assert_eq!(serde_json::to_string(&parsed).unwrap(), text);
}

#[test]
fn policy_rules_carry_categories_and_category_modes() {
    let text = format!(
        "{BASE}\
guardrails:
  policy:
    deny: [legacyword]
    categories: {{violence: block, secrets: log}}
    rules:
      - {{name: weapons, category: violence, deny: [bazooka]}}
      - {{name: keys, category: secrets, regex: ['KEY-[0-9]+']}}
      - {{name: leaks, category: secrets, regex: ['LEAK-[0-9]+'], mode: block}}
      - {{name: plain, deny: [plainword], mode: log}}
"
    );
    let config = load_ok(&text);
    let policy = &config.guardrails.policy;
    assert_eq!(policy.rules.len(), 4);
    assert_eq!(policy.rules[0].category.as_deref(), Some("violence"));
    assert_eq!(policy.categories.get("secrets"), Some(&PolicyMode::Log));
    let settings = config.guardrails.guard_settings();
    let actions: Vec<(&str, PolicyAction)> = settings
        .policy
        .rules
        .iter()
        .map(|r| (r.name.as_str(), r.action))
        .collect();
    assert_eq!(
        actions,
        [
            ("deny", PolicyAction::Block),
            ("weapons", PolicyAction::Block),
            ("keys", PolicyAction::Log),
            ("leaks", PolicyAction::Block),
            ("plain", PolicyAction::Log),
        ],
        "own mode, else the category's, else policy.mode"
    );
    tollgate_guard::Guard::new(settings).unwrap();
}

#[test]
fn policy_rule_problems_are_strict() {
    let errors = load_err(&format!(
        "{BASE}guardrails:\n  policy:\n    rules:\n      - {{name: a, deny: [x], kind: y}}\n"
    ));
    assert_eq!(
        errors.errors[0].path, "guardrails.policy.rules[0].kind",
        "{errors}"
    );
    let bad: GuardrailsOverride = serde_json::from_str(
        r#"{"policy": {"rules": [{"name": "Bad Name", "category": "Vio lence", "deny": ["x"]},
                                 {"name": "empty"},
                                 {"name": "r", "regex": ["("], "mode": "maybe"}],
                       "categories": {"violence": "shout"}}}"#,
    )
    .unwrap();
    let errors = GuardrailsConfig::default().apply(&bad).unwrap_err();
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "policy.rules[0].name",
            "policy.rules[0].category",
            "policy.rules[1]",
            "policy.rules[2].regex[0]",
            "policy.rules[2].mode",
            "policy.categories.violence",
        ]
    );
    // Configs without rules or categories read as before.
    let old: GuardrailsOverride =
        serde_json::from_str(r#"{"policy": {"deny": ["x"], "mode": "log"}}"#).unwrap();
    let merged = GuardrailsConfig::default().apply(&old).unwrap();
    assert!(merged.policy.rules.is_empty() && merged.policy.categories.is_empty());
    assert_eq!(
        serde_json::to_string(&old).unwrap(),
        r#"{"policy":{"deny":["x"],"mode":"log"}}"#
    );
}

#[test]
fn tenant_overrides_only_tighten() {
    let mut config = GuardrailsConfig::default();
    config.pii.mode = PiiMode::Redact;
    config.policy.deny = vec!["gatewayword".into()];
    let org: GuardrailsOverride = serde_json::from_str(
        r#"{"pii": {"entities": {"email": "block"}}, "injection": {"mode": "block", "threshold": 0.4}}"#,
    )
    .unwrap();
    let team: GuardrailsOverride = serde_json::from_str(
        r#"{"pii": {"mode": "off", "entities": {"email": "log", "phone": "block"}, "scan_output": false},
            "injection": {"mode": "off", "threshold": 0.9},
            "policy": {"deny": ["teamword"], "mode": "log"}}"#,
    )
    .unwrap();
    let key: GuardrailsOverride = serde_json::from_str(
        r#"{"policy": {"deny": [], "regex": []}, "pii": {"reversible": true}}"#,
    )
    .unwrap();
    let settings = config.effective_settings([&org, &team, &key]);
    assert_eq!(
        settings.pii.mode,
        GuardPiiMode::Redact,
        "team's `off` ignored"
    );
    assert_eq!(settings.pii.mode_of(EntityKind::Email), GuardPiiMode::Block);
    assert_eq!(settings.pii.mode_of(EntityKind::Phone), GuardPiiMode::Block);
    assert!(settings.pii.scan_output);
    assert!(!settings.pii.reversible);
    assert_eq!(
        settings.injection.mode,
        tollgate_guard::InjectionMode::Block
    );
    assert_eq!(settings.injection.threshold_permille, 400);
    // The gateway's rule stays a blocking rule; the team's own words are logged.
    let rules: Vec<(&str, &[String], PolicyAction)> = settings
        .policy
        .rules
        .iter()
        .map(|r| (r.name.as_str(), r.words.as_slice(), r.action))
        .collect();
    assert!(rules.contains(&(
        "deny",
        &["gatewayword".to_string()][..],
        PolicyAction::Block
    )));
    assert!(rules.contains(&("deny", &["teamword".to_string()][..], PolicyAction::Log)));
    // Without overrides, the config's own settings.
    assert_eq!(config.effective_settings([]), config.guard_settings());
    let empty = GuardrailsOverride::default();
    assert_eq!(config.effective_settings([&empty]), config.guard_settings());
}

#[test]
fn loosenings_name_each_field() {
    let mut config = GuardrailsConfig::default();
    config.pii.mode = PiiMode::Mask;
    config
        .pii
        .entities
        .insert(EntityKind::CreditCard, PiiMode::Block);
    config.injection.mode = InjectionMode::Block;
    config
        .policy
        .categories
        .insert("violence".into(), PolicyMode::Block);
    let over: GuardrailsOverride = serde_json::from_str(
        r#"{"pii": {"mode": "log", "entities": {"credit_card": "redact", "email": "block"},
                    "reversible": true, "scan_output": false},
            "injection": {"mode": "log", "threshold": 0.8},
            "policy": {"categories": {"violence": "log", "secrets": "log"}, "mode": "log",
                       "fallback_model": "fast"}}"#,
    )
    .unwrap();
    let paths: Vec<String> = config
        .loosenings(&over)
        .into_iter()
        .map(|e| e.path)
        .collect();
    assert_eq!(
        paths,
        [
            "pii.mode",
            "pii.entities.credit_card",
            "pii.reversible",
            "pii.scan_output",
            "injection.mode",
            "injection.threshold",
            "policy.categories.violence",
        ]
    );
    let message = &config.loosenings(&over)[0].message;
    assert!(message.contains("only tighten"), "{message}");
    let strict: GuardrailsOverride = serde_json::from_str(
        r#"{"pii": {"mode": "block"}, "injection": {"threshold": 0.2}, "policy": {"deny": ["x"]}}"#,
    )
    .unwrap();
    assert!(config.loosenings(&strict).is_empty());
}
