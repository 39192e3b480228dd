//! Headers every answer of a flavour carries: request ids and rate-limit headers, in each
//! provider's own names and value formats. Values are constants so tests can assert them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::{HeaderMap, HeaderName, HeaderValue};

use crate::Flavour;

pub(crate) const REQUEST_LIMIT: u64 = 10_000;
pub(crate) const TOKEN_LIMIT: u64 = 1_000_000;

/// Adds the flavour's standard headers, never overriding one already set (a 429 sets its own
/// exhausted `remaining` values first; a scripted `Fault::Status` may set any).
pub(crate) fn decorate(flavour: Flavour, seq: u64, headers: &mut HeaderMap) {
    match flavour {
        Flavour::OpenAi | Flavour::OpenRouter | Flavour::Azure => {
            add(headers, "x-request-id", request_id(seq));
            add(headers, "openai-processing-ms", "1".to_owned());
            add(
                headers,
                "x-ratelimit-limit-requests",
                REQUEST_LIMIT.to_string(),
            );
            add(
                headers,
                "x-ratelimit-remaining-requests",
                (REQUEST_LIMIT - 1).to_string(),
            );
            add(headers, "x-ratelimit-reset-requests", "1s".to_owned());
            add(headers, "x-ratelimit-limit-tokens", TOKEN_LIMIT.to_string());
            add(
                headers,
                "x-ratelimit-remaining-tokens",
                (TOKEN_LIMIT - 1_000).to_string(),
            );
            add(headers, "x-ratelimit-reset-tokens", "1s".to_owned());
            if flavour == Flavour::Azure {
                add(headers, "apim-request-id", request_id(seq));
            }
        }
        Flavour::Anthropic => {
            let reset = rfc3339(SystemTime::now() + Duration::from_secs(1));
            add(headers, "request-id", request_id(seq));
            add(
                headers,
                "anthropic-ratelimit-requests-limit",
                REQUEST_LIMIT.to_string(),
            );
            add(
                headers,
                "anthropic-ratelimit-requests-remaining",
                (REQUEST_LIMIT - 1).to_string(),
            );
            add(headers, "anthropic-ratelimit-requests-reset", reset.clone());
            add(
                headers,
                "anthropic-ratelimit-tokens-limit",
                TOKEN_LIMIT.to_string(),
            );
            add(
                headers,
                "anthropic-ratelimit-tokens-remaining",
                (TOKEN_LIMIT - 1_000).to_string(),
            );
            add(headers, "anthropic-ratelimit-tokens-reset", reset);
        }
        // Gemini sends no request id or rate-limit headers; the bench skips them for speed.
        Flavour::Gemini | Flavour::Bench => {}
    }
}

/// Headers of a 429: `retry-after` plus the flavour's rate-limit family showing exhaustion.
pub(crate) fn rate_limited(flavour: Flavour, headers: &mut HeaderMap) {
    add(headers, "retry-after", "1".to_owned());
    match flavour {
        Flavour::OpenAi | Flavour::OpenRouter | Flavour::Azure | Flavour::Bench => {
            add(headers, "retry-after-ms", "1000".to_owned());
            add(headers, "x-ratelimit-remaining-requests", "0".to_owned());
            add(headers, "x-ratelimit-remaining-tokens", "0".to_owned());
        }
        Flavour::Anthropic => {
            add(
                headers,
                "anthropic-ratelimit-requests-remaining",
                "0".to_owned(),
            );
            add(
                headers,
                "anthropic-ratelimit-tokens-remaining",
                "0".to_owned(),
            );
        }
        Flavour::Gemini => {}
    }
}

/// Replaces a 429's wait with `wait`: `retry-after` in whole seconds rounded up, and the OpenAI
/// family's `retry-after-ms`.
pub(crate) fn retry_after(flavour: Flavour, wait: std::time::Duration, headers: &mut HeaderMap) {
    let ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
    headers.insert(
        http::header::RETRY_AFTER,
        http::HeaderValue::from(ms.div_ceil(1_000)),
    );
    if matches!(
        flavour,
        Flavour::OpenAi | Flavour::OpenRouter | Flavour::Azure | Flavour::Bench
    ) {
        headers.insert("retry-after-ms", http::HeaderValue::from(ms));
    }
}

pub(crate) fn request_id(seq: u64) -> String {
    format!("req_mock_{seq}")
}

fn add(headers: &mut HeaderMap, name: &'static str, value: String) {
    if let Ok(value) = HeaderValue::try_from(value) {
        headers
            .entry(HeaderName::from_static(name))
            .or_insert(value);
    }
}

/// Seconds since the Unix epoch, now.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `2025-01-31T12:00:00Z` for a point in time (whole seconds, UTC), without a date crate.
pub(crate) fn rfc3339(at: SystemTime) -> String {
    let secs = at
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_709_251_199); // leap-year February end
        assert_eq!(rfc3339(t), "2024-02-29T23:59:59Z");
        let t = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339(t), "2000-02-29T00:00:00Z");
    }
}
