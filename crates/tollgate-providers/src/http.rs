//! The pooled upstream HTTP client shared by every adapter, with the time limits of one attempt.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use thread_local::ThreadLocal;
use tokio::time::Instant;
use tollgate_sse::{SseDecoder, SseEvent};
use tollgate_types::{ErrorKind, GatewayError};

type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

/// Largest non-streamed upstream body Tollgate will read (a guard against a broken upstream).
const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// Keep-alive connections to upstreams, reused across requests. Cloning shares the pools.
///
/// One pool per thread: a pooled connection is driven by the runtime of the thread that opened
/// it, so a request served on one thread (`tollgate serve` runs a current-thread runtime per
/// core) that borrowed another thread's connection would wait on that thread for every read.
#[derive(Clone)]
pub struct UpstreamClient {
    pools: Arc<ThreadPools>,
}

struct ThreadPools {
    connector: Connector,
    per_thread: ThreadLocal<Client<Connector, Full<Bytes>>>,
}

impl std::fmt::Debug for UpstreamClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UpstreamClient")
    }
}

impl UpstreamClient {
    pub fn new(connect_timeout: Duration) -> Self {
        let mut http = HttpConnector::new();
        http.set_connect_timeout(Some(connect_timeout));
        http.set_nodelay(true);
        http.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        UpstreamClient {
            pools: Arc::new(ThreadPools {
                connector,
                per_thread: ThreadLocal::new(),
            }),
        }
    }

    /// This thread's pool (the TLS setup is shared: the connector clones an `Arc`).
    fn pool(&self) -> &Client<Connector, Full<Bytes>> {
        self.pools.per_thread.get_or(|| {
            Client::builder(TokioExecutor::new())
                .pool_idle_timeout(Duration::from_secs(90))
                .pool_max_idle_per_host(256)
                .build(self.pools.connector.clone())
        })
    }

    /// Sends a request and waits for the response headers, at most `first_byte_timeout`.
    pub async fn send(
        &self,
        request: Request<Full<Bytes>>,
        first_byte_timeout: Duration,
    ) -> Result<Response<Incoming>, GatewayError> {
        match tokio::time::timeout(first_byte_timeout, self.pool().request(request)).await {
            Err(_) => Err(GatewayError::upstream(
                ErrorKind::UpstreamTimeout,
                "The upstream did not answer within the first-byte timeout.",
            )
            .with_code("upstream_timeout")),
            Ok(Err(error)) => Err(map_transport_error(&error)),
            Ok(Ok(response)) => Ok(response),
        }
    }
}

fn map_transport_error(error: &hyper_util::client::legacy::Error) -> GatewayError {
    tracing::debug!(%error, "upstream transport error");
    if error.is_connect() {
        GatewayError::upstream(
            ErrorKind::UpstreamUnavailable,
            "Could not connect to the upstream.",
        )
        .with_code("upstream_connect_error")
    } else {
        GatewayError::upstream(
            ErrorKind::UpstreamError,
            "The upstream closed the connection before answering.",
        )
        .with_code("upstream_connection_error")
    }
}

/// Reads a whole (non-streamed) body before `deadline`.
pub async fn read_body(body: Incoming, deadline: Instant) -> Result<Bytes, GatewayError> {
    let mut body = body;
    let mut buffer = BytesMut::new();
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => return Err(total_timeout_error()),
            Ok(None) => return Ok(buffer.freeze()),
            Ok(Some(Err(_))) => return Err(body_cut_error()),
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(data) = frame.into_data() {
            if buffer.len() + data.len() > MAX_RESPONSE_BYTES {
                return Err(GatewayError::upstream(
                    ErrorKind::UpstreamError,
                    "The upstream's answer is too large.",
                )
                .with_retryable(false));
            }
            buffer.extend_from_slice(&data);
        }
    }
}

/// Decodes a streamed body into SSE events, ending with an error item if the upstream breaks off,
/// sends nothing within `first_event_timeout` of its headers, stays silent past `idle_timeout`
/// between two pieces of the stream, or the whole call passes `deadline`.
pub fn sse_events(
    body: Incoming,
    first_event_timeout: Duration,
    idle_timeout: Duration,
    deadline: Instant,
) -> impl Stream<Item = Result<SseEvent, GatewayError>> + Send {
    async_stream::stream! {
        let mut body = body;
        let mut decoder = SseDecoder::new();
        let mut silence_allowed = first_event_timeout;
        let mut started = false;
        loop {
            let wait_until = std::cmp::min(deadline, Instant::now() + silence_allowed);
            let frame = match tokio::time::timeout_at(wait_until, body.frame()).await {
                Err(_) => {
                    yield Err(if Instant::now() >= deadline {
                        total_timeout_error()
                    } else if !started {
                        GatewayError::upstream(
                            ErrorKind::UpstreamTimeout,
                            "The upstream accepted the call but sent nothing within the first-byte timeout.",
                        )
                        .with_code("upstream_timeout")
                    } else {
                        GatewayError::upstream(
                            ErrorKind::UpstreamTimeout,
                            "The upstream stream went silent.",
                        )
                        .with_code("stream_idle_timeout")
                    });
                    return;
                }
                Ok(None) => break,
                Ok(Some(Err(_))) => {
                    yield Err(body_cut_error());
                    return;
                }
                Ok(Some(Ok(frame))) => frame,
            };
            let Ok(data) = frame.into_data() else { continue };
            silence_allowed = idle_timeout;
            started = true;
            if let Err(error) = decoder.push(&data) {
                yield Err(GatewayError::upstream(ErrorKind::UpstreamError, format!("Unreadable upstream stream: {error}")));
                return;
            }
            while let Some(event) = decoder.next_event() {
                yield Ok(event);
            }
        }
        // A last event without its blank line still counts (some servers end that way).
        if decoder.finish().is_ok() {
            while let Some(event) = decoder.next_event() {
                yield Ok(event);
            }
        }
    }
}

fn total_timeout_error() -> GatewayError {
    GatewayError::upstream(
        ErrorKind::UpstreamTimeout,
        "The upstream did not finish within the timeout.",
    )
    .with_code("upstream_timeout")
}

fn body_cut_error() -> GatewayError {
    GatewayError::upstream(
        ErrorKind::UpstreamError,
        "The upstream connection broke off mid-answer.",
    )
    .with_code("upstream_connection_error")
}

/// The error for a 2xx body that is not what the wire format promises.
pub fn unreadable_body(provider: &str, detail: impl std::fmt::Display) -> GatewayError {
    tracing::debug!(provider, %detail, "unreadable upstream body");
    GatewayError::upstream(
        ErrorKind::UpstreamError,
        format!("The upstream `{provider}` sent an answer Tollgate could not read."),
    )
    .with_code("upstream_bad_response")
}

/// A JSON POST with the given headers.
pub fn json_post(
    url: &str,
    headers: &[(&str, &str)],
    extra_headers: &[(String, String)],
    body: Vec<u8>,
) -> Result<Request<Full<Bytes>>, GatewayError> {
    let mut builder = Request::post(url).header(http::header::CONTENT_TYPE, "application/json");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    for (name, value) in extra_headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder.body(Full::new(Bytes::from(body))).map_err(|error| {
        tracing::error!(%error, url, "could not build upstream request");
        GatewayError::internal()
    })
}
