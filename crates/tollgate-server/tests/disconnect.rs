#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A caller who goes away stops costing tokens: the upstream stream is dropped with it.

mod common;

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test]
async fn a_caller_who_disconnects_mid_stream_stops_the_upstream_call() {
    let gateway = common::start().await;
    // 30 words at 100 ms per event: the upstream would stream for ~3 s if nobody stopped it.
    let words = vec!["word"; 30].join(" ");
    let body = format!(
        r#"{{"model":"fake-openai/slow-stream-100-gpt","stream":true,"messages":[{{"role":"user","content":"{words}"}}]}}"#
    );
    let address = gateway.base.trim_start_matches("http://");
    let mut socket = TcpStream::connect(address).await.unwrap();
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        common::MASTER_KEY,
        body.len()
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("data:") {
        let read = tokio::time::timeout(Duration::from_secs(5), socket.read(&mut buffer))
            .await
            .expect("first event in time")
            .unwrap();
        assert!(
            read > 0,
            "gateway closed early: {}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buffer[..read]);
    }
    assert_eq!(
        gateway.mock.open_streams(),
        1,
        "the upstream stream is running"
    );
    drop(socket);

    let dropped_at = Instant::now();
    while gateway.mock.open_streams() > 0 {
        assert!(
            dropped_at.elapsed() < Duration::from_secs(1),
            "the upstream stream kept running after the caller left"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
