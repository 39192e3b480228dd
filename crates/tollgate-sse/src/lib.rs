//! Server-sent events (SSE) framing for Tollgate's streams.
//!
//! Every streamed answer, inbound and outbound, passes through here, so the decoder is
//! incremental (bytes arrive in arbitrary TCP-sized pieces), scans each byte once with
//! `memchr`, and keeps each event's exact bytes so a same-dialect stream can be forwarded
//! verbatim. This crate knows nothing about providers: `[DONE]` markers, event names and JSON
//! payloads are the callers' business.

mod decoder;
mod encode;

pub use decoder::{DEFAULT_MAX_EVENT_SIZE, SseDecoder, SseError, SseEvent, decode_all};
pub use encode::{encode_comment, encode_data, encode_event};
