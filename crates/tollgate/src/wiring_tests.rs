//! The config's routing fields reach the router.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use tollgate_router::DeploymentLimits;

use super::build_router;

const CONFIG: &str = "
providers:
  demo: {kind: mock}
models:
  - name: fast
    deadline_ms: 1500
    deployments:
      - {provider: demo, model: a, rpm_limit: 60, tpm_limit: 9000, first_byte_timeout_ms: 800, stream_idle_timeout_ms: 250}
      - {provider: demo, model: b}
  - name: slow
    deployments:
      - {provider: demo, model: c}
routing: {deadline_ms: 30000}
";

#[test]
fn deadlines_quotas_and_idle_timeouts_are_wired() {
    let config = tollgate_config::load_from_str(CONFIG, &|_: &str| None).unwrap();
    let router = build_router(&config);
    let fast = router.model("fast").unwrap();
    assert_eq!(router.deadline_for(fast), Some(Duration::from_millis(1500)));
    let slow = router.model("slow").unwrap();
    assert_eq!(router.deadline_for(slow), Some(Duration::from_secs(30)));
    let (a, b) = (&fast.deployments[0], &fast.deployments[1]);
    assert_eq!(
        a.limits,
        DeploymentLimits {
            rpm: Some(60),
            tpm: Some(9000)
        }
    );
    assert_eq!(a.target.first_byte_timeout, Duration::from_millis(800));
    assert_eq!(a.target.stream_idle_timeout, Duration::from_millis(250));
    assert_eq!(b.limits, DeploymentLimits::default());
    assert_eq!(b.target.stream_idle_timeout, b.target.first_byte_timeout);
}
