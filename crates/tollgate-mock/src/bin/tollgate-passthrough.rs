//! A reverse proxy that does nothing but forward: Tollgate's HTTP stack (one current-thread tokio
//! runtime per core fed by one acceptor, `tollgate-serving`; axum on hyper's HTTP/1 server;
//! hyper-util's pooled client with TCP_NODELAY, one pool per thread; jemalloc) with none of its
//! work. `bench/run.sh` measures it beside nginx and Tollgate as the floor of any gateway built on
//! this stack: what Tollgate could reach if auth, routing, translation, cost and the spend log
//! cost nothing.
//!
//! Usage: `tollgate-passthrough --port 0 --upstream http://127.0.0.1:PORT`; prints
//! `listening on http://127.0.0.1:PORT` once ready. Paths and headers go upstream unchanged.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use clap::Parser;
use http::uri::{Authority, Scheme};
use http::{StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use thread_local::ThreadLocal;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tollgate_serving::ServingThreads;

/// The gateway's allocator, so the floor differs from Tollgate in nothing but the work.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(about = "A do-nothing reverse proxy on Tollgate's HTTP stack (the benchmark's floor)")]
struct Args {
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Upstream base, `http://host:port`.
    #[arg(long)]
    upstream: String,
}

/// The upstream and a connection pool per serving thread, as Tollgate's own client keeps them.
struct Upstream {
    pools: ThreadLocal<Client<HttpConnector, Body>>,
    authority: Authority,
}

impl Upstream {
    fn pool(&self) -> &Client<HttpConnector, Body> {
        self.pools.get_or(|| {
            let mut connector = HttpConnector::new();
            connector.set_nodelay(true);
            Client::builder(TokioExecutor::new())
                .pool_max_idle_per_host(256)
                .build(connector)
        })
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let base: Uri = args.upstream.parse()?;
    let authority = base
        .authority()
        .cloned()
        .ok_or("--upstream needs a host and port")?;
    let upstream = Arc::new(Upstream {
        pools: ThreadLocal::new(),
        authority,
    });
    let app = Router::new().fallback(forward).with_state(upstream);
    // The main runtime only accepts, as Tollgate's does (with its background work besides).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], args.port))).await?;
        let stop = CancellationToken::new();
        let serving = ServingThreads::start(
            listener,
            tollgate_serving::thread_count(),
            app,
            stop.clone(),
            Duration::from_secs(1),
        )
        .await?;
        println!("listening on http://{}", serving.local_addr());
        // Runs until killed.
        std::future::pending::<()>().await;
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}

async fn forward(State(upstream): State<Arc<Upstream>>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    let mut uri = parts.uri.into_parts();
    uri.scheme = Some(Scheme::HTTP);
    uri.authority = Some(upstream.authority.clone());
    parts.uri = match Uri::from_parts(uri) {
        Ok(uri) => uri,
        Err(_) => return bad_gateway(),
    };
    match upstream
        .pool()
        .request(http::Request::from_parts(parts, body))
        .await
    {
        Ok(response) => response.map(Body::new),
        Err(_) => bad_gateway(),
    }
}

fn bad_gateway() -> Response {
    (StatusCode::BAD_GATEWAY, "upstream error").into_response()
}
