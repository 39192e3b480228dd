//! Logs to stderr (stdout carries only the machine-readable "listening" line).

use tracing_subscriber::EnvFilter;

/// `TOLLGATE_LOG` (or `RUST_LOG`) sets the filter, e.g. `info,tollgate_router=debug`.
pub fn init(format: &str) {
    let filter = std::env::var("TOLLGATE_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|spec| EnvFilter::try_new(spec).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    if let Err(error) = result {
        eprintln!("tollgate: logging already initialised: {error}");
    }
}
