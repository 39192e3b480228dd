//! What the operator configured about limits and budgets (the binary converts the config file's
//! `budgets:` and `credits:` sections into this; the server does not read config files).

use std::time::Duration;

use http::HeaderName;
use tollgate_limits::{BudgetMode, FeeSchedule, Period, UtcOffset};
use tollgate_types::NanoUsd;

#[derive(Debug, Clone)]
pub struct LimitSettings {
    /// Where daily, weekly and monthly windows start.
    pub offset: UtcOffset,
    /// The mode of every budget (hard: never exceeded; soft: the crossing call completes).
    pub mode: BudgetMode,
    /// One alert per budget and window when settled spend reaches this percent of the limit.
    pub alert_at_percent: Option<u8>,
    /// Where alerts are POSTed as JSON (they are logged either way).
    pub alert_webhook: Option<String>,
    /// A header naming the caller's end user; wins over the body's `user` field.
    pub end_user_header: Option<HeaderName>,
    /// The budget each end user has, seen before or not.
    pub end_user_budget: Option<(NanoUsd, Period)>,
    /// Output tokens reserved when neither the request nor the catalog names a maximum.
    pub default_max_output_tokens: u64,
    /// How long a reservation holds if its holder dies without settling; streams renew it.
    pub lease: Duration,
    /// The platform fee on credit purchases, by organization tier.
    pub fees: FeeSchedule,
}

impl Default for LimitSettings {
    fn default() -> Self {
        LimitSettings {
            offset: UtcOffset::UTC,
            mode: BudgetMode::Hard,
            alert_at_percent: None,
            alert_webhook: None,
            end_user_header: None,
            end_user_budget: None,
            default_max_output_tokens: 8192,
            lease: Duration::from_secs(600),
            fees: FeeSchedule::default(),
        }
    }
}
