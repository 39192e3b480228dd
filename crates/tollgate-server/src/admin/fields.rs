//! Checks and conversions of single request fields; every error names its field.

use serde_json::Value;
use tollgate_store::{Budget, BudgetMode, BudgetPeriod, Role, Timestamp};
use tollgate_types::NanoUsd;

use crate::admin::errors::AdminError;
use crate::admin::time;

/// Names, emails and ids are at most this long.
const MAX_TEXT: usize = 256;

/// A dollar amount written as a decimal string (`"12.50"`), parsed exactly: digits, an optional
/// point and at most nine decimals (one nano-dollar). No sign, no exponent, no JSON number (which
/// would already have been through a float in many clients).
pub fn usd(field: &str, text: &str) -> Result<NanoUsd, AdminError> {
    let text = text.trim();
    if text.starts_with('-') {
        return Err(AdminError::field(field, "must not be negative"));
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || text.ends_with('.') {
        return Err(AdminError::field(
            field,
            format!(
                "`{}` is not a decimal amount of dollars such as \"12.50\"",
                text.chars().take(40).collect::<String>()
            ),
        ));
    }
    // Ten digits hold every amount an i64 of nano-dollars can (about 9.2 billion dollars); the
    // check also keeps huge inputs away from the decimal arithmetic.
    if whole.trim_start_matches('0').len() > 10 {
        return Err(AdminError::field(field, "is too large"));
    }
    if fraction.len() > 9 {
        return Err(AdminError::field(
            field,
            "has more than nine decimal places (the smallest unit is 0.000000001)",
        ));
    }
    NanoUsd::parse_usd(text).ok_or_else(|| AdminError::field(field, "is too large"))
}

/// As [`usd`], with an optional leading minus (an operator's correction may take credits away).
pub fn signed_usd(field: &str, text: &str) -> Result<NanoUsd, AdminError> {
    let text = text.trim();
    match text.strip_prefix('-') {
        // The sign sticks to the digits (`usd` would trim a space away); `usd` refuses a
        // second sign.
        Some(magnitude) if magnitude.starts_with(char::is_whitespace) => {
            Err(AdminError::field(field, "has a space after its minus sign"))
        }
        Some(magnitude) => usd(field, magnitude).map(|amount| NanoUsd(-amount.0)),
        None => usd(field, text),
    }
}

pub fn budget_period(field: &str, text: &str) -> Result<BudgetPeriod, AdminError> {
    BudgetPeriod::parse(text.trim()).ok_or_else(|| {
        AdminError::field(
            field,
            format!(
                "unknown period `{}` (expected none, daily, weekly or monthly)",
                text.chars().take(40).collect::<String>()
            ),
        )
    })
}

pub fn budget_mode(field: &str, text: &str) -> Result<BudgetMode, AdminError> {
    BudgetMode::parse(text.trim()).ok_or_else(|| {
        AdminError::field(
            field,
            format!(
                "unknown mode `{}` (expected hard or soft)",
                text.chars().take(40).collect::<String>()
            ),
        )
    })
}

/// A budget's alert threshold: a whole percent of its amount, 1 to 100.
pub fn alert_percent(field: &str, percent: u32) -> Result<u8, AdminError> {
    u8::try_from(percent)
        .ok()
        .filter(|percent| (1..=100).contains(percent))
        .ok_or_else(|| AdminError::field(field, "must be between 1 and 100"))
}

/// A budget from `budget_usd`, `budget_period` (lifetime when absent), `budget_mode` and
/// `budget_alert_percent` (the gateway's defaults when absent).
pub fn budget(
    amount: Option<&str>,
    period: Option<&str>,
    mode: Option<&str>,
    alert: Option<u32>,
) -> Result<Option<Budget>, AdminError> {
    let Some(amount) = amount else {
        let stray = [
            ("budget_period", period.is_some()),
            ("budget_mode", mode.is_some()),
            ("budget_alert_percent", alert.is_some()),
        ];
        return match stray.into_iter().find(|(_, given)| *given) {
            Some((field, _)) => Err(AdminError::field(field, "needs budget_usd beside it")),
            None => Ok(None),
        };
    };
    Ok(Some(Budget {
        amount: usd("budget_usd", amount)?,
        period: period
            .map(|period| budget_period("budget_period", period))
            .transpose()?
            .unwrap_or(BudgetPeriod::None),
        mode: mode
            .map(|mode| budget_mode("budget_mode", mode))
            .transpose()?,
        alert_at_percent: alert
            .map(|percent| alert_percent("budget_alert_percent", percent))
            .transpose()?,
    }))
}

/// What a PATCH body says about a budget: `None` keeps a field, `Some(None)` clears a nullable
/// one (the amount removes the budget; the mode and alert go back to the gateway's defaults).
#[derive(Debug, Clone, Copy, Default)]
pub struct BudgetPatch<'a> {
    pub amount: Option<Option<&'a str>>,
    pub period: Option<&'a str>,
    pub mode: Option<Option<&'a str>>,
    pub alert: Option<Option<u32>>,
}

/// A PATCH of a budget over the `current` one: a new amount keeps the current period, mode and
/// alert unless they are given; a period, mode or alert alone changes the current budget.
/// `None`: leave the budget as it is.
pub fn budget_update(
    patch: BudgetPatch<'_>,
    current: Option<Budget>,
) -> Result<Option<Option<Budget>>, AdminError> {
    let sets = [
        ("budget_period", patch.period.is_some()),
        ("budget_mode", matches!(patch.mode, Some(Some(_)))),
        ("budget_alert_percent", matches!(patch.alert, Some(Some(_)))),
    ];
    let first_set = sets
        .into_iter()
        .find(|(_, set)| *set)
        .map(|(field, _)| field);
    let base = match (patch.amount, current) {
        (Some(None), _) => {
            return match first_set {
                Some(field) => Err(AdminError::field(
                    field,
                    "cannot be set while budget_usd is cleared",
                )),
                None => Ok(Some(None)),
            };
        }
        (Some(Some(amount)), current) => Budget {
            amount: usd("budget_usd", amount)?,
            ..current.unwrap_or(Budget::new(NanoUsd::ZERO, BudgetPeriod::None))
        },
        (None, Some(current)) => current,
        (None, None) => {
            return match first_set {
                Some(field) => Err(AdminError::field(
                    field,
                    "there is no budget to change; set budget_usd beside it",
                )),
                // Clearing the mode or alert of no budget changes nothing.
                None => Ok(None),
            };
        }
    };
    if patch.amount.is_none()
        && patch.period.is_none()
        && patch.mode.is_none()
        && patch.alert.is_none()
    {
        return Ok(None);
    }
    Ok(Some(Some(Budget {
        amount: base.amount,
        period: match patch.period {
            Some(period) => budget_period("budget_period", period)?,
            None => base.period,
        },
        mode: match patch.mode {
            Some(mode) => mode
                .map(|mode| budget_mode("budget_mode", mode))
                .transpose()?,
            None => base.mode,
        },
        alert_at_percent: match patch.alert {
            Some(alert) => alert
                .map(|percent| alert_percent("budget_alert_percent", percent))
                .transpose()?,
            None => base.alert_at_percent,
        },
    })))
}

/// A PATCH of a limit: `null` clears it, a value must be at least 1.
pub fn positive_update<T: PartialEq + Default + Copy>(
    field: &str,
    value: Option<Option<T>>,
) -> Result<Option<Option<T>>, AdminError> {
    value.map(|limit| positive(field, limit)).transpose()
}

pub fn role(field: &str, text: &str) -> Result<Role, AdminError> {
    Role::parse(text.trim()).ok_or_else(|| {
        AdminError::field(
            field,
            format!(
                "unknown role `{}` (expected admin, org_admin, team_admin, member or viewer)",
                text.chars().take(40).collect::<String>()
            ),
        )
    })
}

/// A time in the future: an RFC 3339 string, or a whole number of unix seconds.
pub fn future_time(field: &str, value: &Value, now: Timestamp) -> Result<Timestamp, AdminError> {
    let at = match value {
        Value::String(text) => {
            time::parse(text).map_err(|problem| AdminError::field(field, problem))?
        }
        Value::Number(number) => {
            let seconds = number
                .as_i64()
                .ok_or_else(|| AdminError::field(field, "unix seconds must be a whole number"))?;
            time::from_unix_seconds(seconds).map_err(|problem| AdminError::field(field, problem))?
        }
        _ => {
            return Err(AdminError::field(
                field,
                "expected an RFC 3339 time such as \"2026-01-31T12:00:00Z\" or unix seconds",
            ));
        }
    };
    if at <= now {
        return Err(AdminError::field(
            field,
            "is in the past (to stop a key now, use its /expire or /revoke)",
        ));
    }
    Ok(at)
}

/// A query-string time: RFC 3339 or unix seconds.
pub fn query_time(field: &str, text: &str) -> Result<Timestamp, AdminError> {
    time::parse(text).map_err(|problem| AdminError::field(field, problem))
}

/// Public model names: at least one (omit the field to allow every model), none empty.
pub fn models(field: &str, models: Vec<String>) -> Result<Vec<String>, AdminError> {
    if models.is_empty() {
        return Err(AdminError::field(
            field,
            "lists no model; omit it (or send null) to allow every model",
        ));
    }
    let mut checked: Vec<String> = Vec::with_capacity(models.len());
    for model in models {
        let model = text(field, &model)?;
        if !checked.contains(&model) {
            checked.push(model);
        }
    }
    Ok(checked)
}

/// A JSON object whose `tags`, if any, are strings.
pub fn metadata(field: &str, value: Value) -> Result<Value, AdminError> {
    let Value::Object(object) = &value else {
        return Err(AdminError::field(field, "must be a JSON object"));
    };
    if let Some(tags) = object.get("tags")
        && !tags
            .as_array()
            .is_some_and(|tags| tags.iter().all(Value::is_string))
    {
        return Err(AdminError::field(
            &format!("{field}.tags"),
            "must be an array of strings",
        ));
    }
    Ok(value)
}

/// A non-empty, reasonably short text (names, emails, ids), trimmed.
pub fn text(field: &str, value: &str) -> Result<String, AdminError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AdminError::field(field, "must not be empty"));
    }
    if value.chars().count() > MAX_TEXT {
        return Err(AdminError::field(
            field,
            format!("is longer than {MAX_TEXT} characters"),
        ));
    }
    Ok(value.to_string())
}

pub fn optional_text(field: &str, value: Option<String>) -> Result<Option<String>, AdminError> {
    value.map(|value| text(field, &value)).transpose()
}

/// A limit that, when set, is at least 1 (a limit of zero would silently disable the key).
pub fn positive<T: PartialEq + Default + Copy>(
    field: &str,
    value: Option<T>,
) -> Result<Option<T>, AdminError> {
    match value {
        Some(value) if value == T::default() => Err(AdminError::field(
            field,
            "must be at least 1 (omit it for no limit)",
        )),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_parse_exactly() {
        assert_eq!(usd("b", "12.50").unwrap(), NanoUsd(12_500_000_000));
        assert_eq!(usd("b", "0.000000001").unwrap(), NanoUsd(1));
        assert_eq!(usd("b", "7").unwrap(), NanoUsd(7_000_000_000));
        assert_eq!(usd("b", " 0.1 ").unwrap(), NanoUsd(100_000_000));
        for bad in [
            "",
            "-1",
            "-0.5",
            "1e3",
            "12.",
            ".5",
            "1,5",
            "+1",
            "0.0000000001",
            "NaN",
            "1 2",
        ] {
            let error = usd("budget_usd", bad).unwrap_err();
            assert_eq!(error.param.as_deref(), Some("budget_usd"), "{bad:?}");
        }
        assert!(usd("b", "99999999999999999999").is_err());
    }

    #[test]
    fn signed_dollars_take_one_minus() {
        assert_eq!(signed_usd("a", "-1.5").unwrap(), NanoUsd(-1_500_000_000));
        assert_eq!(signed_usd("a", " 2 ").unwrap(), NanoUsd(2_000_000_000));
        for bad in ["--1", "- 1", "-", "-1e3", "+-1"] {
            assert_eq!(
                signed_usd("amount_usd", bad).unwrap_err().param.as_deref(),
                Some("amount_usd"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn budget_needs_an_amount_and_defaults_to_lifetime() {
        assert_eq!(budget(None, None, None, None).unwrap(), None);
        let five = budget(Some("5"), None, None, None).unwrap().unwrap();
        assert_eq!(
            five,
            Budget::new(NanoUsd(5_000_000_000), BudgetPeriod::None)
        );
        assert_eq!(
            budget(Some("5"), Some("monthly"), None, None)
                .unwrap()
                .unwrap()
                .period,
            BudgetPeriod::Monthly
        );
        assert_eq!(
            budget(Some("5"), None, Some("soft"), Some(80)).unwrap(),
            Some(Budget {
                mode: Some(BudgetMode::Soft),
                alert_at_percent: Some(80),
                ..five
            })
        );
        let param = |result: Result<Option<Budget>, AdminError>| result.unwrap_err().param;
        assert_eq!(
            param(budget(Some("5"), Some("yearly"), None, None)).as_deref(),
            Some("budget_period")
        );
        assert_eq!(
            param(budget(None, Some("daily"), None, None)).as_deref(),
            Some("budget_period")
        );
        for (mode, alert, field) in [
            (Some("loose"), None, "budget_mode"),
            (None, Some(0), "budget_alert_percent"),
            (None, Some(101), "budget_alert_percent"),
            (None, Some(u32::MAX), "budget_alert_percent"),
        ] {
            assert_eq!(
                param(budget(Some("5"), None, mode, alert)).as_deref(),
                Some(field)
            );
            // Without an amount, the stray field is named first.
            assert_eq!(
                param(budget(None, None, mode, alert)).as_deref(),
                Some(field)
            );
        }
    }

    #[test]
    fn budget_updates_keep_or_change_the_period() {
        let monthly = Budget::new(NanoUsd(5), BudgetPeriod::Monthly);
        let patch = |amount, period| BudgetPatch {
            amount,
            period,
            ..BudgetPatch::default()
        };
        assert_eq!(
            budget_update(patch(None, None), Some(monthly)).unwrap(),
            None
        );
        assert_eq!(
            budget_update(patch(Some(None), None), Some(monthly)).unwrap(),
            Some(None)
        );
        assert_eq!(
            budget_update(patch(Some(Some("2")), None), Some(monthly)).unwrap(),
            Some(Some(Budget::new(
                NanoUsd(2_000_000_000),
                BudgetPeriod::Monthly
            )))
        );
        assert_eq!(
            budget_update(patch(None, Some("daily")), Some(monthly)).unwrap(),
            Some(Some(Budget::new(NanoUsd(5), BudgetPeriod::Daily)))
        );
        for (amount, period, current) in [
            (None, Some("daily"), None),
            (Some(None), Some("daily"), Some(monthly)),
            (Some(Some("1")), Some("yearly"), None),
        ] {
            let error = budget_update(patch(amount, period), current).unwrap_err();
            assert_eq!(error.param.as_deref(), Some("budget_period"));
        }
        let error = budget_update(patch(Some(Some("-1")), None), None).unwrap_err();
        assert_eq!(error.param.as_deref(), Some("budget_usd"));
        assert!(error.message.contains("negative"), "{error}");
    }

    #[test]
    fn budget_updates_set_keep_and_clear_mode_and_alert() {
        let soft = Budget {
            mode: Some(BudgetMode::Soft),
            alert_at_percent: Some(90),
            ..Budget::new(NanoUsd(5), BudgetPeriod::Monthly)
        };
        let set = BudgetPatch {
            mode: Some(Some("soft")),
            alert: Some(Some(90)),
            ..BudgetPatch::default()
        };
        assert_eq!(
            budget_update(set, Some(Budget::new(NanoUsd(5), BudgetPeriod::Monthly))).unwrap(),
            Some(Some(soft))
        );
        // A new amount keeps them; null puts them back to the gateway's defaults.
        let amount = BudgetPatch {
            amount: Some(Some("0.000000007")),
            ..BudgetPatch::default()
        };
        assert_eq!(
            budget_update(amount, Some(soft)).unwrap(),
            Some(Some(Budget {
                amount: NanoUsd(7),
                ..soft
            }))
        );
        let clear = BudgetPatch {
            mode: Some(None),
            alert: Some(None),
            ..BudgetPatch::default()
        };
        assert_eq!(
            budget_update(clear, Some(soft)).unwrap(),
            Some(Some(Budget::new(NanoUsd(5), BudgetPeriod::Monthly)))
        );
        assert_eq!(budget_update(clear, None).unwrap(), None);
        let cleared = BudgetPatch {
            amount: Some(None),
            ..clear
        };
        assert_eq!(budget_update(cleared, Some(soft)).unwrap(), Some(None));
        for (patch, current, field) in [
            (set, None, "budget_mode"),
            (
                BudgetPatch {
                    amount: Some(None),
                    alert: Some(Some(5)),
                    ..BudgetPatch::default()
                },
                Some(soft),
                "budget_alert_percent",
            ),
            (
                BudgetPatch {
                    mode: Some(Some("HARDER")),
                    ..BudgetPatch::default()
                },
                Some(soft),
                "budget_mode",
            ),
            (
                BudgetPatch {
                    alert: Some(Some(0)),
                    ..BudgetPatch::default()
                },
                Some(soft),
                "budget_alert_percent",
            ),
        ] {
            let error = budget_update(patch, current).unwrap_err();
            assert_eq!(error.param.as_deref(), Some(field), "{patch:?}");
        }
    }

    #[test]
    fn expiry_is_a_future_time() {
        let now = Timestamp(1_700_000_000_000);
        let later = serde_json::json!("2030-01-01T00:00:00Z");
        assert_eq!(
            future_time("expires_at", &later, now).unwrap(),
            Timestamp(1_893_456_000_000)
        );
        let seconds = serde_json::json!(1_893_456_000);
        assert_eq!(
            future_time("expires_at", &seconds, now).unwrap(),
            Timestamp(1_893_456_000_000)
        );
        for bad in [
            serde_json::json!("2020-01-01T00:00:00Z"),
            serde_json::json!("next week"),
            serde_json::json!(1.5),
            serde_json::json!(true),
            serde_json::json!(-5),
        ] {
            let error = future_time("expires_at", &bad, now).unwrap_err();
            assert_eq!(error.param.as_deref(), Some("expires_at"), "{bad}");
        }
    }

    #[test]
    fn models_and_metadata() {
        assert!(models("models", vec![]).is_err());
        assert_eq!(
            models("models", vec!["a".into(), " a ".into(), "b".into()]).unwrap(),
            vec!["a", "b"]
        );
        assert!(metadata("metadata", serde_json::json!([])).is_err());
        let error = metadata("metadata", serde_json::json!({"tags": [1]})).unwrap_err();
        assert_eq!(error.param.as_deref(), Some("metadata.tags"));
        assert!(metadata("metadata", serde_json::json!({"tags": ["x"], "team": 3})).is_ok());
    }
}
