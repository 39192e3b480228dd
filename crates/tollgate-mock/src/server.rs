//! The server handle: bind, accept, serve each connection with hyper, stop on drop.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::conn::{ConnControl, MockIo};
use crate::state::{App, MockState};
use crate::{Fault, Flavour, MockOptions, RecordedRequest, router};

/// A running mock provider server. All flavours share its one port; dropping the handle stops
/// it and closes every connection (hung ones included).
pub struct MockServer {
    addr: SocketAddr,
    state: App,
    shutdown: CancellationToken,
}

impl MockServer {
    /// Binds `options.bind` (default `127.0.0.1:0`, a free port) and starts serving on the
    /// current Tokio runtime; the server lives as long as the handle and that runtime.
    pub async fn start(options: MockOptions) -> io::Result<MockServer> {
        let listener = TcpListener::bind(options.bind).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(MockState::new(options));
        let shutdown = CancellationToken::new();
        tokio::spawn(accept_loop(
            listener,
            router::build(state.clone()),
            shutdown.clone(),
        ));
        Ok(MockServer {
            addr,
            state,
            shutdown,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The base URL a provider SDK or a gateway `base_url` takes for this flavour, e.g.
    /// `http://127.0.0.1:PORT/openai/v1` or `http://127.0.0.1:PORT/anthropic`.
    pub fn url(&self, flavour: Flavour) -> String {
        format!("{}{}", self.base_url(), flavour.base_path())
    }

    /// Requests received by a flavour, failed and faulted ones included.
    pub fn hits(&self, flavour: Flavour) -> u64 {
        self.state.hits(flavour)
    }

    /// Calls that asked for this upstream model (body `model`, Azure deployment name or Gemini
    /// path model), counted once the request was authenticated and parsed far enough to know
    /// it, faulted ones included. Tells a test how often each fake deployment was hit.
    pub fn hits_for_model(&self, model: &str) -> u64 {
        self.state.model_hits(model)
    }

    /// Calls per upstream model (see [`MockServer::hits_for_model`]).
    pub fn model_hits(&self) -> std::collections::HashMap<String, u64> {
        self.state.all_model_hits()
    }

    /// Requests received by all flavours.
    pub fn total_hits(&self) -> u64 {
        self.state.total_hits()
    }

    /// Event streams still being sent (bodies not yet finished or dropped by the client).
    pub fn open_streams(&self) -> usize {
        self.state.open_streams()
    }

    /// Recorded requests, oldest first (bench requests are counted, not recorded).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests()
    }

    /// Recorded requests of one flavour, oldest first.
    pub fn requests_for(&self, flavour: Flavour) -> Vec<RecordedRequest> {
        self.state
            .requests()
            .into_iter()
            .filter(|r| r.flavour == flavour)
            .collect()
    }

    /// The most recent recorded request, if any.
    pub fn last_request(&self) -> Option<RecordedRequest> {
        self.state.requests().pop()
    }

    /// Queues a fault for the next request of any flavour (FIFO, one fault per request).
    pub fn push_fault(&self, fault: Fault) {
        self.state.push_fault(fault);
    }

    /// Faults queued and not yet consumed.
    pub fn pending_faults(&self) -> usize {
        self.state.pending_faults()
    }

    /// Forgets hits, recorded requests and queued faults.
    pub fn clear(&self) {
        self.state.clear();
    }

    /// Stops accepting and closes every connection. Dropping the handle does the same.
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn accept_loop(listener: TcpListener, router: Router, shutdown: CancellationToken) {
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _)) => {
                // Small SSE writes must leave at once, not wait for Nagle.
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve_connection(stream, router.clone(), shutdown.clone()));
            }
            // Out of file descriptors and the like: back off instead of spinning.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

async fn serve_connection(stream: TcpStream, router: Router, shutdown: CancellationToken) {
    let control = ConnControl::new();
    let io = TokioIo::new(MockIo::new(stream, &control));
    let per_request = control.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(per_request.clone());
        router.clone().oneshot(request)
    });
    let connection = http1::Builder::new().serve_connection(io, service);
    tokio::select! {
        _ = connection => {}
        () = control.killed() => {}
        () = shutdown.cancelled() => {}
    }
}
