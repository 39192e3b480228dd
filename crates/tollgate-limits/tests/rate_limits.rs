//! Requests/min and tokens/min with a hand-moved clock: exact counts at the boundary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::sync::Arc;
use std::time::Duration;

use common::Backend;
use common::{SUNDAY_AFTERNOON, manual_clock};
use tokio::sync::Barrier;
use tollgate_limits::{
    CounterError, Quota, RateCheck, RateError, RateKind, RateLimited, Scope, go_duration,
};

fn key() -> Scope {
    Scope::Key("k".into())
}

fn limited(result: Result<tollgate_limits::RateGrant, RateError>) -> RateLimited {
    match result {
        Err(RateError::Limited(limited)) => *limited,
        other => panic!("expected a rate limit: {other:?}"),
    }
}

async fn sixty_per_minute_is_a_burst_of_sixty_then_one_per_second(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let limiter = backend.rate_limiter(&clock);
    let rpm = || vec![RateCheck::requests(key(), 60)];

    let first = limiter.acquire(rpm()).await.unwrap();
    assert_eq!(
        first.headers(),
        [
            ("x-ratelimit-limit-requests", "60".to_string()),
            ("x-ratelimit-remaining-requests", "59".to_string()),
            ("x-ratelimit-reset-requests", "1s".to_string()),
        ]
    );
    for _ in 1..60 {
        limiter.acquire(rpm()).await.unwrap();
    }
    let refused = limited(limiter.acquire(rpm()).await);
    assert_eq!(refused.retry_after_ms, Some(1_000));
    assert_eq!(refused.status.remaining, 0);
    assert_eq!(refused.status.reset_ms, 60_000);
    assert_eq!(
        refused.headers(),
        [
            ("x-ratelimit-limit-requests", "60".to_string()),
            ("x-ratelimit-remaining-requests", "0".to_string()),
            ("x-ratelimit-reset-requests", "1m0s".to_string()),
            ("retry-after", "1".to_string()),
            ("retry-after-ms", "1000".to_string()),
        ]
    );
    assert_eq!(refused.code(), "rate_limit_exceeded");

    clock.advance(Duration::from_millis(999));
    let almost = limited(limiter.acquire(rpm()).await);
    assert_eq!(
        almost.retry_after_ms,
        Some(1),
        "one millisecond early is still early"
    );

    clock.advance(Duration::from_millis(1));
    limiter.acquire(rpm()).await.unwrap();
    limited(limiter.acquire(rpm()).await);

    // A quiet minute refills the whole burst, and no more than it.
    clock.advance(Duration::from_secs(60));
    for _ in 0..60 {
        limiter.acquire(rpm()).await.unwrap();
    }
    limited(limiter.acquire(rpm()).await);
}

async fn uneven_limits_stay_exact(backend: Backend) {
    // 7 per minute: one every 8571.43 ms, never rounded.
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let limiter = backend.rate_limiter(&clock);
    let rpm = || vec![RateCheck::requests(key(), 7)];
    for _ in 0..7 {
        limiter.acquire(rpm()).await.unwrap();
    }
    let refused = limited(limiter.acquire(rpm()).await);
    assert_eq!(refused.retry_after_ms, Some(8_572), "60000 / 7 rounded up");
    clock.advance(Duration::from_millis(8_571));
    limited(limiter.acquire(rpm()).await);
    clock.advance(Duration::from_millis(1));
    limiter.acquire(rpm()).await.unwrap();
    // Seven intervals make exactly one minute: after 60 s from the start, exactly 7 more fit
    // since the bucket refilled from the 8th call on.
    clock.set(SUNDAY_AFTERNOON + 60_000 + 8_572);
    for _ in 0..7 {
        limiter.acquire(rpm()).await.unwrap();
    }
    limited(limiter.acquire(rpm()).await);
}

async fn tokens_reserve_the_worst_case_and_refund_the_rest(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let limiter = backend.rate_limiter(&clock);
    let tpm = |tokens| vec![RateCheck::tokens(key(), 1_000, tokens)];

    let grant = limiter.acquire(tpm(600)).await.unwrap();
    let tokens = grant.tokens.clone().unwrap();
    assert_eq!(
        (tokens.limit, tokens.remaining, tokens.reset_ms),
        (1_000, 400, 36_000)
    );
    assert_eq!(
        grant.headers()[2],
        ("x-ratelimit-reset-tokens", "36s".to_string())
    );

    let refused = limited(limiter.acquire(tpm(500)).await);
    assert_eq!(refused.status.remaining, 400);
    assert_eq!(
        refused.retry_after_ms,
        Some(6_000),
        "100 tokens at 1000/min"
    );

    // The call used 200 of its 600: 400 come back and the 500 fit at once.
    let refund = grant.into_refund(200).unwrap();
    limiter.refund(refund).await.unwrap();
    let grant = limiter.acquire(tpm(500)).await.unwrap();
    assert_eq!(grant.tokens.unwrap().remaining, 300);
}

async fn a_call_larger_than_the_whole_limit_can_never_fit(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let limiter = backend.rate_limiter(&clock);
    let refused = limited(
        limiter
            .acquire(vec![RateCheck::tokens(key(), 1_000, 1_001)])
            .await,
    );
    assert_eq!(refused.retry_after_ms, None);
    assert!(
        refused
            .to_string()
            .starts_with("Request too large for key k on tokens")
    );
    assert!(
        !refused
            .headers()
            .iter()
            .any(|(name, _)| *name == "retry-after")
    );
    let zero = limited(limiter.acquire(vec![RateCheck::requests(key(), 0)]).await);
    assert_eq!(zero.retry_after_ms, None, "a limit of 0 allows nothing");
}

async fn every_limit_or_none(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let limiter = backend.rate_limiter(&clock);
    let team = Scope::Team("t".into());
    for _ in 0..2 {
        limiter
            .acquire(vec![RateCheck::requests(team.clone(), 2)])
            .await
            .unwrap();
    }
    let both = vec![
        RateCheck::requests(key(), 10),
        RateCheck::requests(team.clone(), 2),
    ];
    let refused = limited(limiter.acquire(both).await);
    assert_eq!(refused.status.scope, team);
    let grant = limiter
        .acquire(vec![RateCheck::requests(key(), 10)])
        .await
        .unwrap();
    assert_eq!(
        grant.requests.unwrap().remaining,
        9,
        "the refused call took nothing"
    );
}

async fn headers_report_the_tightest_limit_of_each_kind(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let limiter = backend.rate_limiter(&clock);
    let grant = limiter
        .acquire(vec![
            RateCheck::requests(key(), 100),
            RateCheck::requests(Scope::Team("t".into()), 10),
            RateCheck::tokens(key(), 90_000, 1_500),
            RateCheck::tokens(Scope::Team("t".into()), 1_000_000, 1_500),
        ])
        .await
        .unwrap();
    let headers = grant.headers();
    assert_eq!(headers.len(), 6);
    assert_eq!(headers[0], ("x-ratelimit-limit-requests", "10".to_string()));
    assert_eq!(
        headers[1],
        ("x-ratelimit-remaining-requests", "9".to_string())
    );
    assert_eq!(headers[2], ("x-ratelimit-reset-requests", "6s".to_string()));
    assert_eq!(
        headers[3],
        ("x-ratelimit-limit-tokens", "90000".to_string())
    );
    assert_eq!(
        headers[4],
        ("x-ratelimit-remaining-tokens", "88500".to_string())
    );
    assert_eq!(headers[5], ("x-ratelimit-reset-tokens", "1s".to_string()));
}

async fn a_changed_limit_keeps_the_used_fraction(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let limiter = backend.rate_limiter(&clock);
    for _ in 0..30 {
        limiter
            .acquire(vec![RateCheck::requests(key(), 60)])
            .await
            .unwrap();
    }
    let grant = limiter
        .acquire(vec![RateCheck::requests(key(), 120)])
        .await
        .unwrap();
    assert_eq!(
        grant.requests.unwrap().remaining,
        59,
        "half used of 120, minus this one"
    );
}

async fn duplicate_checks_are_rejected(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let limiter = backend.rate_limiter(&clock);
    let twice = vec![RateCheck::requests(key(), 5), RateCheck::requests(key(), 9)];
    assert!(matches!(
        limiter.acquire(twice).await,
        Err(RateError::Failed(CounterError::Invalid(_)))
    ));
}

async fn five_hundred_at_once_get_exactly_the_limit(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let limiter = backend.rate_limiter(&clock);
    let barrier = Arc::new(Barrier::new(500));
    let mut handles = Vec::new();
    for i in 0..500 {
        let limiter = Arc::clone(&limiter);
        let barrier = Arc::clone(&barrier);
        handles.push(tokio::spawn(async move {
            barrier.wait().await;
            let checks = vec![
                RateCheck::requests(Scope::Key(format!("k{}", i % 4)), 1_000),
                RateCheck::requests(Scope::Team("t".into()), 137),
            ];
            limiter.acquire(checks).await.is_ok()
        }));
    }
    let mut granted = 0;
    for handle in handles {
        granted += usize::from(handle.await.unwrap());
    }
    assert_eq!(granted, 137);
}

async fn reap_drops_full_buckets_only(backend: Backend) {
    let clock = manual_clock(SUNDAY_AFTERNOON);
    let limiter = backend.rate_limiter(&clock);
    limiter
        .acquire(vec![RateCheck::requests(key(), 60)])
        .await
        .unwrap();
    limiter
        .acquire(vec![RateCheck::requests(Scope::Team("t".into()), 6)])
        .await
        .unwrap();
    clock.advance(Duration::from_secs(1)); // the key's bucket refilled, the team's did not
    assert_eq!(limiter.reap().await.unwrap(), 1);
    let grant = limiter
        .acquire(vec![RateCheck::requests(Scope::Team("t".into()), 6)])
        .await;
    assert_eq!(
        grant.unwrap().requests.unwrap().remaining,
        4,
        "the team kept its state"
    );
}

#[test]
fn durations_print_like_go() {
    let cases = [
        (0, "0s"),
        (1, "1ms"),
        (20, "20ms"),
        (999, "999ms"),
        (1_000, "1s"),
        (1_500, "1.5s"),
        (8_640, "8.64s"),
        (59_999, "59.999s"),
        (60_000, "1m0s"),
        (360_000, "6m0s"),
        (90_500, "1m30.5s"),
        (3_600_000, "1h0m0s"),
        (3_723_000, "1h2m3s"),
    ];
    for (ms, text) in cases {
        assert_eq!(go_duration(ms), text, "{ms} ms");
    }
}

#[test]
fn quotas_reject_nonsense_periods() {
    assert!(Quota::new(10, Duration::from_secs(1)).is_some());
    assert!(Quota::new(10, Duration::from_micros(10)).is_none());
    assert!(Quota::new(10, Duration::from_secs(400 * 86_400)).is_none());
    assert_eq!(Quota::per_minute(u64::MAX).limit(), Quota::MAX_LIMIT);
    assert_eq!(RateKind::Tokens.as_str(), "tokens");
}

on_both_backends!(
    sixty_per_minute_is_a_burst_of_sixty_then_one_per_second,
    uneven_limits_stay_exact,
    tokens_reserve_the_worst_case_and_refund_the_rest,
    a_call_larger_than_the_whole_limit_can_never_fit,
    every_limit_or_none,
    headers_report_the_tightest_limit_of_each_kind,
    a_changed_limit_keeps_the_used_fraction,
    duplicate_checks_are_rejected,
    five_hundred_at_once_get_exactly_the_limit,
    reap_drops_full_buckets_only,
);
