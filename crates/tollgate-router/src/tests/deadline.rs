//! The call's total deadline: attempts, retries, backoff waits and fallbacks all fit inside it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tollgate_types::{ChatRequest, ErrorKind, GatewayError, StreamEvent};

use super::{Scripted, route, router, server_error};
use crate::{Backoff, Router};

fn assert_deadline_error(error: &GatewayError) {
    assert_eq!(error.status, 504);
    assert_eq!(error.kind, ErrorKind::UpstreamTimeout);
    assert_eq!(error.code.as_deref(), Some("deadline_exceeded"));
}

#[tokio::test]
async fn the_deadline_cuts_a_slow_attempt_and_skips_the_rest_of_the_plan() {
    let slow = Scripted::slow("slow", Duration::from_millis(600));
    let spare = Scripted::new("spare", 0, server_error());
    let r = router(
        &[&slow, &spare],
        vec![
            route("m", &[&slow], 2, &["f"]),
            route("f", &[&spare], 0, &[]),
        ],
    )
    .with_model_deadline("m", Duration::from_millis(150));
    let m = r.resolve("m").unwrap();
    let started = Instant::now();
    let failure = r.chat(&m, &ChatRequest::default()).await.unwrap_err();
    let took = started.elapsed();
    assert_deadline_error(&failure.error);
    assert!(
        took >= Duration::from_millis(150) && took < Duration::from_millis(400),
        "{took:?}"
    );
    assert_eq!(failure.attempts.len(), 1, "{:?}", failure.attempts);
    assert_eq!(failure.attempts[0].deployment, "slow/m");
    assert_eq!(failure.attempts[0].status, 504);
    assert_eq!(failure.attempts[0].error, Some("upstream_timeout"));
    assert_eq!(spare.calls(), 0, "the fallback had no time left");
}

#[tokio::test]
async fn every_attempt_before_the_deadline_is_recorded() {
    // Two fast failures, then a fallback that would answer too late.
    let bad = Scripted::new("bad", u32::MAX, server_error());
    let late = Scripted::slow("late", Duration::from_millis(500));
    let r = router(
        &[&bad, &late],
        vec![route("m", &[&bad], 1, &["f"]), route("f", &[&late], 0, &[])],
    )
    .with_default_deadline(Some(Duration::from_millis(120)));
    let m = r.resolve("m").unwrap();
    let failure = r.chat(&m, &ChatRequest::default()).await.unwrap_err();
    assert_deadline_error(&failure.error);
    let statuses: Vec<u16> = failure.attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, vec![502, 502, 504]);
    assert_eq!(failure.attempts[2].deployment, "late/m");
    assert_eq!((bad.calls(), late.calls()), (2, 1));
}

#[tokio::test]
async fn a_backoff_that_would_pass_the_deadline_is_not_waited_out() {
    let limited = Scripted::new(
        "limited",
        u32::MAX,
        GatewayError::upstream(ErrorKind::RateLimited, "slow down")
            .with_retry_after(Some(Duration::from_secs(2))),
    );
    let r = router(&[&limited], vec![route("m", &[&limited], 2, &[])])
        .with_backoff(Backoff {
            base: Duration::from_millis(1),
            max: Duration::from_millis(2),
            max_retry_after: Duration::from_secs(5),
        })
        .with_model_deadline("m", Duration::from_millis(300));
    let m = r.resolve("m").unwrap();
    let started = Instant::now();
    let failure = r.chat(&m, &ChatRequest::default()).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(200));
    assert_deadline_error(&failure.error);
    assert_eq!(failure.attempts.len(), 1);
    assert_eq!(failure.attempts[0].status, 429);
    assert_eq!(limited.calls(), 1);
}

#[tokio::test]
async fn failures_within_the_deadline_fall_back_as_usual() {
    let bad = Scripted::new("bad", u32::MAX, server_error());
    let good = Scripted::slow("good", Duration::from_millis(20));
    let r = router(
        &[&bad, &good],
        vec![route("m", &[&bad], 1, &["f"]), route("f", &[&good], 0, &[])],
    )
    .with_default_deadline(Some(Duration::from_secs(2)));
    let m = r.resolve("m").unwrap();
    let routed = r.chat(&m, &ChatRequest::default()).await.unwrap();
    assert_eq!(routed.provider, "good");
    assert_eq!(routed.attempts.len(), 3);
}

#[tokio::test]
async fn a_model_deadline_overrides_the_default() {
    let fast = Scripted::new("fast", 0, server_error());
    let r: Router = router(
        &[&fast],
        vec![route("m", &[&fast], 0, &[]), route("n", &[&fast], 0, &[])],
    )
    .with_default_deadline(Some(Duration::from_secs(30)))
    .with_model_deadline("m", Duration::from_secs(5));
    assert_eq!(
        r.deadline_for(&r.resolve("m").unwrap()),
        Some(Duration::from_secs(5))
    );
    assert_eq!(
        r.deadline_for(&r.resolve("n").unwrap()),
        Some(Duration::from_secs(30))
    );
    assert_eq!(
        r.deadline_for(&r.resolve("fast/any").unwrap()),
        Some(Duration::from_secs(30))
    );
    let unbounded = router(&[&fast], vec![route("m", &[&fast], 0, &[])]);
    assert_eq!(
        unbounded.deadline_for(&unbounded.resolve("m").unwrap()),
        None
    );
}

#[tokio::test]
async fn a_stream_has_until_its_first_event_then_the_deadline_no_longer_applies() {
    // First event too late: cut, and the fallback is not started past the deadline.
    let silent = Arc::new(Scripted {
        delay: Duration::from_millis(400),
        ..Scripted::plain("silent", 0, server_error())
    });
    let r = router(&[&silent], vec![route("m", &[&silent], 0, &[])])
        .with_model_deadline("m", Duration::from_millis(100));
    let m = r.resolve("m").unwrap();
    let Err(failure) = r.chat_stream(&m, &ChatRequest::default()).await else {
        panic!("the first event came after the deadline")
    };
    assert_deadline_error(&failure.error);
    assert_eq!(failure.attempts.len(), 1);

    // First event in time, the rest slower than the deadline: the stream runs to its end.
    let paced = Arc::new(Scripted {
        pace: Duration::from_millis(250),
        usage: tollgate_types::Usage {
            input_tokens: 1,
            output_tokens: 1,
            ..Default::default()
        },
        ..Scripted::plain("paced", 0, server_error())
    });
    let r = router(&[&paced], vec![route("m", &[&paced], 0, &[])])
        .with_model_deadline("m", Duration::from_millis(100));
    let m = r.resolve("m").unwrap();
    let routed = r.chat_stream(&m, &ChatRequest::default()).await.unwrap();
    let events: Vec<StreamEvent> = routed.value.collect().await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(matches!(events[1], StreamEvent::Usage(_)));
}
