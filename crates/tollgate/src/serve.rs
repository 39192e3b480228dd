//! `tollgate serve`: open the store, build the app, listen, shut down gracefully.

use std::io::Write;

use tokio::net::TcpListener;
use tollgate_config::Config;
use tollgate_server::{AppState, Auth, ServerLimits, build_app};

use crate::{master_key, wiring};

pub async fn run(config: Config) -> Result<(), String> {
    let store = wiring::open_store(&config)
        .await
        .map_err(|error| format!("could not open the store {}: {error}", config.storage.url))?;
    let configured_key = config
        .master_key
        .as_ref()
        .map(|key| key.expose().clone())
        .or_else(|| std::env::var("TOLLGATE_MASTER_KEY").ok())
        .filter(|key| !key.is_empty());
    let master_hash = master_key::resolve(configured_key.as_deref(), &store)
        .await
        .map_err(|error| format!("could not set up the master key: {error}"))?;

    let router = wiring::build_router(&config);
    let limits = ServerLimits {
        max_body_bytes: usize::try_from(config.server.max_body_bytes).unwrap_or(usize::MAX),
    };
    let state = AppState::new(
        router,
        Auth::from_master_key_hash(master_hash),
        store.clone(),
        limits,
    );
    let app = build_app(state);

    let address = format!("{}:{}", config.server.host, config.server.port);
    let listener = TcpListener::bind(&address)
        .await
        .map_err(|error| format!("could not listen on {address}: {error}"))?;
    let local = listener
        .local_addr()
        .map_err(|error| format!("could not read the listening address: {error}"))?;
    announce(&format!("tollgate listening on http://{local}"));
    tracing::info!(
        address = %local,
        storage = %config.storage.url,
        providers = config.providers.len(),
        models = config.models.len(),
        "tollgate started"
    );

    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|error| format!("server error: {error}"))?;
    tracing::info!("stopped accepting; in-flight requests finished");
    store.close().await;
    Ok(())
}

/// One machine-readable line on stdout, flushed, so scripts and tests can find the port.
fn announce(line: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(
            tokio::signal::unix::SignalKind::terminate(),
        ) {
            Ok(signal) => signal,
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM; only Ctrl-C stops the server");
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {},
            _ = terminate.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
    tracing::info!("shutdown signal received");
}
