//! Anthropic stream events → canonical [`StreamEvent`]s (providers.md §2.7), one upstream event at
//! a time, in two modes:
//!
//! - canonical: every event is translated (the caller speaks another dialect, or the request was
//!   rewritten);
//! - passthrough: the caller speaks Anthropic too, so events are forwarded as their own bytes,
//!   except `message_delta`/`message_stop`, which the caller's encoder writes itself at the end
//!   because they carry Tollgate's cost.
//!
//! Usage is a running snapshot in both modes: input-side counts from `message_start`, the
//! cumulative `output_tokens` (and any repeated input counts) from `message_delta`, so accounting
//! has the best numbers known even when the stream is cut.

use std::collections::HashMap;

use tollgate_sse::SseEvent;
use tollgate_types::{ErrorKind, FinishReason, GatewayError, StreamEvent};

use super::errors::ErrorContext;
use super::request::JSON_TOOL_NAME;
use super::response::finish_reason;
use super::wire::{BlockDelta, StartedBlock, StreamPayload, WireUsage};

/// Whether to keep reading the upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// `message_stop` or an `error` event: the answer is over.
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Canonical { json_mode: bool },
    Passthrough,
}

/// The state of one upstream stream.
#[derive(Debug)]
pub struct StreamMapper {
    mode: Mode,
    errors: ErrorContext,
    usage: WireUsage,
    /// Anthropic block index → tool-call ordinal (tool calls counted from 0, other blocks not).
    tool_ordinals: HashMap<u32, u32>,
    /// Block index of the emulated-JSON tool, whose argument fragments are the answer text.
    json_block: Option<u32>,
    ended: bool,
}

impl StreamMapper {
    pub fn canonical(errors: ErrorContext, json_mode: bool) -> Self {
        Self::new(errors, Mode::Canonical { json_mode })
    }

    pub fn passthrough(errors: ErrorContext) -> Self {
        Self::new(errors, Mode::Passthrough)
    }

    fn new(errors: ErrorContext, mode: Mode) -> Self {
        StreamMapper {
            mode,
            errors,
            usage: WireUsage::default(),
            tool_ordinals: HashMap::new(),
            json_block: None,
            ended: false,
        }
    }

    /// Translates one upstream event into `out`.
    pub fn on_event(&mut self, event: &SseEvent, out: &mut Vec<StreamEvent>) -> Flow {
        if self.ended {
            return Flow::End;
        }
        let payload = match serde_json::from_str::<StreamPayload>(&event.data) {
            Ok(payload) => payload,
            Err(error) if is_known_event(event.event.as_deref(), &event.data) => {
                tracing::debug!(%error, data = %event.data, "unreadable anthropic stream event");
                return self.fail(
                    crate::http::unreadable_body(&self.errors.provider, error),
                    out,
                );
            }
            // Not JSON and not a known event: something newer than this adapter.
            Err(_) => {
                if self.mode == Mode::Passthrough {
                    out.push(StreamEvent::Native(event.raw.clone()));
                }
                return Flow::Continue;
            }
        };
        match payload {
            StreamPayload::MessageStart { message } => {
                self.usage.merge_from(&message.usage);
                match self.mode {
                    Mode::Passthrough => out.push(StreamEvent::Native(event.raw.clone())),
                    Mode::Canonical { .. } => out.push(StreamEvent::Start {
                        id: message.id,
                        model: message.model,
                    }),
                }
                out.push(StreamEvent::Usage(self.usage.to_canonical()));
            }
            StreamPayload::MessageDelta { delta, usage } => {
                if let Some(usage) = usage {
                    self.usage.merge_from(&usage);
                }
                if delta.stop_reason.is_some() {
                    out.push(StreamEvent::Finish {
                        choice: 0,
                        reason: self
                            .finish_reason(delta.stop_reason.as_deref(), delta.stop_sequence),
                    });
                }
                out.push(StreamEvent::Usage(self.usage.to_canonical()));
            }
            StreamPayload::MessageStop => {
                self.ended = true;
                return Flow::End;
            }
            StreamPayload::Error { error } => {
                let error = self.errors.stream_failure(error);
                return self.fail(error, out);
            }
            _ if self.mode == Mode::Passthrough => {
                out.push(StreamEvent::Native(event.raw.clone()));
            }
            StreamPayload::ContentBlockStart {
                index,
                content_block: StartedBlock::ToolUse { id, name },
            } => self.on_tool_use_start(index, id, name, out),
            StreamPayload::ContentBlockDelta { index, delta } => {
                self.on_block_delta(index, delta, out)
            }
            StreamPayload::ContentBlockStart { .. }
            | StreamPayload::ContentBlockStop { .. }
            | StreamPayload::Ping
            | StreamPayload::Unknown => {}
        }
        Flow::Continue
    }

    /// The upstream body ended. Without `message_stop` the answer is incomplete, and the caller
    /// must not take it for a whole one.
    pub fn on_end_of_body(&mut self, out: &mut Vec<StreamEvent>) {
        if !self.ended {
            self.fail(
                GatewayError::upstream(
                    ErrorKind::UpstreamError,
                    "The upstream stream ended before its last event.",
                )
                .with_code("upstream_connection_error"),
                out,
            );
        }
    }

    /// A transport failure reported by the SSE reader.
    pub fn on_transport_error(&mut self, error: GatewayError, out: &mut Vec<StreamEvent>) {
        if !self.ended {
            self.fail(error, out);
        }
    }

    fn fail(&mut self, error: GatewayError, out: &mut Vec<StreamEvent>) -> Flow {
        self.ended = true;
        out.push(StreamEvent::Error(error));
        Flow::End
    }

    fn on_tool_use_start(
        &mut self,
        index: u32,
        id: String,
        name: String,
        out: &mut Vec<StreamEvent>,
    ) {
        if self.json_mode() && name == JSON_TOOL_NAME {
            self.json_block = Some(index);
            return;
        }
        let ordinal = u32::try_from(self.tool_ordinals.len()).unwrap_or(u32::MAX);
        self.tool_ordinals.insert(index, ordinal);
        out.push(StreamEvent::ToolCallStart {
            choice: 0,
            index: ordinal,
            id,
            name,
        });
    }

    fn on_block_delta(&mut self, index: u32, delta: BlockDelta, out: &mut Vec<StreamEvent>) {
        match delta {
            BlockDelta::TextDelta { text } => out.push(StreamEvent::TextDelta { choice: 0, text }),
            BlockDelta::ThinkingDelta { thinking } => out.push(StreamEvent::ReasoningDelta {
                choice: 0,
                text: thinking,
            }),
            BlockDelta::InputJsonDelta { partial_json } if partial_json.is_empty() => {}
            BlockDelta::InputJsonDelta { partial_json } if self.json_block == Some(index) => {
                out.push(StreamEvent::TextDelta {
                    choice: 0,
                    text: partial_json,
                });
            }
            BlockDelta::InputJsonDelta { partial_json } => {
                if let Some(&ordinal) = self.tool_ordinals.get(&index) {
                    out.push(StreamEvent::ToolCallDelta {
                        choice: 0,
                        index: ordinal,
                        arguments: partial_json,
                    });
                }
            }
            BlockDelta::Other => {}
        }
    }

    fn json_mode(&self) -> bool {
        matches!(self.mode, Mode::Canonical { json_mode: true })
    }

    fn finish_reason(
        &self,
        stop_reason: Option<&str>,
        stop_sequence: Option<String>,
    ) -> FinishReason {
        let reason = finish_reason(stop_reason, stop_sequence);
        // The emulated JSON answer ends in `tool_use` upstream, but for the caller it is text.
        if reason == FinishReason::ToolCalls
            && self.json_block.is_some()
            && self.tool_ordinals.is_empty()
        {
            return FinishReason::Stop;
        }
        reason
    }
}

/// Whether an unparseable event is one this adapter should have understood (then the stream is
/// broken), rather than a newer event type to skip.
fn is_known_event(name: Option<&str>, data: &str) -> bool {
    const KNOWN: [&str; 8] = [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
        "ping",
        "error",
    ];
    let name = name.or_else(|| {
        // Without an `event:` line, the JSON `type` is the only name there is.
        serde_json::from_str::<serde_json::Value>(data)
            .ok()
            .and_then(|value| value.get("type")?.as_str().map(str::to_owned))
            .and_then(|kind| KNOWN.iter().copied().find(|known| *known == kind))
    });
    name.is_some_and(|name| KNOWN.contains(&name))
}
