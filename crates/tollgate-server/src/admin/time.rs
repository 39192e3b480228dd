//! Times in the admin API: RFC 3339 in and out (`2026-01-31T12:00:00Z`, any offset accepted),
//! or unix seconds in. Hand-written because it is small and the server needs nothing else of a
//! date library.

use tollgate_store::Timestamp;

const MILLIS_PER_DAY: i64 = 86_400_000;

/// RFC 3339 text (`Z` or `±HH:MM`, optional fraction) or whole unix seconds.
pub fn parse(text: &str) -> Result<Timestamp, String> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let seconds: i64 = text
            .parse()
            .map_err(|_| format!("`{text}` is too large for unix seconds"))?;
        return from_unix_seconds(seconds);
    }
    parse_rfc3339(text).ok_or_else(|| {
        format!(
            "`{}` is not an RFC 3339 time (e.g. 2026-01-31T12:00:00Z) or unix seconds",
            text.chars().take(64).collect::<String>()
        )
    })
}

pub fn from_unix_seconds(seconds: i64) -> Result<Timestamp, String> {
    seconds
        .checked_mul(1000)
        .filter(|millis| *millis >= 0 && *millis < MAX_MILLIS)
        .map(Timestamp)
        .ok_or_else(|| format!("{seconds} is out of range for unix seconds"))
}

/// 10000-01-01T00:00:00Z: later times are not RFC 3339.
const MAX_MILLIS: i64 = 253_402_300_800_000;

fn parse_rfc3339(text: &str) -> Option<Timestamp> {
    let bytes = text.as_bytes();
    if bytes.len() < 20 {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        if !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let year = number(0..4)?;
    let month = number(5..7)?;
    let day = number(8..10)?;
    let hour = number(11..13)?;
    let minute = number(14..16)?;
    let second = number(17..19)?;
    if bytes[4] != b'-'
        || bytes[7] != b'-'
        || !matches!(bytes[10], b'T' | b't' | b' ')
        || bytes[13] != b':'
        || bytes[16] != b':'
    {
        return None;
    }
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let mut rest = &text[19..];
    let mut millis = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        // Milliseconds: the first three digits, the rest truncated.
        let padded = format!("{:0<3}", &fraction[..digits.min(3)]);
        millis = padded.parse::<i64>().ok()?;
        rest = &fraction[digits..];
    }
    let offset_minutes = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            if rest.len() != 6 || rest.as_bytes()[3] != b':' {
                return None;
            }
            let hours: i64 = rest.get(1..3)?.parse().ok()?;
            let minutes: i64 = rest.get(4..6)?.parse().ok()?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            sign * (hours * 60 + minutes)
        }
    };
    let days = days_from_civil(year, month, day);
    let local = days * MILLIS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000 + millis;
    let utc = local - offset_minutes * 60_000;
    (0..MAX_MILLIS).contains(&utc).then_some(Timestamp(utc))
}

/// `2026-01-31T12:00:00.000Z`: UTC, always with milliseconds, so every time has one form.
pub fn format(at: Timestamp) -> String {
    let millis = at.millis().clamp(0, MAX_MILLIS - 1);
    let days = millis.div_euclid(MILLIS_PER_DAY);
    let of_day = millis.rem_euclid(MILLIS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let seconds = of_day / 1000;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        of_day % 1000
    )
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utc_offsets_fractions_and_unix_seconds() {
        assert_eq!(parse("1970-01-01T00:00:00Z"), Ok(Timestamp(0)));
        assert_eq!(
            parse("2024-02-29T23:59:59Z"),
            Ok(Timestamp(1_709_251_199_000))
        );
        assert_eq!(
            parse("2024-02-29T23:59:59.123456Z"),
            Ok(Timestamp(1_709_251_199_123))
        );
        assert_eq!(
            parse("2024-03-01T01:59:59+02:00"),
            Ok(Timestamp(1_709_251_199_000))
        );
        assert_eq!(
            parse("2024-02-29T22:59:59-01:00"),
            Ok(Timestamp(1_709_251_199_000))
        );
        assert_eq!(parse("1709251199"), Ok(Timestamp(1_709_251_199_000)));
        assert_eq!(
            parse("2024-02-29t23:59:59.5z"),
            Ok(Timestamp(1_709_251_199_500))
        );
    }

    #[test]
    fn rejects_what_is_not_a_time() {
        for bad in [
            "",
            "tomorrow",
            "2024-02-30T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00+0100",
            "2024-01-01T00:00:00.Z",
            "1969-12-31T23:59:59Z",
            "99999999999999999999",
            "２024-01-01T00:00:00Z",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn formats_in_one_form_and_round_trips() {
        assert_eq!(format(Timestamp(0)), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format(Timestamp(1_709_251_199_123)),
            "2024-02-29T23:59:59.123Z"
        );
        for millis in [0, 951_782_400_000, 1_709_251_199_999, 4_102_444_800_000] {
            assert_eq!(parse(&format(Timestamp(millis))), Ok(Timestamp(millis)));
        }
    }
}
