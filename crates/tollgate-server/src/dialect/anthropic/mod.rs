//! STUB — being written. Replace this whole folder.
#![allow(dead_code, unused_imports, unused_variables)]

use bytes::{Bytes, BytesMut};
use tollgate_types::{ChatRequest, ChatResponse, Cost, GatewayError, StreamEvent, Usage};

use super::StreamEncoder;

pub fn parse_chat_request(body: &[u8]) -> Result<ChatRequest, GatewayError> {
    Err(GatewayError::internal())
}

pub fn render_chat_response(response: &ChatResponse, cost: Option<&Cost>) -> Bytes {
    Bytes::new()
}

pub fn render_error(error: &GatewayError) -> Bytes {
    Bytes::new()
}

pub struct Encoder;

impl Encoder {
    /// `include_usage`: the caller asked for the usage chunk (OpenAI); `model`: the public name.
    pub fn new(include_usage: bool, model: &str) -> Self {
        Encoder
    }
}

impl StreamEncoder for Encoder {
    fn event(&mut self, event: StreamEvent, out: &mut BytesMut) {}
    fn finish(&mut self, usage: &Usage, cost: Option<&Cost>, out: &mut BytesMut) {}
    fn error(&mut self, error: &GatewayError, out: &mut BytesMut) {}
}
