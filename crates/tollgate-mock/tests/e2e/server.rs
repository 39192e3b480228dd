use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use tollgate_mock::{Fault, Flavour, MockOptions, MockServer};

use crate::common::*;

#[tokio::test]
async fn bench_answers_fixed_bodies_fast() {
    let mock = mock().await;
    let url = format!("{}/chat/completions", mock.url(Flavour::Bench));
    let body = json!({"model": "anything", "messages": [{"role": "user", "content": "hi"}]});
    let answer = post(&url, &[], &body).await;
    assert_eq!(answer.status, 200);
    let json = answer.json();
    assert_eq!(json["choices"][0]["message"]["content"], "echo: bench");
    assert_eq!(json["usage"]["total_tokens"], 10);

    let streamed = stream(
        &url,
        &[],
        &json!({"model": "x", "stream": true, "messages": []}),
    )
    .await;
    assert_eq!(
        streamed.header("content-type"),
        Some("text/event-stream; charset=utf-8")
    );
    let events = streamed.events();
    assert_eq!(events.last().unwrap().data, "[DONE]");
    let text: String = events[..events.len() - 1]
        .iter()
        .filter_map(|e| {
            e.json()["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(text, "echo: bench");
    assert_eq!(
        events[events.len() - 2].json()["usage"]["completion_tokens"],
        2
    );

    // Queued faults apply to the bench too; it counts but does not record.
    mock.push_fault(Fault::Fail500);
    assert_eq!(post(&url, &[], &body).await.status, 500);
    mock.push_fault(Fault::Slow(Duration::from_millis(50)));
    assert_eq!(
        post(&url, &[], &body).await.json()["choices"][0]["message"]["content"],
        "echo: bench"
    );
    assert_eq!(mock.hits(Flavour::Bench), 4);
    assert_eq!(
        mock.requests_for(Flavour::Bench).len(),
        2,
        "only the faulted ones went the slow path"
    );

    // Many concurrent requests on one server.
    let started = Instant::now();
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(
                async move { try_send("POST", &url, &[], Some("{\"stream\":false}")).await },
            )
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().status, 200);
    }
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(mock.hits(Flavour::Bench), 204);
}

#[tokio::test]
async fn control_endpoints_script_and_inspect() {
    let mock = mock().await;
    let base = mock.base_url();
    let (h, v) = bearer();
    let chat = format!("{}/chat/completions", mock.url(Flavour::OpenAi));
    let body = json!({"model": "m", "messages": [{"role": "user", "content": "x"}]});

    let queued = post(
        &format!("{base}/_mock/faults"),
        &[],
        &json!({"faults": ["fail-500", "status-418"]}),
    )
    .await;
    assert_eq!(queued.json()["queued"], 2);
    assert_eq!(post(&chat, &[(h, &v)], &body).await.status, 500);
    assert_eq!(post(&chat, &[(h, &v)], &body).await.status, 418);
    let custom = json!({"status": 402, "body": {"error": "pay"}, "headers": {"x-a": "b"}});
    post(&format!("{base}/_mock/faults"), &[], &custom).await;
    let answer = post(&chat, &[(h, &v)], &body).await;
    assert_eq!((answer.status, answer.header("x-a")), (402, Some("b")));
    assert_eq!(answer.json(), json!({"error": "pay"}));
    assert_eq!(
        post(
            &format!("{base}/_mock/faults"),
            &[],
            &json!({"fault": "nope"})
        )
        .await
        .status,
        400
    );

    let hits = send("GET", &format!("{base}/_mock/hits"), &[], None)
        .await
        .json();
    assert_eq!(hits["openai"], 3);
    assert_eq!(hits["total"], 3);
    let requests = send("GET", &format!("{base}/_mock/requests"), &[], None)
        .await
        .json();
    assert_eq!(requests[0]["path"], "/openai/v1/chat/completions");
    assert_eq!(requests[0]["headers"]["authorization"], "Bearer mock-key");
    assert_eq!(requests[0]["body"]["model"], "m");

    post(&format!("{base}/_mock/reset"), &[], &json!({})).await;
    assert_eq!(mock.total_hits(), 0);
    assert!(mock.requests().is_empty());
    assert_eq!(
        send("GET", &format!("{base}/nothing"), &[], None)
            .await
            .status,
        404
    );
    assert_eq!(
        mock.total_hits(),
        0,
        "paths outside every flavour are not hits"
    );
}

#[tokio::test]
async fn servers_are_independent_and_stop_on_drop() {
    let a = mock().await;
    let b = MockServer::start(MockOptions::default().with_api_key("other"))
        .await
        .unwrap();
    assert_ne!(a.addr().port(), b.addr().port());
    assert!(a.base_url().starts_with("http://127.0.0.1:"));
    assert_eq!(
        a.url(Flavour::Anthropic),
        format!("{}/anthropic", a.base_url())
    );
    let body = json!({"model": "m", "messages": [{"role": "user", "content": "x"}]});
    let url_b = format!("{}/chat/completions", b.url(Flavour::OpenAi));
    assert_eq!(
        post(&url_b, &[("authorization", "Bearer other")], &body)
            .await
            .status,
        200
    );
    assert_eq!(a.total_hits(), 0);

    let url_a = format!("{}/models", a.url(Flavour::OpenAi));
    drop(a);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        try_send("GET", &url_a, &[], None).await.is_err(),
        "port closed after drop"
    );
}

#[tokio::test]
async fn latency_option_delays_every_answer() {
    let mock = MockServer::start(MockOptions::default().with_latency(Duration::from_millis(80)))
        .await
        .unwrap();
    let started = Instant::now();
    let url = format!("{}/chat/completions", mock.url(Flavour::Bench));
    assert_eq!(send("POST", &url, &[], Some("{}")).await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(80));
}

#[tokio::test]
async fn binary_prints_its_url_and_exits_when_stdin_closes() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tollgate-mock"))
        .args([
            "--port",
            "0",
            "--api-key",
            "bin-key",
            "--quirks",
            "--latency-ms",
            "1",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim_end()
        .strip_prefix("tollgate-mock listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"));

    let body = json!({"model": "c", "max_tokens": 5, "stream": true, "messages": [{"role": "user", "content": "hi"}]});
    let streamed = stream(
        &format!("{base}/anthropic/v1/messages"),
        &[
            ("x-api-key", "bin-key"),
            ("anthropic-version", "2023-06-01"),
        ],
        &body,
    )
    .await;
    assert_eq!(streamed.status, 200);
    assert!(streamed.text().contains("\r\n"), "--quirks is on");
    assert_eq!(
        streamed.events().last().unwrap().event.as_deref(),
        Some("message_stop")
    );

    drop(child.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success());
            break;
        }
        assert!(
            Instant::now() < deadline,
            "mock did not exit after stdin closed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn binary_stops_on_sigterm_even_without_stdin() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tollgate-mock"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line.trim_end().rsplit(' ').next().unwrap().to_owned();
    // /dev/null stdin must not stop it.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(child.try_wait().unwrap().is_none());
    let url = format!("{base}/bench/v1/chat/completions");
    assert_eq!(send("POST", &url, &[], Some("{}")).await.status, 200);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(
                status.success(),
                "graceful stop, not the default signal action: {status}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "mock did not exit on SIGTERM");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
