//! The `budgets:` and `credits:` sections: gateway-wide defaults for spend limits.
//!
//! Budgets themselves live on keys, users, teams and organizations (admin API); the config says
//! how their periods are cut (time zone), what mode and alert threshold a budget has unless it
//! says otherwise, where alerts go, the budget every end user gets, and the platform fee table
//! for prepaid credits.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::keyword::keyword_enum;

keyword_enum! {
    /// How a budget treats the call that might cross it.
    pub enum BudgetMode {
        /// Reserve the worst case; refuse a call that might not fit.
        Hard => "hard",
        /// Admit while settled spend is below the limit; the crossing call completes.
        Soft => "soft",
    }
}

keyword_enum! {
    /// When a budget's window starts over.
    pub enum BudgetPeriod {
        /// A lifetime budget.
        None => "none",
        Daily => "daily",
        Weekly => "weekly",
        Monthly => "monthly",
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BudgetsConfig {
    /// Minutes east of UTC where daily, weekly and monthly windows start (`timezone: "+05:30"`).
    pub utc_offset_minutes: i32,
    /// The mode of every budget that does not name its own.
    pub mode: BudgetMode,
    /// Percent of a budget (1..=100) at which one alert per window is raised; `None`: no alerts.
    pub alert_at_percent: Option<u8>,
    /// POSTed a JSON alert, once per budget and window (the alert is logged either way).
    pub alert_webhook: Option<String>,
    /// Output tokens reserved for a call that names no `max_tokens` on a model whose catalog
    /// entry gives no maximum either.
    pub default_max_output_tokens: u64,
    pub end_users: EndUserBudgets,
}

impl BudgetsConfig {
    pub const DEFAULT_MAX_OUTPUT_TOKENS: u64 = 8192;
}

impl Default for BudgetsConfig {
    fn default() -> Self {
        BudgetsConfig {
            utc_offset_minutes: 0,
            mode: BudgetMode::Hard,
            alert_at_percent: None,
            alert_webhook: None,
            default_max_output_tokens: Self::DEFAULT_MAX_OUTPUT_TOKENS,
            end_users: EndUserBudgets::default(),
        }
    }
}

/// End users are the caller's own customers, named by the request's `user` field or a header.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EndUserBudgets {
    /// A request header naming the end user; it wins over the body's `user` field.
    pub header: Option<String>,
    /// The budget every end user has (each their own), seen before or not.
    pub default: Option<BudgetAmount>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BudgetAmount {
    /// USD, at most 9 decimal places (nano-dollars).
    pub amount_usd: Decimal,
    pub period: BudgetPeriod,
}

/// The platform fee on credit purchases, in basis points (400 = 4 %), by organization tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditsConfig {
    pub default_fee_bps: u32,
    pub tier_fee_bps: BTreeMap<String, u32>,
}

impl Default for CreditsConfig {
    /// 4 % for every tier but `top`, which pays none.
    fn default() -> Self {
        CreditsConfig {
            default_fee_bps: 400,
            tier_fee_bps: BTreeMap::from([("top".to_string(), 0)]),
        }
    }
}
