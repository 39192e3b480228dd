//! The `budgets:` and `credits:` sections: values, defaults, and errors with their lines.

mod common;

use common::{BASE, env, load_err};
use rust_decimal::Decimal;
use tollgate_config::{BudgetMode, BudgetPeriod, BudgetsConfig, CreditsConfig, load_from_str};

#[test]
fn budgets_and_credits_load() {
    let text = format!(
        "{BASE}budgets:
  timezone: \"+05:30\"
  mode: soft
  alert_at_percent: 75
  alert_webhook: https://hooks.example.com/tollgate
  default_max_output_tokens: 2048
  end_users:
    header: X-End-User
    default: {{amount_usd: \"0.25\", period: daily}}
credits:
  fee_bps: 250
  tiers: {{top: 0, growth: 100}}
"
    );
    let config = load_from_str(&text, &env(&[])).unwrap_or_else(|e| panic!("{e}"));
    let budgets = &config.budgets;
    assert_eq!(budgets.utc_offset_minutes, 330);
    assert_eq!(budgets.mode, BudgetMode::Soft);
    assert_eq!(budgets.alert_at_percent, Some(75));
    assert_eq!(
        budgets.alert_webhook.as_deref(),
        Some("https://hooks.example.com/tollgate")
    );
    assert_eq!(budgets.default_max_output_tokens, 2048);
    assert_eq!(budgets.end_users.header.as_deref(), Some("x-end-user"));
    let default = budgets
        .end_users
        .default
        .as_ref()
        .expect("end-user default");
    assert_eq!(
        default.amount_usd,
        "0.25".parse::<Decimal>().expect("decimal")
    );
    assert_eq!(default.period, BudgetPeriod::Daily);
    assert_eq!(config.credits.default_fee_bps, 250);
    assert_eq!(config.credits.tier_fee_bps.get("growth"), Some(&100));
}

#[test]
fn defaults_without_the_sections() {
    let config = load_from_str(BASE, &env(&[])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.budgets, BudgetsConfig::default());
    assert_eq!(config.budgets.mode, BudgetMode::Hard);
    assert_eq!(config.credits, CreditsConfig::default());
    assert_eq!(config.credits.default_fee_bps, 400);
    assert_eq!(config.credits.tier_fee_bps.get("top"), Some(&0));
}

#[test]
fn every_budget_problem_is_reported_with_its_path() {
    let text = format!(
        "{BASE}budgets:
  timezone: Mars/Olympus
  mode: strict
  alert_at_percent: 120
  alert_webhook: ftp://x
  end_users:
    header: \"bad header\"
    default: {{amount_usd: \"-1\", period: daily}}
credits:
  fee_bps: 20000
  tiers: {{top: -5}}
"
    );
    let errors = load_err(&text);
    let paths: Vec<&str> = errors.errors.iter().map(|e| e.path.as_str()).collect();
    for expected in [
        "budgets.timezone",
        "budgets.mode",
        "budgets.alert_at_percent",
        "budgets.alert_webhook",
        "budgets.end_users.header",
        "budgets.end_users.default.amount_usd",
        "credits.fee_bps",
        "credits.tiers.top",
    ] {
        assert!(paths.contains(&expected), "{expected} missing in {paths:?}");
    }
    assert!(errors.errors.iter().all(|e| e.line.is_some()), "{errors:?}");
}

#[test]
fn sub_nano_budget_is_refused() {
    let text = format!(
        "{BASE}budgets:\n  end_users:\n    default: {{amount_usd: \"0.0000000001\", period: none}}\n"
    );
    let errors = load_err(&text);
    assert!(
        errors.errors[0].message.contains("9 decimal places"),
        "{errors:?}"
    );
}
