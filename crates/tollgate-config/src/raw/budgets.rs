//! Serde mirror of the `budgets:` and `credits:` sections.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::ExactDecimal;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBudgets {
    pub timezone: Option<String>,
    pub mode: Option<String>,
    pub alert_at_percent: Option<i64>,
    pub alert_webhook: Option<String>,
    pub default_max_output_tokens: Option<i64>,
    pub end_users: Option<RawEndUsers>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEndUsers {
    pub header: Option<String>,
    pub default: Option<RawBudgetAmount>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBudgetAmount {
    pub amount_usd: Option<ExactDecimal>,
    pub period: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCredits {
    pub fee_bps: Option<i64>,
    pub tiers: Option<BTreeMap<String, i64>>,
}
