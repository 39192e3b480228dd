//! Checks and conversions of single request fields; every error names its field.

use serde_json::Value;
use tollgate_store::{Budget, BudgetPeriod, Role, Timestamp};
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

/// A budget from `budget_usd` and `budget_period` (lifetime when no period is given).
pub fn budget(amount: Option<&str>, period: Option<&str>) -> Result<Option<Budget>, AdminError> {
    match (amount, period) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(AdminError::field(
            "budget_period",
            "needs budget_usd beside it",
        )),
        (Some(amount), period) => Ok(Some(Budget {
            amount: usd("budget_usd", amount)?,
            period: period
                .map(|period| budget_period("budget_period", period))
                .transpose()?
                .unwrap_or(BudgetPeriod::None),
        })),
    }
}

/// A PATCH of a budget from `budget_usd` (`null` clears it) and `budget_period`, over the
/// `current` one: a new amount keeps the current period unless one is given; a period alone
/// changes the period of the current budget. `None`: leave the budget as it is.
pub fn budget_update(
    amount: Option<Option<&str>>,
    period: Option<&str>,
    current: Option<Budget>,
) -> Result<Option<Option<Budget>>, AdminError> {
    match (amount, period) {
        (None, None) => Ok(None),
        (Some(None), Some(_)) => Err(AdminError::field(
            "budget_period",
            "cannot be set while budget_usd is cleared",
        )),
        (Some(None), None) => Ok(Some(None)),
        (Some(Some(amount)), period) => {
            let period = match period {
                Some(period) => budget_period("budget_period", period)?,
                None => current.map_or(BudgetPeriod::None, |budget| budget.period),
            };
            Ok(Some(Some(Budget {
                amount: usd("budget_usd", amount)?,
                period,
            })))
        }
        (None, Some(period)) => {
            let Some(existing) = current else {
                return Err(AdminError::field(
                    "budget_period",
                    "there is no budget to change; set budget_usd beside it",
                ));
            };
            Ok(Some(Some(Budget {
                amount: existing.amount,
                period: budget_period("budget_period", period)?,
            })))
        }
    }
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
        assert_eq!(budget(None, None).unwrap(), None);
        assert_eq!(
            budget(Some("5"), None).unwrap().unwrap().period,
            BudgetPeriod::None
        );
        assert_eq!(
            budget(Some("5"), Some("monthly")).unwrap().unwrap().period,
            BudgetPeriod::Monthly
        );
        assert_eq!(
            budget(Some("5"), Some("yearly"))
                .unwrap_err()
                .param
                .as_deref(),
            Some("budget_period")
        );
        assert_eq!(
            budget(None, Some("daily")).unwrap_err().param.as_deref(),
            Some("budget_period")
        );
    }

    #[test]
    fn budget_updates_keep_or_change_the_period() {
        let monthly = Budget {
            amount: NanoUsd(5),
            period: BudgetPeriod::Monthly,
        };
        assert_eq!(budget_update(None, None, Some(monthly)).unwrap(), None);
        assert_eq!(
            budget_update(Some(None), None, Some(monthly)).unwrap(),
            Some(None)
        );
        assert_eq!(
            budget_update(Some(Some("2")), None, Some(monthly)).unwrap(),
            Some(Some(Budget {
                amount: NanoUsd(2_000_000_000),
                period: BudgetPeriod::Monthly
            }))
        );
        assert_eq!(
            budget_update(None, Some("daily"), Some(monthly)).unwrap(),
            Some(Some(Budget {
                amount: NanoUsd(5),
                period: BudgetPeriod::Daily
            }))
        );
        for (amount, period, current) in [
            (None, Some("daily"), None),
            (Some(None), Some("daily"), Some(monthly)),
            (Some(Some("1")), Some("yearly"), None),
        ] {
            let error = budget_update(amount, period, current).unwrap_err();
            assert_eq!(error.param.as_deref(), Some("budget_period"));
        }
        let error = budget_update(Some(Some("-1")), None, None).unwrap_err();
        assert_eq!(error.param.as_deref(), Some("budget_usd"));
        assert!(error.message.contains("negative"), "{error}");
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
