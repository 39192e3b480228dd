//! Inbound dialects: each parses its wire format into the canonical types and renders canonical
//! answers, stream events and errors back in its own shape. Nothing past this layer sees the
//! caller's JSON.
//!
//! Every dialect module offers the same functions:
//! - `parse_chat_request(body: &[u8]) -> Result<ChatRequest, GatewayError>` (sets `passthrough`),
//! - `render_chat_response(response: &ChatResponse, cost: Option<&Cost>) -> Bytes` (JSON body),
//! - `render_error(error: &GatewayError) -> Bytes` (JSON body; the status is `error.status`),
//! - a [`StreamEncoder`] for streamed answers,
//!
//! and the OpenAI dialect also `parse_embedding_request` / `render_embedding_response`.

mod answer_texts;
pub mod anthropic;
pub mod openai;

pub use answer_texts::map_answer_texts;

use bytes::BytesMut;
use tollgate_types::{Cost, GatewayError, StreamEvent, Usage};

/// Turns canonical stream events into the caller's SSE frames.
///
/// The router feeds every event in order, then exactly one of `finish` (the upstream ended) or
/// `error` (it failed mid-stream). Terminal frames (OpenAI's usage chunk and `[DONE]`, Anthropic's
/// `message_delta`/`message_stop`) are written by `finish`, because they carry the cost Tollgate
/// computes after the last event. `StreamEvent::Native` frames are already in this dialect and are
/// copied as they are.
pub trait StreamEncoder: Send {
    fn event(&mut self, event: StreamEvent, out: &mut BytesMut);
    fn finish(&mut self, usage: &Usage, cost: Option<&Cost>, out: &mut BytesMut);
    fn error(&mut self, error: &GatewayError, out: &mut BytesMut);
}

use bytes::Bytes;
use tollgate_types::{ChatRequest, ChatResponse, Dialect};

/// Parses a chat request in `dialect`.
pub fn parse_chat_request(dialect: Dialect, body: &[u8]) -> Result<ChatRequest, GatewayError> {
    match dialect {
        Dialect::OpenAi => openai::parse_chat_request(body),
        Dialect::Anthropic => anthropic::parse_chat_request(body),
    }
}

/// Renders a canonical answer in `dialect`.
pub fn render_chat_response(
    dialect: Dialect,
    response: &ChatResponse,
    cost: Option<&Cost>,
) -> Bytes {
    match dialect {
        Dialect::OpenAi => openai::render_chat_response(response, cost),
        Dialect::Anthropic => anthropic::render_chat_response(response, cost),
    }
}

/// Renders an error body in `dialect` (the status is `error.status`).
pub fn render_error(dialect: Dialect, error: &GatewayError) -> Bytes {
    match dialect {
        Dialect::OpenAi => openai::render_error(error),
        Dialect::Anthropic => anthropic::render_error(error),
    }
}

/// A stream encoder for `dialect`.
pub fn stream_encoder(
    dialect: Dialect,
    include_usage: bool,
    model: &str,
) -> Box<dyn StreamEncoder> {
    match dialect {
        Dialect::OpenAi => Box::new(openai::Encoder::new(include_usage, model)),
        Dialect::Anthropic => Box::new(anthropic::Encoder::new(include_usage, model)),
    }
}
