//! A reverse proxy that does nothing but forward: Tollgate's HTTP stack (a multi-thread tokio
//! runtime, hyper's HTTP/1 server, hyper-util's pooled client with TCP_NODELAY) with none of its
//! work. `bench/run.sh` measures it beside nginx and Tollgate as the floor of any gateway built on
//! this stack: what Tollgate could reach if auth, routing, translation, cost and the spend log
//! cost nothing.
//!
//! Usage: `tollgate-passthrough --port 0 --upstream http://127.0.0.1:PORT`; prints
//! `listening on http://127.0.0.1:PORT` once ready. Paths and headers go upstream unchanged.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use clap::Parser;
use http::uri::{Authority, Scheme};
use http::{Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

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

type Body = BoxBody<Bytes, hyper::Error>;
type UpstreamClient = Client<HttpConnector, Incoming>;

#[derive(Clone)]
struct Upstream {
    client: UpstreamClient,
    authority: Authority,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let base: Uri = args.upstream.parse()?;
    let authority = base
        .authority()
        .cloned()
        .ok_or("--upstream needs a host and port")?;
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let client = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(256)
        .build(connector);
    let upstream = Upstream { client, authority };

    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], args.port))).await?;
    println!("listening on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        let upstream = upstream.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| forward(upstream.clone(), request));
            // A client that goes away mid-request is not this proxy's business.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn forward(
    upstream: Upstream,
    request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let (mut parts, body) = request.into_parts();
    let mut uri = parts.uri.into_parts();
    uri.scheme = Some(Scheme::HTTP);
    uri.authority = Some(upstream.authority.clone());
    parts.uri = match Uri::from_parts(uri) {
        Ok(uri) => uri,
        Err(_) => return Ok(bad_gateway()),
    };
    match upstream
        .client
        .request(Request::from_parts(parts, body))
        .await
    {
        Ok(response) => Ok(response.map(BodyExt::boxed)),
        Err(_) => Ok(bad_gateway()),
    }
}

fn bad_gateway() -> Response<Body> {
    let mut response = Response::new(
        Full::new(Bytes::from_static(b"upstream error"))
            .map_err(|never| match never {})
            .boxed(),
    );
    *response.status_mut() = StatusCode::BAD_GATEWAY;
    response
}
