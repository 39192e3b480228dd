//! Budget periods and where their windows start and end.
//!
//! A zone is a fixed offset from UTC (`+02:00`), not a named zone with daylight-saving rules:
//! a budget that resets at local midnight then moves by an hour twice a year in zones with DST.
//! That keeps the arithmetic a few integer operations that a Redis script can repeat exactly,
//! and no zone database ships in the binary.

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;
/// 1970-01-01 was a Thursday; ISO weeks start on Monday, three days earlier.
const DAYS_FROM_MONDAY_TO_THURSDAY: i64 = 3;

/// How often a budget starts again from zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Period {
    /// A lifetime budget (and a credit balance): one window forever.
    #[default]
    None,
    /// From local midnight.
    Daily,
    /// From Monday, local midnight (ISO weeks).
    Weekly,
    /// From the first of the month, local midnight.
    Monthly,
}

impl Period {
    pub fn as_str(self) -> &'static str {
        match self {
            Period::None => "none",
            Period::Daily => "daily",
            Period::Weekly => "weekly",
            Period::Monthly => "monthly",
        }
    }

    /// The names the store and the admin API use (`none|daily|weekly|monthly`).
    pub fn parse(text: &str) -> Option<Period> {
        [Period::None, Period::Daily, Period::Weekly, Period::Monthly]
            .into_iter()
            .find(|period| period.as_str() == text)
    }

    /// The first millisecond of the window holding `now_ms`; `i64::MIN` for [`Period::None`].
    pub fn window_start(self, now_ms: i64, offset: UtcOffset) -> i64 {
        let shift = offset.millis();
        let local_day = now_ms.saturating_add(shift).div_euclid(DAY_MS);
        let start_day = match self {
            Period::None => return i64::MIN,
            Period::Daily => local_day,
            Period::Weekly => local_day - (local_day + DAYS_FROM_MONDAY_TO_THURSDAY).rem_euclid(7),
            Period::Monthly => {
                let (year, month, _) = civil_from_days(local_day);
                days_from_civil(year, month, 1)
            }
        };
        start_day.saturating_mul(DAY_MS).saturating_sub(shift)
    }

    /// The first millisecond of the next window (when the budget resets); `None` for
    /// [`Period::None`].
    pub fn window_end(self, now_ms: i64, offset: UtcOffset) -> Option<i64> {
        let start = self.window_start(now_ms, offset);
        let start_day = start.saturating_add(offset.millis()).div_euclid(DAY_MS);
        let end_day = match self {
            Period::None => return None,
            Period::Daily => start_day + 1,
            Period::Weekly => start_day + 7,
            Period::Monthly => {
                let (year, month, _) = civil_from_days(start_day);
                if month == 12 {
                    days_from_civil(year + 1, 1, 1)
                } else {
                    days_from_civil(year, month + 1, 1)
                }
            }
        };
        Some(
            end_day
                .saturating_mul(DAY_MS)
                .saturating_sub(offset.millis()),
        )
    }
}

/// A fixed offset from UTC, within ±18 hours (what RFC 3339 and ISO 8601 allow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct UtcOffset {
    minutes: i16,
}

impl UtcOffset {
    pub const UTC: UtcOffset = UtcOffset { minutes: 0 };

    /// `+120` for `+02:00`, `-300` for `-05:00`; `None` beyond ±18 hours.
    pub fn from_minutes(minutes: i32) -> Option<UtcOffset> {
        if minutes.abs() > 18 * 60 {
            return None;
        }
        i16::try_from(minutes)
            .ok()
            .map(|minutes| UtcOffset { minutes })
    }

    pub fn minutes(self) -> i32 {
        i32::from(self.minutes)
    }

    fn millis(self) -> i64 {
        i64::from(self.minutes) * MINUTE_MS
    }
}

// Howard Hinnant's `days_from_civil` / `civil_from_days` (proleptic Gregorian calendar, day 0 is
// 1970-01-01): exact for every date, no tables, no dependency.

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}
