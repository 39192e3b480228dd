//! Turns a provider's canonical event stream into the caller's SSE body.
//!
//! The body is a lazy stream: when the caller disconnects, hyper drops it, which drops the upstream
//! stream and closes the upstream connection, so an abandoned call stops costing tokens.

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use tollgate_providers::ChatStream;
use tollgate_types::{Cost, CostSource, StreamEvent, Usage};

use crate::dialect::StreamEncoder;

pub fn encode(mut upstream: ChatStream, mut encoder: Box<dyn StreamEncoder>) -> Body {
    let frames = async_stream::stream! {
        let mut buffer = BytesMut::with_capacity(1024);
        let mut usage = Usage::default();
        let mut provider_cost = None;
        while let Some(event) = upstream.next().await {
            match event {
                StreamEvent::Error(error) => {
                    tracing::debug!(%error, "upstream failed mid-stream");
                    encoder.error(&error, &mut buffer);
                    yield Ok::<Bytes, std::convert::Infallible>(buffer.split().freeze());
                    return;
                }
                StreamEvent::Usage(snapshot) => {
                    usage = snapshot;
                    encoder.event(StreamEvent::Usage(snapshot), &mut buffer);
                }
                StreamEvent::ProviderCost(cost) => {
                    provider_cost = Some(cost);
                    encoder.event(StreamEvent::ProviderCost(cost), &mut buffer);
                }
                other => encoder.event(other, &mut buffer),
            }
            if !buffer.is_empty() {
                yield Ok(buffer.split().freeze());
            }
        }
        let cost = provider_cost.map(|usd| Cost { usd, source: CostSource::Provider });
        encoder.finish(&usage, cost.as_ref(), &mut buffer);
        if !buffer.is_empty() {
            yield Ok(buffer.split().freeze());
        }
    };
    Body::from_stream(frames)
}
