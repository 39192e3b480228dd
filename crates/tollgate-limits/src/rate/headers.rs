//! Rate-limit headers as OpenAI sends them, so SDK retry logic works unchanged.

/// A duration the way Go prints `time.Duration`, which is what OpenAI's `x-ratelimit-reset-*`
/// carry: `0s`, `20ms`, `1s`, `8.64s`, `6m0s`, `1h0m0s`. Millisecond precision.
pub fn go_duration(ms: u64) -> String {
    if ms == 0 {
        return "0s".to_string();
    }
    if ms < 1_000 {
        return format!("{ms}ms");
    }
    let hours = ms / 3_600_000;
    let minutes = ms / 60_000 % 60;
    let seconds = ms / 1_000 % 60;
    let fraction = ms % 1_000;
    let seconds = if fraction == 0 {
        seconds.to_string()
    } else {
        let digits = format!("{fraction:03}");
        format!("{seconds}.{}", digits.trim_end_matches('0'))
    };
    if hours > 0 {
        format!("{hours}h{minutes}m{seconds}s")
    } else if minutes > 0 {
        format!("{minutes}m{seconds}s")
    } else {
        format!("{seconds}s")
    }
}

/// `retry-after` in whole seconds, rounded up so a client that honours it is not refused
/// again; OpenAI's SDKs read `retry-after-ms` first when present.
pub(super) fn retry_after_headers(ms: u64, headers: &mut Vec<(&'static str, String)>) {
    headers.push(("retry-after", ms.div_ceil(1_000).to_string()));
    headers.push(("retry-after-ms", ms.to_string()));
}
