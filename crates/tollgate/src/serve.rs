//! `tollgate serve`: open the store, build the app, listen, shut down gracefully.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tollgate_config::Config;
use tollgate_limits::{
    Clock, RedisConnection, RedisCounters, RedisParallelSlots, RedisRateLimiter, SystemClock,
};
use tollgate_server::limits::Limiter;
use tollgate_server::{AppState, Auth, Reloaded, ServerLimits, build_app};
use tollgate_serving::{ServingThreads, Stopped};
use tollgate_store::{SpendWriter, SpendWriterConfig};

use crate::{master_key, wiring};

/// How often expired reservations are freed and idle counters forgotten.
const REAP_EVERY: std::time::Duration = std::time::Duration::from_secs(30);
/// How long shutdown waits for settlements still running in the background.
const SETTLE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Serves `config`; `source` is the file it came from, re-read on reload (SIGHUP or the admin API).
pub async fn run(config: Config, source: Option<PathBuf>) -> Result<(), String> {
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
    let spend_writer = SpendWriter::start(store.clone(), SpendWriterConfig::default());
    let limiter = build_limiter(&config, &store).await?;
    let reaper = limiter.spawn_reaper(REAP_EVERY);
    let state = AppState::new(
        router,
        Auth::new(master_hash, store.clone()),
        store.clone(),
        limits,
    )
    .with_spend_writer(spend_writer.clone())
    .with_guardrails(config.guardrails.clone())
    .map_err(|error| format!("invalid guardrails: {error}"))?
    .with_limiter(limiter.clone());
    let state = match source {
        Some(path) => state.with_reloader(Arc::new(move || {
            let config =
                tollgate_config::load_from_file(&path).map_err(|errors| errors.to_string())?;
            Ok(Reloaded {
                router: wiring::build_router(&config),
                guardrails: config.guardrails.clone(),
                limits: crate::limit_settings::limit_settings(&config),
            })
        })),
        None => state,
    };
    if let Some(redis) = &config.redis {
        crate::invalidation::start(&redis.url, &redis.prefix, state.auth().clone()).await?;
    }
    spawn_reload_on_sighup(state.clone());
    let app = build_app(state);

    let address = format!("{}:{}", config.server.host, config.server.port);
    let listener = TcpListener::bind(&address)
        .await
        .map_err(|error| format!("could not listen on {address}: {error}"))?;
    // On SIGTERM/SIGINT: stop accepting, let in-flight requests and streams finish, but no
    // longer than the grace period; then flush the spend log.
    let stop = CancellationToken::new();
    let threads = tollgate_serving::thread_count();
    let mut serving = ServingThreads::start(
        listener,
        threads,
        app,
        stop.clone(),
        config.server.shutdown_grace,
    )
    .await?;
    let local = serving.local_addr();
    announce(&format!("tollgate listening on http://{local}"));
    tracing::info!(
        address = %local,
        storage = %config.storage.url,
        providers = config.providers.len(),
        models = config.models.len(),
        threads,
        "tollgate started"
    );

    shutdown_signal().await;
    stop.cancel();
    if serving.stopped().await == Stopped::GraceOver {
        tracing::warn!(
            grace_ms = config.server.shutdown_grace.as_millis() as u64,
            "shutdown grace period over; closing what is still open"
        );
    }
    // Settlements of streams that just ended run on the limiter's tracker: let them land.
    limiter.tracker().close();
    if tokio::time::timeout(SETTLE_WAIT, limiter.tracker().wait())
        .await
        .is_err()
    {
        tracing::warn!("some budget settlements did not finish; their leases will free them");
    }
    reaper.abort();
    tracing::info!("stopped accepting; in-flight requests finished; flushing the spend log");
    match spend_writer.shutdown().await {
        Ok(stats) => tracing::info!(rows = stats.rows_written, "spend log flushed"),
        Err(unwritten) => {
            // The store stayed unreachable: keep the rows where an operator can replay them.
            tracing::error!(
                rows = unwritten.rows.len(),
                "spend rows could not be written"
            );
            for row in &unwritten.rows {
                if let Ok(line) = serde_json::to_string(row) {
                    eprintln!("UNWRITTEN_SPEND_ROW {line}");
                }
            }
        }
    }
    store.close().await;
    serving.release();
    Ok(())
}

/// Budgets, rate limits and parallel slots count in Redis when the config has `redis:`
/// (scale-out: every instance sharing the server and prefix counts together, atomically), else
/// in this process.
async fn build_limiter(
    config: &Config,
    store: &tollgate_store::DynStore,
) -> Result<Limiter, String> {
    let settings = crate::limit_settings::limit_settings(config);
    let Some(redis) = &config.redis else {
        return Ok(Limiter::in_process(settings, Some(store.clone())));
    };
    let connection = RedisConnection::connect(&redis.url)
        .await
        .map_err(|error| format!("could not connect to Redis at {}: {error}", redis.url))?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let counters = RedisCounters::new(connection.clone(), clock.clone(), redis.prefix.clone());
    let rates = RedisRateLimiter::new(connection.clone(), clock.clone(), redis.prefix.clone());
    let slots = RedisParallelSlots::new(connection, clock.clone(), redis.prefix.clone());
    tracing::info!(prefix = %redis.prefix, "budgets, rate limits and parallel slots count in Redis");
    Ok(Limiter::with_backends(
        settings,
        Some(store.clone()),
        Arc::new(counters),
        Arc::new(rates),
        Arc::new(slots),
        clock,
    ))
}

/// SIGHUP re-reads the config file; a config that fails validation is logged and ignored.
fn spawn_reload_on_sighup(state: AppState) {
    #[cfg(unix)]
    tokio::spawn(async move {
        let Ok(mut hangups) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            tracing::warn!("cannot listen for SIGHUP; reload only through the admin API");
            return;
        };
        while hangups.recv().await.is_some() {
            if let Err(reason) = state.reload() {
                tracing::error!(%reason, "reload rejected; the previous configuration keeps serving");
            }
        }
    });
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
