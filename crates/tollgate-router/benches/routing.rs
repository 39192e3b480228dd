//! What the routing decision costs per request: resolving the public model name and choosing a
//! deployment, for each strategy, over three deployments (target: under 2 µs); and the same with
//! each deployment's provider quota (rpm + tpm) checked and taken, as a real call does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::FutureExt;
use tollgate_providers::{
    MockSettings, Provider, ProviderKind, ProviderSpec, Target, UpstreamClient,
};
use tollgate_router::{Deployment, DeploymentLimits, ModelKind, ModelRoute, Router, Strategy};

fn router(strategy: Strategy) -> Router {
    router_with(strategy, DeploymentLimits::default())
}

fn router_with(strategy: Strategy, limits: DeploymentLimits) -> Router {
    let spec = ProviderSpec {
        mock: MockSettings::default(),
        ..ProviderSpec::new("demo", ProviderKind::Mock, "")
    };
    let provider: Arc<dyn Provider> =
        tollgate_providers::build_provider(spec, UpstreamClient::new(Duration::from_secs(1)));
    let deployments = (0..3)
        .map(|i| {
            let mut deployment = Deployment::new(
                provider.clone(),
                Target::new(format!("m{i}"), Duration::from_secs(30)),
            )
            .with_weight(i + 1)
            .with_limits(limits);
            deployment.cost_rank = Some(u64::from(i) * 10);
            deployment
        })
        .collect();
    let route = ModelRoute {
        name: "fast".into(),
        kind: ModelKind::Chat,
        deployments,
        retries: 2,
        fallbacks: vec![],
        strategy,
        context_fallbacks: vec![],
    };
    let providers = HashMap::from([("demo".to_string(), provider)]);
    Router::new(providers, vec![route], true, Duration::from_secs(30))
}

fn routing(c: &mut Criterion) {
    for (name, strategy) in [
        ("weighted", Strategy::Weighted),
        ("least_busy", Strategy::LeastBusy),
        ("lowest_latency", Strategy::LowestLatency),
        ("lowest_cost", Strategy::LowestCost),
    ] {
        let router = router(strategy);
        c.bench_function(&format!("resolve + choose ({name}, 3 deployments)"), |b| {
            b.iter(|| {
                let route = router.resolve(black_box("fast")).unwrap();
                black_box(router.choose(&route).map(|d| d.weight))
            })
        });
    }
    // Limits high enough never to refuse: this measures the check and take, not a refusal.
    let limits = DeploymentLimits {
        rpm: Some(1_000_000_000_000),
        tpm: Some(1_000_000_000_000),
    };
    for (name, strategy) in [
        ("weighted", Strategy::Weighted),
        ("least_busy", Strategy::LeastBusy),
    ] {
        let router = router_with(strategy, limits);
        c.bench_function(
            &format!("resolve + choose within rpm/tpm quota ({name}, 3 deployments)"),
            |b| {
                b.iter(|| {
                    let route = router.resolve(black_box("fast")).unwrap();
                    // The in-process limiter never waits: the future is ready at once.
                    let chosen = router
                        .choose_within_quota(&route, black_box(500))
                        .now_or_never()
                        .flatten();
                    black_box(chosen.map(|d| d.weight))
                })
            },
        );
    }
}

criterion_group!(benches, routing);
criterion_main!(benches);
