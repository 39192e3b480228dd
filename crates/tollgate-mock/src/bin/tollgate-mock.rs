//! `tollgate-mock`: the mock providers as a process, for the Python SDK tests and bench scripts.
//!
//! Prints exactly one line, `tollgate-mock listening on http://127.0.0.1:PORT`, then serves until
//! SIGTERM, SIGINT or — when stdin is a pipe or socket held by a parent — stdin closing, so a
//! test harness that dies never leaves a mock behind.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use tollgate_mock::{MockOptions, MockServer, StreamQuirks};

/// Fake LLM providers (OpenAI, OpenRouter, Azure, Anthropic, Gemini, bench) on one port.
#[derive(Parser, Debug)]
#[command(name = "tollgate-mock", version)]
struct Args {
    /// Port to listen on; 0 picks a free one (read it from the printed line).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// The API key every flavour expects.
    #[arg(long, default_value = "mock-key")]
    api_key: String,
    /// Turn on every stream quirk (CRLF, keep-alive comments, split data lines, split writes,
    /// vLLM-style usage chunk).
    #[arg(long)]
    quirks: bool,
    /// Delay before every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("tollgate-mock: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(args))
}

async fn run(args: Args) -> ExitCode {
    // Signal handlers go in before the "listening" line: a harness may signal as soon as it
    // has read it, and the default action would skip the graceful stop.
    let stop = match StopSignals::install() {
        Ok(stop) => stop,
        Err(e) => {
            eprintln!("tollgate-mock: cannot install signal handlers: {e}");
            return ExitCode::FAILURE;
        }
    };
    let options = MockOptions {
        api_key: args.api_key,
        bind: SocketAddr::new(args.host, args.port),
        quirks: if args.quirks {
            StreamQuirks::ALL
        } else {
            StreamQuirks::NONE
        },
        latency: Duration::from_millis(args.latency_ms),
        ..MockOptions::default()
    };
    let server = match MockServer::start(options).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!(
                "tollgate-mock: cannot listen on {}:{}: {e}",
                args.host, args.port
            );
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    let printed = writeln!(stdout, "tollgate-mock listening on {}", server.base_url())
        .and_then(|()| stdout.flush());
    drop(stdout);
    if let Err(e) = printed {
        eprintln!("tollgate-mock: cannot write to stdout: {e}");
        return ExitCode::FAILURE;
    }
    stop.wait().await;
    server.shutdown();
    ExitCode::SUCCESS
}

/// SIGTERM and SIGINT, registered up front.
struct StopSignals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl StopSignals {
    #[cfg(unix)]
    fn install() -> std::io::Result<StopSignals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(StopSignals {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    #[cfg(not(unix))]
    fn install() -> std::io::Result<StopSignals> {
        Ok(StopSignals {})
    }

    /// Until a signal arrives or, when a parent holds our stdin, stdin closes.
    #[cfg(unix)]
    async fn wait(mut self) {
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
            () = stdin_closed() => {}
        }
    }

    #[cfg(not(unix))]
    async fn wait(self) {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = stdin_closed() => {}
        }
    }
}

async fn stdin_closed() {
    if !stdin_is_held_by_parent() {
        return std::future::pending().await;
    }
    // A plain thread, not Tokio's stdin: a pending blocking read would delay runtime shutdown.
    let (closed, on_close) = tokio::sync::oneshot::channel::<()>();
    let watcher = std::thread::Builder::new()
        .name("stdin-watch".to_owned())
        .spawn(move || {
            let mut stdin = std::io::stdin().lock();
            let mut buf = [0u8; 1024];
            while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
            let _ = closed.send(());
        });
    match watcher {
        Ok(_) => {
            let _ = on_close.await;
        }
        Err(_) => std::future::pending().await,
    }
}

/// Only a pipe or socket means a parent is holding stdin open to tie our life to its own. A
/// background job's stdin is `/dev/null` (always at EOF) and a terminal would stop a background
/// reader with SIGTTIN, so those are not watched.
fn stdin_is_held_by_parent() -> bool {
    std::fs::read_link("/proc/self/fd/0")
        .map(|target| {
            let target = target.to_string_lossy();
            target.starts_with("pipe:") || target.starts_with("socket:")
        })
        .unwrap_or(false)
}
