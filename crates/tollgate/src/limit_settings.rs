//! The config's `budgets:` and `credits:` sections → the server's limit settings.

use std::time::Duration;

use tollgate_config::{BudgetMode, BudgetPeriod, Config};
use tollgate_limits::{FeeSchedule, Period, UtcOffset};
use tollgate_server::limits::LimitSettings;
use tollgate_types::NanoUsd;

/// How long a reservation outlives a holder that died: longer than any call's timeout, and
/// streams renew it while they run.
const RESERVATION_LEASE: Duration = Duration::from_secs(600);

pub fn limit_settings(config: &Config) -> LimitSettings {
    let budgets = &config.budgets;
    let mut fees = FeeSchedule::new(config.credits.default_fee_bps);
    for (tier, bps) in &config.credits.tier_fee_bps {
        fees = fees.with_tier(tier.clone(), *bps);
    }
    LimitSettings {
        // Validated to ±14 h, inside what `UtcOffset` takes.
        offset: UtcOffset::from_minutes(budgets.utc_offset_minutes).unwrap_or(UtcOffset::UTC),
        mode: match budgets.mode {
            BudgetMode::Hard => tollgate_limits::BudgetMode::Hard,
            BudgetMode::Soft => tollgate_limits::BudgetMode::Soft,
        },
        alert_at_percent: budgets.alert_at_percent,
        alert_webhook: budgets.alert_webhook.clone(),
        end_user_header: budgets
            .end_users
            .header
            .as_deref()
            .and_then(|name| http::HeaderName::from_bytes(name.as_bytes()).ok()),
        end_user_budget: budgets.end_users.default.as_ref().and_then(|default| {
            // Validated to at most nine decimal places, so this is exact.
            let amount = NanoUsd::parse_usd(&default.amount_usd.to_string())?;
            Some((amount, period(default.period)))
        }),
        default_max_output_tokens: budgets.default_max_output_tokens,
        lease: RESERVATION_LEASE,
        fees,
    }
}

fn period(period: BudgetPeriod) -> Period {
    match period {
        BudgetPeriod::None => Period::None,
        BudgetPeriod::Daily => Period::Daily,
        BudgetPeriod::Weekly => Period::Weekly,
        BudgetPeriod::Monthly => Period::Monthly,
    }
}
