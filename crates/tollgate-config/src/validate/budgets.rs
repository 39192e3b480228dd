//! The `budgets:` and `credits:` sections.

use super::{Validator, field, non_empty};
use crate::budgets::{BudgetAmount, BudgetsConfig, CreditsConfig, EndUserBudgets};
use crate::raw::{RawBudgetAmount, RawBudgets, RawCredits};

/// Basis points in 100 %.
const MAX_BPS: i64 = 10_000;

impl Validator {
    pub(super) fn budgets(&mut self, raw: Option<RawBudgets>) -> BudgetsConfig {
        let defaults = BudgetsConfig::default();
        let Some(raw) = raw else {
            return defaults;
        };
        let utc_offset_minutes = match non_empty(raw.timezone) {
            None => defaults.utc_offset_minutes,
            Some(zone) => parse_utc_offset(&zone).unwrap_or_else(|| {
                self.problem(
                    "budgets.timezone",
                    format!("`{zone}` is not `UTC` or a fixed offset such as `+05:30` or `-08:00`"),
                );
                0
            }),
        };
        let alert_at_percent = raw.alert_at_percent.map(|percent| {
            let percent = self.int_in("budgets.alert_at_percent", Some(percent), 1, 100, 80);
            u8::try_from(percent).unwrap_or(80)
        });
        let alert_webhook = non_empty(raw.alert_webhook);
        if let Some(url) = &alert_webhook
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            self.problem(
                "budgets.alert_webhook",
                "must start with http:// or https://",
            );
        }
        let max_output = self.int_in(
            "budgets.default_max_output_tokens",
            raw.default_max_output_tokens,
            1,
            i64::from(u32::MAX),
            i64::try_from(defaults.default_max_output_tokens).unwrap_or(i64::MAX),
        );
        let end_users = match raw.end_users {
            None => EndUserBudgets::default(),
            Some(end_users) => {
                let header = non_empty(end_users.header).map(|h| h.to_ascii_lowercase());
                if let Some(name) = &header
                    && http_header_name_is_invalid(name)
                {
                    self.problem(
                        "budgets.end_users.header",
                        format!("`{name}` is not a valid HTTP header name"),
                    );
                }
                EndUserBudgets {
                    header,
                    default: end_users
                        .default
                        .and_then(|raw| self.budget_amount("budgets.end_users.default", raw)),
                }
            }
        };
        BudgetsConfig {
            utc_offset_minutes,
            mode: self.keyword(
                "budgets.mode",
                non_empty(raw.mode).as_deref(),
                defaults.mode,
            ),
            alert_at_percent,
            alert_webhook,
            default_max_output_tokens: max_output.unsigned_abs(),
            end_users,
        }
    }

    fn budget_amount(&mut self, path: &str, raw: RawBudgetAmount) -> Option<BudgetAmount> {
        let amount_path = field(path, "amount_usd");
        let Some(amount) = raw.amount_usd else {
            self.problem(amount_path, "is required");
            return None;
        };
        let amount = amount.0.normalize();
        if amount.is_sign_negative() && !amount.is_zero() {
            self.problem(amount_path, format!("must not be negative (got {amount})"));
            return None;
        }
        if amount.scale() > 9 {
            self.problem(
                amount_path,
                format!(
                    "has more than 9 decimal places (got {amount}); budgets count nano-dollars"
                ),
            );
            return None;
        }
        let period = self.keyword(
            &field(path, "period"),
            non_empty(raw.period).as_deref(),
            crate::budgets::BudgetPeriod::None,
        );
        Some(BudgetAmount {
            amount_usd: amount,
            period,
        })
    }

    pub(super) fn credits(&mut self, raw: Option<RawCredits>) -> CreditsConfig {
        let defaults = CreditsConfig::default();
        let Some(raw) = raw else {
            return defaults;
        };
        let default_fee_bps = self
            .int_in(
                "credits.fee_bps",
                raw.fee_bps,
                0,
                MAX_BPS,
                i64::from(defaults.default_fee_bps),
            )
            .unsigned_abs();
        let tier_fee_bps = match raw.tiers {
            None => defaults.tier_fee_bps,
            Some(tiers) => tiers
                .into_iter()
                .map(|(tier, bps)| {
                    let path = field("credits.tiers", &tier);
                    let bps = self.int_in(&path, Some(bps), 0, MAX_BPS, 0).unsigned_abs();
                    (tier, u32::try_from(bps).unwrap_or(0))
                })
                .collect(),
        };
        CreditsConfig {
            default_fee_bps: u32::try_from(default_fee_bps).unwrap_or(400),
            tier_fee_bps,
        }
    }
}

/// `UTC`, `Z`, `+05:30`, `-08:00`, `+0530`, `+05`: minutes east of UTC, within ±14 h.
fn parse_utc_offset(zone: &str) -> Option<i32> {
    let zone = zone.trim();
    if zone.eq_ignore_ascii_case("utc") || zone == "Z" {
        return Some(0);
    }
    let zone = zone
        .strip_prefix("UTC")
        .or_else(|| zone.strip_prefix("utc"))
        .unwrap_or(zone);
    let (sign, rest) = match zone.as_bytes().first()? {
        b'+' => (1, &zone[1..]),
        b'-' => (-1, &zone[1..]),
        _ => return None,
    };
    let (hours, minutes) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None if rest.len() == 4 => rest.split_at(2),
        None => (rest, "0"),
    };
    let all_digits =
        |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(hours) || !all_digits(minutes) {
        return None;
    }
    let (hours, minutes): (i32, i32) = (hours.parse().ok()?, minutes.parse().ok()?);
    (hours <= 14 && minutes < 60 && hours * 60 + minutes <= 14 * 60)
        .then_some(sign * (hours * 60 + minutes))
}

fn http_header_name_is_invalid(name: &str) -> bool {
    name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::parse_utc_offset;

    #[test]
    fn offsets() {
        assert_eq!(parse_utc_offset("UTC"), Some(0));
        assert_eq!(parse_utc_offset("+05:30"), Some(330));
        assert_eq!(parse_utc_offset("-08:00"), Some(-480));
        assert_eq!(parse_utc_offset("+0530"), Some(330));
        assert_eq!(parse_utc_offset("UTC+2"), Some(120));
        assert_eq!(parse_utc_offset("+15:00"), None);
        assert_eq!(parse_utc_offset("Europe/Paris"), None);
        assert_eq!(parse_utc_offset("+5:75"), None);
    }
}
