#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Requests/min, tokens/min and parallel limits over HTTP, on a clock the test moves: exact
//! counts at the boundary, OpenAI's headers, and 429s in the caller's dialect.

mod budget_harness;

use std::time::Duration;

use budget_harness::{chat, start};
use serde_json::json;
use tollgate_server::limits::LimitSettings;
use tollgate_store::{NewApiKey, NewTeam};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_per_minute_are_exact_at_the_boundary() {
    let gateway = start(LimitSettings::default()).await;
    let (_, secret) = gateway
        .key(NewApiKey {
            rpm_limit: Some(6),
            ..NewApiKey::named("rpm")
        })
        .await;
    for expected_remaining in (0..6).rev() {
        let reply = gateway.chat(&secret, &chat("metered", 3, false)).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("x-ratelimit-limit-requests"), Some("6"));
        assert_eq!(
            reply.header("x-ratelimit-remaining-requests"),
            Some(expected_remaining.to_string().as_str())
        );
    }
    let refused = gateway.chat(&secret, &chat("metered", 3, false)).await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.code(), "rate_limit_exceeded");
    assert_eq!(refused.json()["error"]["type"], "rate_limit_error");
    assert_eq!(refused.header("x-ratelimit-remaining-requests"), Some("0"));
    // One request comes back every 10 s (6 a minute): 9.999 s is not enough, 10 s is.
    assert_eq!(refused.header("retry-after"), Some("10"));
    gateway.clock.advance(Duration::from_millis(9_999));
    assert_eq!(
        gateway
            .chat(&secret, &chat("metered", 3, false))
            .await
            .status,
        429
    );
    gateway.clock.advance(Duration::from_millis(1));
    assert_eq!(
        gateway
            .chat(&secret, &chat("metered", 3, false))
            .await
            .status,
        200
    );
    assert_eq!(
        gateway
            .chat(&secret, &chat("metered", 3, false))
            .await
            .status,
        429
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_per_minute_reserve_the_worst_case_and_refund_the_rest() {
    let gateway = start(LimitSettings::default()).await;
    let (_, secret) = gateway
        .key(NewApiKey {
            tpm_limit: Some(2_000),
            ..NewApiKey::named("tpm")
        })
        .await;
    // The reservation is the worst case (body bytes + overhead + max_tokens), more than the
    // call uses; the remaining count afterwards shows only what it used was kept.
    let first = gateway.chat(&secret, &chat("metered", 500, false)).await;
    assert_eq!(first.status, 200);
    let during: u64 = first
        .header("x-ratelimit-remaining-tokens")
        .unwrap()
        .parse()
        .unwrap();
    assert!(during <= 2_000 - 500, "{during}");
    let second = gateway.chat(&secret, &chat("metered", 500, false)).await;
    assert_eq!(second.status, 200);
    let after: u64 = second
        .header("x-ratelimit-remaining-tokens")
        .unwrap()
        .parse()
        .unwrap();
    // The clock stands still, so nothing refilled: the second call's worst case is the first's,
    // and what the first call kept is exactly what it used (the unused output tokens and the
    // over-estimated prompt came back).
    let used_first = first.json()["usage"]["total_tokens"].as_u64().unwrap();
    assert!(used_first < 500, "{used_first}");
    assert_eq!(after, during - used_first, "{during} then {after}");
    // A call asking for more than the whole limit can never fit: no retry-after.
    let too_large = gateway.chat(&secret, &chat("metered", 5_000, false)).await;
    assert_eq!(too_large.status, 429);
    assert!(too_large.header("retry-after").is_none());
    assert!(
        too_large.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Request too large")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_rate_limit_is_shared_and_refusals_speak_anthropic() {
    let gateway = start(LimitSettings::default()).await;
    let org = gateway.org("acme").await;
    let team = gateway
        .team(NewTeam {
            rpm_limit: Some(4),
            ..NewTeam::named(&org.id, "ops")
        })
        .await;
    let mut secrets = Vec::new();
    for name in ["a", "b"] {
        let (_, secret) = gateway
            .key(NewApiKey {
                org_id: Some(org.id.clone()),
                team_id: Some(team.id.clone()),
                ..NewApiKey::named(name)
            })
            .await;
        secrets.push(secret);
    }
    for i in 0..4 {
        let reply = gateway
            .chat(&secrets[i % 2], &chat("metered", 3, false))
            .await;
        assert_eq!(reply.status, 200);
    }
    let body = json!({
        "model": "metered",
        "max_tokens": 3,
        "messages": [{"role": "user", "content": "hi"}],
    });
    let refused = gateway
        .send(
            "POST",
            "/v1/messages",
            &[
                ("x-api-key", secrets[1].as_str()),
                ("anthropic-version", "2023-06-01"),
            ],
            serde_json::to_vec(&body).unwrap().into(),
        )
        .await;
    assert_eq!(refused.status, 429);
    let error = refused.json();
    assert_eq!(error["type"], "error");
    assert_eq!(error["error"]["type"], "rate_limit_error");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("team {}", team.id)),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_limits_free_their_slot_however_the_call_ends() {
    let gateway = std::sync::Arc::new(start(LimitSettings::default()).await);
    let org = gateway.org("acme").await;
    let team = gateway
        .team(NewTeam {
            max_parallel: Some(5),
            ..NewTeam::named(&org.id, "ops")
        })
        .await;
    let (key_id, secret) = gateway
        .key(NewApiKey {
            max_parallel: Some(2),
            org_id: Some(org.id.clone()),
            team_id: Some(team.id.clone()),
            ..NewApiKey::named("parallel")
        })
        .await;
    // Two slow streams hold both slots (40 chunks x 30 ms).
    let mut streams = Vec::new();
    for _ in 0..2 {
        let (gateway, secret) = (gateway.clone(), secret.clone());
        streams.push(tokio::spawn(async move {
            gateway
                .chat(&secret, &chat("metered-slow", 40, true))
                .await
                .status
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let refused = gateway.chat(&secret, &chat("metered", 3, false)).await;
    assert_eq!(refused.status, 429);
    assert!(
        refused.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Too many parallel requests")
    );
    // The operator sees both limits and what holds them.
    let explained = gateway.explain(&key_id).await;
    assert_eq!(
        explained["parallel"],
        json!([
            {"scope": "key", "scope_id": key_id, "max_parallel": 2, "in_flight": 2},
            {"scope": "team", "scope_id": team.id, "max_parallel": 5, "in_flight": 2},
        ]),
        "{explained}"
    );
    for stream in streams {
        assert_eq!(stream.await.unwrap(), 200);
    }
    // A caller hanging up frees its slot too.
    assert_eq!(
        gateway
            .stream_and_hang_up(&secret, &chat("metered-slow", 40, true))
            .await,
        200
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        gateway
            .chat(&secret, &chat("metered", 3, false))
            .await
            .status,
        200
    );
    assert_eq!(
        gateway
            .chat(&secret, &chat("metered", 3, false))
            .await
            .status,
        200
    );
}
