//! Canonical stream events → `chat.completion.chunk` frames.
//!
//! One id and `created` for the whole stream; each choice's first delta carries the role; with
//! `include_usage` every chunk has `"usage":null` and `finish` writes the usage chunk (with
//! Tollgate's cost) before `[DONE]`. Passthrough frames (`StreamEvent::Native`) are copied as
//! they are; once one was written, canonical `Finish` events are only informational (the native
//! frame already carried the finish reason).

use bytes::{BufMut, BytesMut};
use serde::{Serialize, Serializer};
use tollgate_types::{Cost, GatewayError, StreamEvent, Usage};

use super::StreamEncoder;
use super::error::ErrorEnvelope;
use super::response::{UsageOut, new_completion_id, unix_now};

pub struct Encoder {
    include_usage: bool,
    model: String,
    /// Fixed by the first frame: the upstream's id from `Start`, or a generated one.
    id: Option<String>,
    created: u64,
    /// Choices whose first delta (with the role) was written.
    role_sent: Vec<u32>,
    native: bool,
    /// `finish` or `error` was written; nothing may follow.
    closed: bool,
}

impl Encoder {
    /// `include_usage`: the caller asked for the usage chunk (OpenAI); `model`: the public name.
    pub fn new(include_usage: bool, model: &str) -> Self {
        Encoder {
            include_usage,
            model: model.to_string(),
            id: None,
            created: unix_now(),
            role_sent: Vec::new(),
            native: false,
            closed: false,
        }
    }

    /// Writes one chunk with a single choice.
    fn write_delta(
        &mut self,
        choice: u32,
        delta: DeltaOut<'_>,
        finish_reason: Option<&str>,
        out: &mut BytesMut,
    ) {
        let role = if self.role_sent.contains(&choice) {
            None
        } else {
            self.role_sent.push(choice);
            Some("assistant")
        };
        let choices = [ChunkChoiceOut {
            index: choice,
            delta: DeltaOut { role, ..delta },
            logprobs: None,
            finish_reason,
        }];
        let usage = if self.include_usage {
            UsageField::Null
        } else {
            UsageField::Absent
        };
        self.write_chunk(&choices, usage, out);
    }

    fn write_chunk(
        &mut self,
        choices: &[ChunkChoiceOut<'_>],
        usage: UsageField,
        out: &mut BytesMut,
    ) {
        let id = self.id.get_or_insert_with(new_completion_id);
        let chunk = ChunkOut {
            id,
            object: "chat.completion.chunk",
            created: self.created,
            model: &self.model,
            choices,
            usage,
        };
        write_frame(&chunk, out);
    }
}

impl StreamEncoder for Encoder {
    fn event(&mut self, event: StreamEvent, out: &mut BytesMut) {
        if self.closed {
            return;
        }
        match event {
            StreamEvent::Start { id, .. } => {
                if self.id.is_none() && !id.is_empty() {
                    self.id = Some(id);
                }
            }
            StreamEvent::TextDelta { choice, text } => {
                let delta = DeltaOut {
                    content: Some(&text),
                    ..DeltaOut::default()
                };
                self.write_delta(choice, delta, None, out);
            }
            StreamEvent::ReasoningDelta { choice, text } => {
                let delta = DeltaOut {
                    reasoning_content: Some(&text),
                    ..DeltaOut::default()
                };
                self.write_delta(choice, delta, None, out);
            }
            StreamEvent::ToolCallStart {
                choice,
                index,
                id,
                name,
            } => {
                let call = ToolCallDeltaOut {
                    index,
                    id: Some(&id),
                    kind: Some("function"),
                    function: FunctionDeltaOut {
                        name: Some(&name),
                        arguments: "",
                    },
                };
                let delta = DeltaOut {
                    tool_calls: Some([call]),
                    ..DeltaOut::default()
                };
                self.write_delta(choice, delta, None, out);
            }
            StreamEvent::ToolCallDelta {
                choice,
                index,
                arguments,
            } => {
                let call = ToolCallDeltaOut {
                    index,
                    id: None,
                    kind: None,
                    function: FunctionDeltaOut {
                        name: None,
                        arguments: &arguments,
                    },
                };
                let delta = DeltaOut {
                    tool_calls: Some([call]),
                    ..DeltaOut::default()
                };
                self.write_delta(choice, delta, None, out);
            }
            StreamEvent::Finish { choice, reason } => {
                if !self.native {
                    self.write_delta(choice, DeltaOut::default(), Some(reason.openai_str()), out);
                }
            }
            StreamEvent::Native(frame) => {
                self.native = true;
                out.extend_from_slice(&frame);
            }
            StreamEvent::Error(error) => self.error(&error, out),
            // Usage and cost arrive again, final, in `finish`.
            StreamEvent::Usage(_) | StreamEvent::ProviderCost(_) => {}
        }
    }

    fn finish(&mut self, usage: &Usage, cost: Option<&Cost>, out: &mut BytesMut) {
        if self.closed {
            return;
        }
        self.closed = true;
        if self.include_usage {
            self.write_chunk(&[], UsageField::Present(UsageOut::new(usage, cost)), out);
        }
        out.extend_from_slice(b"data: [DONE]\n\n");
    }

    /// OpenAI's mid-stream failure shape; the stream ends without `[DONE]`.
    fn error(&mut self, error: &GatewayError, out: &mut BytesMut) {
        if self.closed {
            return;
        }
        self.closed = true;
        write_frame(&ErrorEnvelope::new(error), out);
    }
}

/// `data: <json>\n\n`. serde_json never writes a raw line break, so the JSON is one SSE line.
fn write_frame(value: &impl Serialize, out: &mut BytesMut) {
    let start = out.len();
    out.extend_from_slice(b"data: ");
    if let Err(error) = serde_json::to_writer((&mut *out).writer(), value) {
        tracing::error!(%error, "could not serialise a stream chunk");
        out.truncate(start);
        return;
    }
    out.extend_from_slice(b"\n\n");
}

#[derive(Serialize)]
struct ChunkOut<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    choices: &'a [ChunkChoiceOut<'a>],
    #[serde(skip_serializing_if = "UsageField::is_absent")]
    usage: UsageField,
}

/// `usage` of a chunk: absent (caller did not ask), `null` (a content chunk), or the totals.
enum UsageField {
    Absent,
    Null,
    Present(UsageOut),
}

impl UsageField {
    fn is_absent(&self) -> bool {
        matches!(self, UsageField::Absent)
    }
}

impl Serialize for UsageField {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            UsageField::Present(usage) => usage.serialize(serializer),
            UsageField::Absent | UsageField::Null => serializer.serialize_none(),
        }
    }
}

#[derive(Serialize)]
struct ChunkChoiceOut<'a> {
    index: u32,
    delta: DeltaOut<'a>,
    logprobs: Option<()>,
    finish_reason: Option<&'a str>,
}

#[derive(Default, Serialize)]
struct DeltaOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_calls: Option<[ToolCallDeltaOut<'a>; 1]>,
}

#[derive(Serialize)]
struct ToolCallDeltaOut<'a> {
    index: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    function: FunctionDeltaOut<'a>,
}

#[derive(Serialize)]
struct FunctionDeltaOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    arguments: &'a str,
}
