//! Where requests are served: one thread per core, each running its own current-thread tokio
//! runtime. One acceptor (on the main runtime) takes new connections and hands each to a serving
//! thread in turn; from then on the connection, its handler, its upstream call and the upstream
//! connection it uses (the upstream pool is per thread) all stay on that thread, so a request
//! never waits for another thread to wake up. Against tokio's multi-thread runtime, whose
//! cross-thread wake-ups and work stealing this avoids, one A/B run gave +30% requests/s at
//! concurrency 64 and -17% CPU per call at concurrency 1 (the README's benchmark section).
//! Handing off costs one channel message per connection, not per request.
//!
//! One listening socket (not one per thread with `SO_REUSEPORT`) keeps "address already in use"
//! an error: a second gateway started on the same port must not silently take half the traffic.
//!
//! Background work (the spend-log writer, the reaper, signals, cache invalidation) stays on the
//! main runtime. Each serving runtime lives until the main thread releases it, after the spend log
//! is flushed: connections to PostgreSQL or Redis that a serving thread happened to open are
//! driven by that thread's runtime, and the final flush may need them.

use std::net::SocketAddr;
use std::thread::JoinHandle;
use std::time::Duration;

use axum::serve::Listener;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

/// How a serving thread stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// Every connection it held finished.
    Drained,
    /// The grace period ended with connections still open; they were closed.
    GraceOver,
}

/// Serving threads to start: `TOKIO_WORKER_THREADS` when set (the knob tokio users know), else
/// one per core.
pub fn thread_count() -> usize {
    let configured = std::env::var("TOKIO_WORKER_THREADS")
        .ok()
        .and_then(|value| value.trim().parse::<usize>().ok())
        .filter(|count| *count > 0);
    configured.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// A connection on its way to a serving thread: the socket leaves the acceptor's runtime as a
/// std socket and is registered with the serving thread's runtime there.
type Handoff = (std::net::TcpStream, SocketAddr);

pub struct ServingThreads {
    local: SocketAddr,
    threads: Vec<JoinHandle<()>>,
    stopped: Vec<oneshot::Receiver<Stopped>>,
    release: CancellationToken,
}

impl ServingThreads {
    /// Starts `count` serving threads and the acceptor on `listener` (spawned on the current
    /// runtime); returns once every thread is running. `stop` ends accepting and starts the
    /// graceful shutdown, which closes what is still open after `grace`.
    pub async fn start(
        listener: TcpListener,
        count: usize,
        app: axum::Router,
        stop: CancellationToken,
        grace: Duration,
    ) -> Result<ServingThreads, String> {
        let local = listener
            .local_addr()
            .map_err(|error| format!("could not read the listening address: {error}"))?;
        let release = CancellationToken::new();
        let mut serving = ServingThreads {
            local,
            threads: Vec::new(),
            stopped: Vec::new(),
            release: release.clone(),
        };
        let mut handoffs = Vec::new();
        let mut running = Vec::new();
        for index in 0..count.max(1) {
            let (handoff_tx, handoff_rx) = mpsc::unbounded_channel();
            let (running_tx, running_rx) = oneshot::channel();
            let (stopped_tx, stopped_rx) = oneshot::channel();
            let thread = Serving {
                incoming: Incoming {
                    handoffs: handoff_rx,
                    local,
                },
                app: app.clone(),
                stop: stop.clone(),
                release: release.clone(),
                grace,
            };
            let spawned = std::thread::Builder::new()
                .name(format!("serve-{index}"))
                .spawn(move || thread.run(running_tx, stopped_tx));
            match spawned {
                Ok(handle) => serving.threads.push(handle),
                Err(error) => {
                    serving.release();
                    return Err(format!("could not start a serving thread: {error}"));
                }
            }
            handoffs.push(handoff_tx);
            running.push(running_rx);
            serving.stopped.push(stopped_rx);
        }
        for started in running {
            let failure = match started.await {
                Ok(Ok(())) => continue,
                Ok(Err(error)) => error,
                Err(_) => "a serving thread died while starting".to_string(),
            };
            serving.release();
            return Err(failure);
        }
        tokio::spawn(accept(listener, handoffs, stop));
        Ok(serving)
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Waits until every thread stopped serving (after `stop`, at most the grace period later);
    /// their runtimes keep running background tasks until [`ServingThreads::release`].
    pub async fn stopped(&mut self) -> Stopped {
        let mut outcome = Stopped::Drained;
        for stopped in self.stopped.drain(..) {
            // A thread that died without saying counts as cut off.
            if stopped.await.unwrap_or(Stopped::GraceOver) == Stopped::GraceOver {
                outcome = Stopped::GraceOver;
            }
        }
        outcome
    }

    /// Lets the serving runtimes end (dropping whatever they still run) and joins their threads.
    pub fn release(self) {
        self.release.cancel();
        for thread in self.threads {
            if thread.join().is_err() {
                tracing::error!("a serving thread panicked");
            }
        }
    }
}

/// Takes connections until `stop` and deals them to the serving threads in turn. Dropping the
/// listener on the way out closes the port.
async fn accept(
    mut listener: TcpListener,
    threads: Vec<mpsc::UnboundedSender<Handoff>>,
    stop: CancellationToken,
) {
    let mut next = 0;
    loop {
        // axum's accept logs and retries errors (and backs off when out of file descriptors).
        let (stream, peer) = tokio::select! {
            accepted = Listener::accept(&mut listener) => accepted,
            () = stop.cancelled() => return,
        };
        // Small writes of a stream's events go out at once, not after the peer's delayed ACK.
        let _ = stream.set_nodelay(true);
        let Ok(stream) = stream.into_std() else {
            continue;
        };
        // A thread that is gone (it panicked) is skipped; with none left, stop accepting.
        let mut handoff = (stream, peer);
        let mut tries = threads.len();
        loop {
            if tries == 0 {
                tracing::error!("no serving thread is left; no longer accepting connections");
                return;
            }
            tries -= 1;
            let thread = &threads[next % threads.len()];
            next = next.wrapping_add(1);
            match thread.send(handoff) {
                Ok(()) => break,
                Err(mpsc::error::SendError(back)) => handoff = back,
            }
        }
    }
}

/// What one serving thread accepts from: the connections the acceptor handed to it.
struct Incoming {
    handoffs: mpsc::UnboundedReceiver<Handoff>,
    local: SocketAddr,
}

impl Listener for Incoming {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        loop {
            let Some((stream, peer)) = self.handoffs.recv().await else {
                // The acceptor stopped: nothing more comes, and shutdown is under way.
                return std::future::pending().await;
            };
            // Registers the socket with this thread's runtime.
            match TcpStream::from_std(stream) {
                Ok(stream) => return (stream, peer),
                Err(error) => tracing::warn!(%error, "a handed-off connection could not be served"),
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.local)
    }
}

/// One serving thread's share of the work.
struct Serving {
    incoming: Incoming,
    app: axum::Router,
    stop: CancellationToken,
    release: CancellationToken,
    grace: Duration,
}

impl Serving {
    fn run(self, running: oneshot::Sender<Result<(), String>>, stopped: oneshot::Sender<Stopped>) {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(error) => {
                let _ = running.send(Err(format!("could not start a serving runtime: {error}")));
                return;
            }
        };
        let Serving {
            incoming,
            app,
            stop,
            release,
            grace,
        } = self;
        runtime.block_on(async move {
            let _ = running.send(Ok(()));
            let graceful =
                axum::serve(incoming, app).with_graceful_shutdown(stop.clone().cancelled_owned());
            let outcome = tokio::select! {
                // A graceful serve returns once every connection it held is closed.
                _ = graceful => Stopped::Drained,
                () = async { stop.cancelled().await; tokio::time::sleep(grace).await } => Stopped::GraceOver,
            };
            let _ = stopped.send(outcome);
            // Keep driving this runtime (settlements, pooled database connections opened here)
            // until the main thread has flushed the spend log.
            release.cancelled().await;
        });
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::sync::{Arc, Mutex};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// The names of the threads that answered, one per connection.
    async fn get(address: SocketAddr) -> String {
        let mut stream = TcpStream::connect(address).await.unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        answer.rsplit("\r\n\r\n").next().unwrap().to_string()
    }

    fn thread_name_app() -> axum::Router {
        axum::Router::new().route(
            "/",
            axum::routing::get(|| async {
                std::thread::current().name().unwrap_or("?").to_string()
            }),
        )
    }

    #[tokio::test]
    async fn connections_are_dealt_to_every_thread_and_served_there() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let stop = CancellationToken::new();
        let mut serving = ServingThreads::start(
            listener,
            2,
            thread_name_app(),
            stop.clone(),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        let address = serving.local_addr();
        let mut names = Vec::new();
        for _ in 0..4 {
            names.push(get(address).await);
        }
        names.sort();
        assert_eq!(names, ["serve-0", "serve-0", "serve-1", "serve-1"]);
        stop.cancel();
        assert_eq!(serving.stopped().await, Stopped::Drained);
        serving.release();
        assert!(
            TcpStream::connect(address).await.is_err(),
            "the port closed"
        );
    }

    #[tokio::test]
    async fn an_open_connection_past_the_grace_period_is_cut_off() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let stop = CancellationToken::new();
        let seen = Arc::new(Mutex::new(0));
        let counter = Arc::clone(&seen);
        let app = axum::Router::new().route(
            "/",
            axum::routing::get(move || {
                *counter.lock().unwrap() += 1;
                std::future::pending::<String>()
            }),
        );
        let mut serving =
            ServingThreads::start(listener, 1, app, stop.clone(), Duration::from_millis(100))
                .await
                .unwrap();
        let mut stream = TcpStream::connect(serving.local_addr()).await.unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        while *seen.lock().unwrap() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        stop.cancel();
        assert_eq!(serving.stopped().await, Stopped::GraceOver);
        serving.release();
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest).await;
        assert!(rest.is_empty(), "no answer was sent");
    }
}
