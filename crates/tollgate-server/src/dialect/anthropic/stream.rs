//! Canonical stream events → Anthropic SSE (providers.md §2.3, §2.8).
//!
//! Order on the wire: `message_start`, then each content block (`content_block_start`, deltas,
//! `content_block_stop`), then `message_delta` (stop reason, usage, Tollgate's cost) and
//! `message_stop`, both written by [`StreamEncoder::finish`] once the cost is known.
//!
//! With a same-dialect upstream the `message_start` and every block arrive as native frames that
//! are copied verbatim; the encoder then writes neither its own `message_start` nor any block
//! framing, only the closing pair.

use std::collections::HashMap;

use bytes::BytesMut;
use serde::Serialize;
use serde_json::json;
use tollgate_types::{Cost, FinishReason, GatewayError, StreamEvent, Usage};

use super::error::ErrorBody;
use super::response::{UsageBody, message_id, stop_sequence};
use crate::dialect::StreamEncoder;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlockKind {
    Text,
    Thinking,
    /// A tool call, by its canonical index.
    ToolUse(u32),
}

#[derive(Debug, Clone, Copy)]
struct OpenBlock {
    kind: BlockKind,
    index: u32,
}

pub struct Encoder {
    /// The public model name the caller asked for.
    model: String,
    message_started: bool,
    /// Frames came from an Anthropic upstream verbatim (passthrough).
    native: bool,
    open_block: Option<OpenBlock>,
    next_block_index: u32,
    /// Canonical tool-call index → its block index.
    tool_blocks: HashMap<u32, u32>,
    finish_reason: Option<FinishReason>,
    usage: Usage,
    done: bool,
}

impl Encoder {
    /// `include_usage` is ignored: Anthropic streams always carry usage.
    pub fn new(_include_usage: bool, model: &str) -> Self {
        Encoder {
            model: model.to_string(),
            message_started: false,
            native: false,
            open_block: None,
            next_block_index: 0,
            tool_blocks: HashMap::new(),
            finish_reason: None,
            usage: Usage::default(),
            done: false,
        }
    }

    fn start_message(&mut self, id: Option<&str>, out: &mut BytesMut) {
        if self.message_started {
            return;
        }
        self.message_started = true;
        let id = match id {
            Some(id) => message_id(id),
            None => format!("msg_{}", uuid::Uuid::new_v4().simple()),
        };
        let usage = UsageBody::new(&self.usage, None);
        write_event(
            out,
            "message_start",
            &json!({
                "type": "message_start",
                "message": {
                    "id": id, "type": "message", "role": "assistant", "model": self.model,
                    "content": [], "stop_reason": null, "stop_sequence": null, "usage": usage,
                },
            }),
        );
    }

    /// Makes sure a block of `kind` is the open one, closing any other first.
    fn open(&mut self, kind: BlockKind, tool: Option<(&str, &str)>, out: &mut BytesMut) -> u32 {
        self.start_message(None, out);
        if let Some(open) = self.open_block
            && open.kind == kind
        {
            return open.index;
        }
        self.close_block(out);
        let index = self.next_block_index;
        self.next_block_index += 1;
        let content_block = match (kind, tool) {
            (BlockKind::Text, _) => json!({"type": "text", "text": ""}),
            (BlockKind::Thinking, _) => {
                json!({"type": "thinking", "thinking": "", "signature": ""})
            }
            (BlockKind::ToolUse(_), Some((id, name))) => {
                json!({"type": "tool_use", "id": id, "name": name, "input": {}})
            }
            (BlockKind::ToolUse(_), None) => json!({
                "type": "tool_use",
                "id": format!("toolu_{}", uuid::Uuid::new_v4().simple()),
                "name": "",
                "input": {},
            }),
        };
        write_event(
            out,
            "content_block_start",
            &json!({"type": "content_block_start", "index": index, "content_block": content_block}),
        );
        if let BlockKind::ToolUse(tool_index) = kind {
            self.tool_blocks.insert(tool_index, index);
        }
        self.open_block = Some(OpenBlock { kind, index });
        index
    }

    fn close_block(&mut self, out: &mut BytesMut) {
        if let Some(open) = self.open_block.take() {
            write_event(
                out,
                "content_block_stop",
                &json!({"type": "content_block_stop", "index": open.index}),
            );
        }
    }

    fn delta(&mut self, kind: BlockKind, delta: serde_json::Value, out: &mut BytesMut) {
        let index = self.open(kind, None, out);
        write_event(
            out,
            "content_block_delta",
            &json!({"type": "content_block_delta", "index": index, "delta": delta}),
        );
    }

    fn tool_arguments(&mut self, tool_index: u32, arguments: String, out: &mut BytesMut) {
        let open_here = self
            .open_block
            .is_some_and(|open| open.kind == BlockKind::ToolUse(tool_index));
        if !open_here && self.tool_blocks.contains_key(&tool_index) {
            // Anthropic cannot reopen a closed block; upstreams that interleave the arguments
            // of parallel calls are not known to exist, so this is only logged.
            tracing::warn!(
                tool_index,
                "dropped tool-call arguments for an already closed block"
            );
            return;
        }
        self.delta(
            BlockKind::ToolUse(tool_index),
            json!({"type": "input_json_delta", "partial_json": arguments}),
            out,
        );
    }
}

impl StreamEncoder for Encoder {
    fn event(&mut self, event: StreamEvent, out: &mut BytesMut) {
        if self.done {
            return;
        }
        // Once the upstream's own frames flow, its blocks are the truth; canonical content
        // events would collide with their indices.
        let content_allowed = !self.native;
        match event {
            StreamEvent::Native(frame) => {
                self.native = true;
                self.message_started = true;
                out.extend_from_slice(&frame);
            }
            StreamEvent::Start { id, .. } => {
                if !self.native {
                    self.start_message(Some(&id), out);
                }
            }
            StreamEvent::TextDelta { choice: 0, text } if content_allowed && !text.is_empty() => {
                self.delta(
                    BlockKind::Text,
                    json!({"type": "text_delta", "text": text}),
                    out,
                );
            }
            StreamEvent::ReasoningDelta { choice: 0, text }
                if content_allowed && !text.is_empty() =>
            {
                self.delta(
                    BlockKind::Thinking,
                    json!({"type": "thinking_delta", "thinking": text}),
                    out,
                );
            }
            StreamEvent::ToolCallStart {
                choice: 0,
                index,
                id,
                name,
            } if content_allowed => {
                // A restarted index is a new call: forget the old block so this one opens.
                self.tool_blocks.remove(&index);
                if self
                    .open_block
                    .is_some_and(|open| open.kind == BlockKind::ToolUse(index))
                {
                    self.close_block(out);
                }
                self.open(BlockKind::ToolUse(index), Some((&id, &name)), out);
            }
            StreamEvent::ToolCallDelta {
                choice: 0,
                index,
                arguments,
            } if content_allowed && !arguments.is_empty() => {
                self.tool_arguments(index, arguments, out);
            }
            StreamEvent::Finish { choice: 0, reason } => self.finish_reason = Some(reason),
            StreamEvent::Usage(usage) => self.usage = usage,
            StreamEvent::Error(error) => self.error(&error, out),
            // Other choices (only choice 0 is rendered), empty deltas, and the provider's cost
            // (settlement reads it; the caller sees Tollgate's cost in `message_delta`).
            StreamEvent::TextDelta { .. }
            | StreamEvent::ReasoningDelta { .. }
            | StreamEvent::ToolCallStart { .. }
            | StreamEvent::ToolCallDelta { .. }
            | StreamEvent::Finish { .. }
            | StreamEvent::ProviderCost(_) => {}
        }
    }

    fn finish(&mut self, usage: &Usage, cost: Option<&Cost>, out: &mut BytesMut) {
        if self.done {
            return;
        }
        self.done = true;
        self.usage = *usage;
        if !self.native {
            self.start_message(None, out);
            self.close_block(out);
        }
        let reason = self.finish_reason.take().unwrap_or_default();
        write_event(
            out,
            "message_delta",
            &MessageDelta {
                kind: "message_delta",
                delta: StopDelta {
                    stop_reason: reason.anthropic_str(),
                    stop_sequence: stop_sequence(&reason),
                },
                usage: UsageBody::new(usage, cost),
            },
        );
        write_event(out, "message_stop", &json!({"type": "message_stop"}));
    }

    fn error(&mut self, error: &GatewayError, out: &mut BytesMut) {
        if self.done {
            return;
        }
        self.done = true;
        write_event(out, "error", &ErrorBody::new(error));
    }
}

#[derive(Serialize)]
struct MessageDelta<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    delta: StopDelta<'a>,
    usage: UsageBody,
}

#[derive(Serialize)]
struct StopDelta<'a> {
    stop_reason: &'static str,
    stop_sequence: Option<&'a str>,
}

fn write_event(out: &mut BytesMut, name: &str, data: &impl Serialize) {
    match serde_json::to_vec(data) {
        Ok(json) => out.extend_from_slice(&tollgate_sse::encode_event(name, &json)),
        Err(error) => tracing::error!(%error, name, "could not encode an anthropic stream event"),
    }
}
