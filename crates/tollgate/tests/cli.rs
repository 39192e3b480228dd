//! The binary as a newcomer uses it: `tollgate serve` with no config, and `tollgate config check`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_tollgate");

struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!(
            "tollgate-cli-{}-{}",
            std::process::id(),
            Instant::now().elapsed().as_nanos() ^ rand_suffix()
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

impl Drop for TempDir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

/// A running `tollgate serve` and the port it announced.
struct Served {
    child: Child,
    port: u16,
    stderr: std::sync::mpsc::Receiver<String>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn serve(dir: &TempDir, envs: &[(&str, &str)]) -> Served {
    let mut command = Command::new(BIN);
    command
        .args(["serve", "--port", "0"])
        .current_dir(&dir.0)
        .env_remove("TOLLGATE_MASTER_KEY")
        .env("TOLLGATE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in [
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "GEMINI_API_KEY",
        "OPENROUTER_API_KEY",
    ] {
        command.env_remove(var);
    }
    for (name, value) in envs {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("tollgate starts");
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let port = line
        .trim()
        .strip_prefix("tollgate listening on http://127.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .parse()
        .unwrap();
    Served {
        child,
        port,
        stderr: receiver,
    }
}

/// A minimal HTTP/1.1 exchange (the test needs no client library).
fn http(port: u16, method: &str, path: &str, key: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

const HELLO: &str = r#"{"model":"mock","messages":[{"role":"user","content":"Hello!"}]}"#;

#[test]
fn zero_config_serve_generates_a_master_key_once_and_answers_offline() {
    let dir = TempDir::new();
    let first = serve(&dir, &[]);
    let deadline = Instant::now() + Duration::from_secs(10);
    let key = loop {
        let line = first
            .stderr
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the generated key is printed");
        if let Some(key) = line.trim().strip_prefix("tg-master-") {
            break format!("tg-master-{key}");
        }
    };
    let (status, body) = http(first.port, "POST", "/v1/chat/completions", &key, HELLO);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("chat.completion"), "{body}");
    let (status, _) = http(
        first.port,
        "POST",
        "/v1/chat/completions",
        "tg-wrong",
        HELLO,
    );
    assert_eq!(status, 401);
    let (status, body) = http(first.port, "GET", "/health/ready", "", "");
    assert_eq!(status, 200, "{body}");
    drop(first);

    // The key itself is nowhere on disk: only its hash.
    let db = std::fs::read(dir.0.join("tollgate-data/tollgate.db")).unwrap_or_default();
    let wal = std::fs::read(dir.0.join("tollgate-data/tollgate.db-wal")).unwrap_or_default();
    let needle = key.as_bytes();
    for file in [&db, &wal] {
        assert!(
            !file.windows(needle.len()).any(|w| w == needle),
            "master key stored in clear"
        );
    }

    // A restart keeps the same key and prints no new one.
    let second = serve(&dir, &[]);
    let (status, body) = http(second.port, "POST", "/v1/chat/completions", &key, HELLO);
    assert_eq!(status, 200, "{body}");
    std::thread::sleep(Duration::from_millis(200));
    let printed: Vec<String> = second.stderr.try_iter().collect();
    assert!(
        !printed.iter().any(|l| l.contains("tg-master-")),
        "a second key was generated: {printed:?}"
    );
}

#[test]
fn master_key_from_the_environment() {
    let dir = TempDir::new();
    let served = serve(&dir, &[("TOLLGATE_MASTER_KEY", "tg-env-key")]);
    let (status, body) = http(
        served.port,
        "POST",
        "/v1/chat/completions",
        "tg-env-key",
        HELLO,
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = http(served.port, "GET", "/v1/models", "tg-env-key", "");
    assert_eq!(status, 200);
    assert!(body.contains("\"mock\""), "{body}");
}

#[test]
fn config_check_reports_every_error_with_path_and_line() {
    let dir = TempDir::new();
    let file = dir.0.join("bad.yaml");
    std::fs::write(
        &file,
        "providers:\n  openai: {kind: openai, base_url: \"https://api.openai.com/v1\"}\n\
         models:\n  - name: fast\n    deployments:\n      - {provider: nowhere, model: x}\n\
         \x20   fallbacks: [missing]\n",
    )
    .unwrap();
    let output = Command::new(BIN)
        .args(["config", "check"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let report = String::from_utf8_lossy(&output.stderr);
    assert!(
        report.contains("models[0].deployments[0].provider"),
        "{report}"
    );
    assert!(report.contains(":6:"), "line of the bad provider: {report}");
    assert!(report.contains("models[0].fallbacks[0]"), "{report}");
    assert!(report.contains(":7:"), "line of the bad fallback: {report}");

    let good = dir.0.join("good.yaml");
    std::fs::write(
        &good,
        "providers:\n  demo: {kind: mock}\nmodels:\n  - {name: m, deployments: [{provider: demo, model: x}]}\n",
    )
    .unwrap();
    let output = Command::new(BIN)
        .args(["config", "check"])
        .arg(&good)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn config_check_rejects_unknown_keys() {
    let dir = TempDir::new();
    let file = dir.0.join("typo.yaml");
    std::fs::write(
        &file,
        "providers:\n  demo: {kind: mock}\nmodels:\n  - {name: m, deploymnets: []}\n",
    )
    .unwrap();
    let output = Command::new(BIN)
        .args(["config", "check"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let report = String::from_utf8_lossy(&output.stderr);
    assert!(report.contains("deploymnets"), "{report}");
    assert!(report.contains(":4:"), "{report}");
}
