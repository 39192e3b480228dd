//! Turns a provider's canonical event stream into the caller's SSE body, and settles the call.
//!
//! The body is a lazy stream: when the caller disconnects, hyper drops it, which drops the upstream
//! stream and closes the upstream connection, so an abandoned call stops costing tokens. The
//! [`StreamAccount`] travels inside the body: whether the stream ends, fails or is dropped, the
//! call is settled on the usage seen so far and its spend-log row is written exactly once.

use std::sync::Arc;

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use tollgate_guard::ChoiceScanners;
use tollgate_pricing::ModelPrice;
use tollgate_providers::ChatStream;
use tollgate_types::{Cost, GatewayError, NanoUsd, StreamEvent, Usage};

use crate::accounting::{self, CLIENT_CLOSED, CallRecord};
use crate::dialect::StreamEncoder;
use crate::limits::Admission;
use crate::state::AppState;

/// The settlement of one streamed call; writes its row when dropped.
pub struct StreamAccount {
    state: AppState,
    record: Option<CallRecord>,
    price: Option<Arc<ModelPrice>>,
    usage: Usage,
    provider_cost: Option<NanoUsd>,
    /// The call's limits and reservation; settled from this account however the stream ends.
    admission: Option<Admission>,
    /// What flowed, for an upstream that never reported usage (see [`UsageEstimate`]).
    estimate: UsageEstimate,
}

/// Usage guessed from what was streamed, used only when the upstream reported none before it
/// ended (an OpenAI-style stream cut before its final usage chunk, a server that ignores
/// `stream_options.include_usage`). The provider bills those tokens, so recording $0 would be
/// wrong; about four bytes of text make a token, and a same-dialect passthrough frame carrying a
/// delta is one token (OpenAI streams one token per chunk).
#[derive(Debug, Default, Clone, Copy)]
struct UsageEstimate {
    input_tokens: u64,
    output_bytes: u64,
    native_deltas: u64,
}

impl UsageEstimate {
    const BYTES_PER_TOKEN: u64 = 4;

    fn observe(&mut self, event: &StreamEvent) {
        let bytes = match event {
            StreamEvent::TextDelta { text, .. } | StreamEvent::ReasoningDelta { text, .. } => {
                text.len()
            }
            StreamEvent::ToolCallStart { name, .. } => name.len(),
            StreamEvent::ToolCallDelta { arguments, .. } => arguments.len(),
            StreamEvent::Native(frame) => {
                if carries_delta(frame) {
                    self.native_deltas += 1;
                }
                0
            }
            _ => 0,
        };
        self.output_bytes += u64::try_from(bytes).unwrap_or(u64::MAX);
    }

    fn usage(&self) -> Option<Usage> {
        let output_tokens = self.output_bytes.div_ceil(Self::BYTES_PER_TOKEN) + self.native_deltas;
        (output_tokens > 0).then_some(Usage {
            input_tokens: self.input_tokens,
            output_tokens,
            ..Usage::default()
        })
    }
}

/// Whether a passthrough frame carries a delta (OpenAI chunks, Anthropic `content_block_delta`).
fn carries_delta(frame: &[u8]) -> bool {
    const DELTA: &[u8] = b"\"delta\"";
    frame.windows(DELTA.len()).any(|window| window == DELTA)
}

impl StreamAccount {
    pub fn new(
        state: AppState,
        record: CallRecord,
        price: Option<Arc<ModelPrice>>,
        admission: Admission,
    ) -> Self {
        StreamAccount {
            state,
            record: Some(record),
            price,
            usage: Usage::default(),
            provider_cost: None,
            admission: Some(admission),
            estimate: UsageEstimate::default(),
        }
    }

    /// The prompt's size as guessed from the request, billed only if the upstream never
    /// reports usage.
    pub fn with_estimated_input_tokens(mut self, tokens: u64) -> Self {
        self.estimate.input_tokens = tokens;
        self
    }

    /// New usage or a provider cost arrived: what the call has cost so far is what a caller
    /// who leaves now is charged (the provider bills the tokens it already produced).
    fn cost_changed(&mut self) {
        let cost = self.cost();
        if let (Some(admission), Some(cost)) = (self.admission.as_mut(), cost) {
            admission.charge_on_drop(cost.usd);
        }
    }

    fn first_token(&mut self) {
        if let Some(record) = self.record.as_mut()
            && record.time_to_first_token.is_none()
        {
            record.time_to_first_token = Some(record.elapsed());
        }
    }

    fn cost(&self) -> Option<Cost> {
        accounting::settle(&self.usage, self.provider_cost, self.price.as_deref())
    }

    fn close(&mut self, failure: Option<&GatewayError>) {
        if self.usage == Usage::default()
            && self.provider_cost.is_none()
            && let Some(estimated) = self.estimate.usage()
        {
            tracing::debug!(
                ?estimated,
                "no usage reported by the upstream; billing an estimate"
            );
            self.usage = estimated;
        }
        let cost = self.cost();
        if let Some(admission) = self.admission.take() {
            admission.finish_in_background(cost.map(|c| c.usd), self.usage.total_tokens());
        }
        if let Some(mut record) = self.record.take() {
            record.usage = self.usage;
            record.cost = cost;
            if let Some(error) = failure {
                record.fail(error);
            }
            accounting::record(&self.state, record);
        }
    }
}

impl Drop for StreamAccount {
    /// Reached with the record still here only when the caller went away mid-stream.
    fn drop(&mut self) {
        if let Some(record) = self.record.as_mut() {
            record.status = CLIENT_CLOSED;
            record.error_class = Some("client_disconnected".to_string());
        }
        self.close(None);
    }
}

/// `scanner`: output guardrails, one scanner per choice; text is held back at most a bounded
/// number of bytes so entities split across chunks are still caught, and flushed before each
/// choice's finish and at the end.
pub fn encode(
    mut upstream: ChatStream,
    mut encoder: Box<dyn StreamEncoder>,
    mut account: Option<StreamAccount>,
    mut scanner: Option<ChoiceScanners>,
) -> Body {
    let frames = async_stream::stream! {
        let mut buffer = BytesMut::with_capacity(1024);
        while let Some(event) = upstream.next().await {
            if let Some(account) = account.as_mut() {
                account.estimate.observe(&event);
            }
            let event = match (scanner.as_mut(), event) {
                (Some(scanner), StreamEvent::TextDelta { choice, text }) => {
                    let safe = scanner.push(choice, &text);
                    if safe.is_empty() {
                        continue;
                    }
                    StreamEvent::TextDelta { choice, text: safe }
                }
                (Some(scanner), finish @ StreamEvent::Finish { choice, .. }) => {
                    let rest = scanner.finish(choice);
                    if !rest.is_empty() {
                        encoder.event(StreamEvent::TextDelta { choice, text: rest }, &mut buffer);
                    }
                    finish
                }
                (_, event) => event,
            };
            match event {
                StreamEvent::Error(error) => {
                    tracing::debug!(%error, "upstream failed mid-stream");
                    encoder.error(&error, &mut buffer);
                    if let Some(account) = account.as_mut() {
                        account.close(Some(&error));
                    }
                    yield Ok::<Bytes, std::convert::Infallible>(buffer.split().freeze());
                    return;
                }
                StreamEvent::Usage(snapshot) => {
                    if let Some(account) = account.as_mut() {
                        account.usage = snapshot;
                        account.cost_changed();
                    }
                    encoder.event(StreamEvent::Usage(snapshot), &mut buffer);
                }
                StreamEvent::ProviderCost(cost) => {
                    if let Some(account) = account.as_mut() {
                        account.provider_cost = Some(cost);
                        account.cost_changed();
                    }
                    encoder.event(StreamEvent::ProviderCost(cost), &mut buffer);
                }
                other => {
                    if let Some(account) = account.as_mut()
                        && is_content(&other)
                    {
                        account.first_token();
                    }
                    encoder.event(other, &mut buffer);
                }
            }
            if !buffer.is_empty() {
                yield Ok(buffer.split().freeze());
            }
        }
        if let Some(scanner) = scanner.as_mut() {
            for (choice, rest) in scanner.finish_all() {
                if !rest.is_empty() {
                    encoder.event(StreamEvent::TextDelta { choice, text: rest }, &mut buffer);
                }
            }
        }
        let cost = account.as_ref().and_then(StreamAccount::cost);
        let usage = account.as_ref().map(|a| a.usage).unwrap_or_default();
        encoder.finish(&usage, cost.as_ref(), &mut buffer);
        if let Some(account) = account.as_mut() {
            account.close(None);
        }
        if !buffer.is_empty() {
            yield Ok(buffer.split().freeze());
        }
    };
    Body::from_stream(frames)
}

fn is_content(event: &StreamEvent) -> bool {
    matches!(
        event,
        StreamEvent::TextDelta { .. }
            | StreamEvent::ReasoningDelta { .. }
            | StreamEvent::ToolCallStart { .. }
            | StreamEvent::Native(_)
    )
}
