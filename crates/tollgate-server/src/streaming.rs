//! Turns a provider's canonical event stream into the caller's SSE body, and settles the call.
//!
//! The body is a lazy stream: when the caller disconnects, hyper drops it, which drops the upstream
//! stream and closes the upstream connection, so an abandoned call stops costing tokens. The
//! [`StreamAccount`] travels inside the body: whether the stream ends, fails or is dropped, the
//! call is settled on the usage seen so far and its spend-log row is written exactly once.
//! The output guardrails ([`AnswerGuard`]) travel in it too, so the row records what they found
//! in the answer however it ends (for a caller who left: what was found in the text sent so far).

use std::sync::Arc;

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use tollgate_guard::{ChoiceScanners, Findings};
use tollgate_pricing::ModelPrice;
use tollgate_providers::ChatStream;
use tollgate_types::{Cost, GatewayError, NanoUsd, StreamEvent, Usage};

use crate::accounting::{self, CLIENT_CLOSED, CallRecord};
use crate::dialect::StreamEncoder;
use crate::guardrails::{self, StreamPolicy};
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
    /// The answer's output guardrails; their findings go into the row when it is written.
    guard: Option<AnswerGuard>,
}

/// The output guardrails of one streamed answer: the PII scanner (one per choice, see
/// [`ChoiceScanners`]), then the content policy ([`StreamPolicy`]) over the text the scanner
/// lets through. That is the order a non-streamed answer is checked in (scanned: redacted,
/// masked or restored; then policed), and it costs no extra delay: the policy checks each
/// piece as the scanner releases it, and the scanner holds back at most
/// [`tollgate_guard::STREAM_HOLD_BACK_BYTES`] per choice whether or not a policy runs.
pub struct AnswerGuard {
    scanners: Option<ChoiceScanners>,
    policy: Option<StreamPolicy>,
}

impl AnswerGuard {
    /// `None` when there is nothing to run.
    pub fn new(scanners: Option<ChoiceScanners>, policy: Option<StreamPolicy>) -> Option<Self> {
        (scanners.is_some() || policy.is_some()).then_some(AnswerGuard { scanners, policy })
    }

    /// The next text of `choice`: what may be sent now (possibly empty), or the refusal that
    /// ends the stream.
    fn push(&mut self, choice: u32, text: String) -> Result<String, GatewayError> {
        let safe = match self.scanners.as_mut() {
            Some(scanners) => scanners.push(choice, &text),
            None => text,
        };
        self.police(choice, safe)
    }

    /// `choice` finished: everything still held for it, or the refusal.
    fn finish(&mut self, choice: u32) -> Result<String, GatewayError> {
        let rest = match self.scanners.as_mut() {
            Some(scanners) => scanners.finish(choice),
            None => String::new(),
        };
        self.police(choice, rest)
    }

    /// The stream ended: what is still held per open choice (by choice index), or the refusal
    /// if any of it is blocked (then none of it is sent).
    fn finish_all(&mut self) -> Result<Vec<(u32, String)>, GatewayError> {
        let rests = match self.scanners.as_mut() {
            Some(scanners) => scanners.finish_all(),
            None => Vec::new(),
        };
        if let Some(policy) = self.policy.as_mut() {
            for (choice, rest) in &rests {
                if !rest.is_empty() {
                    policy.check(*choice, rest)?;
                }
            }
        }
        Ok(rests)
    }

    fn police(&mut self, choice: u32, text: String) -> Result<String, GatewayError> {
        if let Some(policy) = self.policy.as_mut()
            && !text.is_empty()
        {
            policy.check(choice, &text)?;
        }
        Ok(text)
    }

    /// What was found so far, merged over choices: PII from the scanners, rules and categories
    /// from the policy (the keys and shape of a non-streamed answer's, see
    /// [`guardrails::record_answer_findings`]).
    fn findings(&self) -> Findings {
        let mut found = match self.scanners.as_ref() {
            Some(scanners) => scanners.findings(),
            None => Findings::default(),
        };
        if let Some(policy) = self.policy.as_ref() {
            found.merge(policy.findings());
        }
        found
    }
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
            guard: None,
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
            if let Some(guard) = self.guard.as_ref() {
                guardrails::record_answer_findings(&mut record.guardrails, &guard.findings());
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

/// `guard`: the output guardrails (PII scanner, then content policy); text is held back at most
/// a bounded number of bytes per choice so entities split across chunks are still caught, and
/// flushed (and policed) before each choice's finish and at the end. A blocking policy hit ends
/// the stream with the refusal as an error event.
pub fn encode(
    mut upstream: ChatStream,
    mut encoder: Box<dyn StreamEncoder>,
    mut account: Option<StreamAccount>,
    guard: Option<AnswerGuard>,
) -> Body {
    // The guard rides in the account, so whatever ends the stream records its findings.
    let mut detached = None;
    match account.as_mut() {
        Some(account) => account.guard = guard,
        None => detached = guard,
    }
    let frames = async_stream::stream! {
        let mut buffer = BytesMut::with_capacity(1024);
        while let Some(event) = upstream.next().await {
            if let Some(account) = account.as_mut() {
                account.estimate.observe(&event);
            }
            let event = match (guard_of(&mut account, &mut detached), event) {
                (Some(guard), StreamEvent::TextDelta { choice, text }) => {
                    match guard.push(choice, text) {
                        Ok(safe) if safe.is_empty() => continue,
                        Ok(safe) => StreamEvent::TextDelta { choice, text: safe },
                        Err(refusal) => StreamEvent::Error(refusal),
                    }
                }
                (Some(guard), finish @ StreamEvent::Finish { choice, .. }) => {
                    match guard.finish(choice) {
                        Ok(rest) => {
                            if !rest.is_empty() {
                                let held = StreamEvent::TextDelta { choice, text: rest };
                                sent_content(&mut account);
                                encoder.event(held, &mut buffer);
                            }
                            finish
                        }
                        Err(refusal) => StreamEvent::Error(refusal),
                    }
                }
                (_, event) => event,
            };
            match event {
                StreamEvent::Error(error) => {
                    tracing::debug!(%error, "stream ended by an error");
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
                    if is_content(&other) {
                        sent_content(&mut account);
                    }
                    encoder.event(other, &mut buffer);
                }
            }
            if !buffer.is_empty() {
                yield Ok(buffer.split().freeze());
            }
        }
        let rests = match guard_of(&mut account, &mut detached) {
            Some(guard) => guard.finish_all(),
            None => Ok(Vec::new()),
        };
        match rests {
            Ok(rests) => {
                for (choice, rest) in rests {
                    if !rest.is_empty() {
                        sent_content(&mut account);
                        encoder.event(StreamEvent::TextDelta { choice, text: rest }, &mut buffer);
                    }
                }
            }
            Err(refusal) => {
                encoder.error(&refusal, &mut buffer);
                if let Some(account) = account.as_mut() {
                    account.close(Some(&refusal));
                }
                yield Ok(buffer.split().freeze());
                return;
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

/// Content goes to the caller (the first time: its time to first token; text the scanner held
/// until a choice's end counts too).
fn sent_content(account: &mut Option<StreamAccount>) {
    if let Some(account) = account.as_mut() {
        account.first_token();
    }
}

/// The stream's output guard: in its account when it has one.
fn guard_of<'a>(
    account: &'a mut Option<StreamAccount>,
    detached: &'a mut Option<AnswerGuard>,
) -> Option<&'a mut AnswerGuard> {
    match account {
        Some(account) => account.guard.as_mut(),
        None => detached.as_mut(),
    }
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
