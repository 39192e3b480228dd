//! `tollgate keys create|list|revoke` as a script uses them: against the store directly, before
//! the server runs; the server started afterwards honours what they did.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_tollgate");
const MASTER: &str = "tg-keys-cli-master";

struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let path =
            std::env::temp_dir().join(format!("tollgate-keys-cli-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

fn tollgate(dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .current_dir(dir)
        .env("TOLLGATE_LOG", "warn");
    for var in [
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "GEMINI_API_KEY",
        "OPENROUTER_API_KEY",
        "TOLLGATE_MASTER_KEY",
    ] {
        command.env_remove(var);
    }
    command.output().unwrap()
}

fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A running `tollgate serve` in `dir`, killed on drop.
struct Served {
    child: Child,
    port: u16,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn serve(dir: &Path) -> Served {
    let mut child = Command::new(BIN)
        .args(["serve", "--port", "0"])
        .current_dir(dir)
        .env("TOLLGATE_MASTER_KEY", MASTER)
        .env("TOLLGATE_LOG", "warn")
        .env_remove("OPENAI_API_KEY")
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("GEMINI_API_KEY")
        .env_remove("OPENROUTER_API_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .strip_prefix("tollgate listening on http://127.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .parse()
        .unwrap();
    Served { child, port }
}

fn chat(port: u16, key: &str) -> u16 {
    let body = r#"{"model":"mock","messages":[{"role":"user","content":"Hello!"}]}"#;
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response[9..12].parse().unwrap()
}

#[test]
fn create_list_revoke_then_serve_honours_them() {
    let dir = TempDir::new();
    let created: Value = serde_json::from_str(&ok(tollgate(
        &dir.0,
        &[
            "keys",
            "create",
            "--name",
            "scripted",
            "--models",
            "mock,other",
            "--budget-usd",
            "12.50",
            "--budget-period",
            "monthly",
            "--budget-mode",
            "soft",
            "--budget-alert-percent",
            "80",
            "--expires-at",
            "2099-01-01T00:00:00Z",
        ],
    )))
    .unwrap();
    let revoked_id = created["id"].as_str().unwrap().to_string();
    let revoked_secret = created["key"].as_str().unwrap().to_string();
    assert!(revoked_secret.starts_with("tg-"));
    assert_eq!(created["models"], serde_json::json!(["mock", "other"]));
    assert_eq!(created["budget_usd"], "12.500000000");
    assert_eq!(created["budget_mode"], "soft");
    assert_eq!(created["budget_alert_percent"], 80);
    assert_eq!(created["spend_usd"], "0.000000000");

    let kept: Value =
        serde_json::from_str(&ok(tollgate(&dir.0, &["keys", "create", "--name", "kept"]))).unwrap();
    let kept_id = kept["id"].as_str().unwrap().to_string();
    let kept_secret = kept["key"].as_str().unwrap().to_string();

    let table = ok(tollgate(&dir.0, &["keys", "list"]));
    assert!(
        table.contains(&revoked_id) && table.contains(&kept_id),
        "{table}"
    );
    assert!(table.contains("scripted"), "{table}");
    assert!(!table.contains(&revoked_secret));
    let listed = ok(tollgate(&dir.0, &["keys", "list", "--json"]));
    assert!(!listed.contains(&revoked_secret) && !listed.contains(&kept_secret));
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert!(listed[0].get("key").is_none());

    let said = ok(tollgate(&dir.0, &["keys", "revoke", &revoked_id]));
    assert!(said.contains(&revoked_id), "{said}");
    let unknown = tollgate(&dir.0, &["keys", "revoke", "key_nope"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("not found"));

    let listed: Value =
        serde_json::from_str(&ok(tollgate(&dir.0, &["keys", "list", "--json"]))).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["id"], kept_id.as_str());
    let listed: Value = serde_json::from_str(&ok(tollgate(
        &dir.0,
        &["keys", "list", "--json", "--include-revoked"],
    )))
    .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);

    // Started after the revoke, so no key cache stands between the store and the answer.
    let served = serve(&dir.0);
    assert_eq!(chat(served.port, &kept_secret), 200);
    assert_eq!(chat(served.port, &revoked_secret), 401);
    assert_eq!(chat(served.port, MASTER), 200);

    // The command line's changes are in the audit log, by the `cli` actor, without secrets.
    let audit = get(served.port, "/admin/v1/audit?actor=cli", MASTER);
    let events: Value = serde_json::from_str(&audit).unwrap();
    let actions: Vec<(&str, &str)> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["target_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(actions.len(), 3, "{audit}");
    assert_eq!(actions[0], ("key.revoke", revoked_id.as_str()), "{audit}");
    assert_eq!(
        actions
            .iter()
            .filter(|(action, _)| *action == "key.create")
            .count(),
        2
    );
    assert!(
        events["data"][0]["changes"]["revoked_at"].is_string(),
        "{audit}"
    );
    assert!(!audit.contains(&revoked_secret) && !audit.contains(&kept_secret));
}

/// The body of a GET answered 200.
fn get(port: u16, path: &str, key: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {key}\r\n\
         Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert_eq!(&response[9..12], "200", "{response}");
    let (_, body) = response.split_once("\r\n\r\n").unwrap();
    body.to_string()
}

#[test]
fn bad_flags_name_the_flag_and_config_picks_the_store() {
    let dir = TempDir::new();
    for (args, flag) in [
        (vec!["--budget-usd=-1"], "--budget-usd"),
        (vec!["--budget-usd", "12.5e1"], "--budget-usd"),
        (
            vec!["--budget-usd", "5", "--budget-period", "yearly"],
            "--budget-period",
        ),
        (
            vec!["--budget-usd", "5", "--budget-mode", "strict"],
            "--budget-mode",
        ),
        (
            vec!["--budget-usd", "5", "--budget-alert-percent", "101"],
            "--budget-alert-percent",
        ),
        (vec!["--budget-mode", "soft"], "--budget-mode"),
        (vec!["--expires-at", "next tuesday"], "--expires-at"),
        (vec!["--role", "root"], "--role"),
    ] {
        let mut all = vec!["keys", "create", "--name", "x"];
        all.extend(args.iter().copied());
        let output = tollgate(&dir.0, &all);
        assert!(!output.status.success(), "{all:?} succeeded");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(flag), "{all:?}: {stderr}");
    }

    let config = dir.0.join("tollgate.yaml");
    std::fs::write(
        &config,
        "storage: {url: \"sqlite://./elsewhere/keys.db\"}\nproviders:\n  demo: {kind: mock}\n\
         models:\n  - {name: m, deployments: [{provider: demo, model: x}]}\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let created: Value = serde_json::from_str(&ok(tollgate(
        &dir.0,
        &["keys", "create", "--name", "configured", "--config", config],
    )))
    .unwrap();
    assert!(dir.0.join("elsewhere/keys.db").exists());
    let listed = ok(tollgate(&dir.0, &["keys", "list", "--config", config]));
    assert!(listed.contains(created["id"].as_str().unwrap()), "{listed}");
    let default_store = ok(tollgate(&dir.0, &["keys", "list", "--json"]));
    assert_eq!(default_store.trim(), "[]");
}
