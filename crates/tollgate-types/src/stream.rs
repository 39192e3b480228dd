//! Canonical stream events.
//!
//! A provider adapter turns each upstream stream event into zero, one or several of these, and the
//! caller's dialect encoder turns them into its own frames. The terminal frames of every dialect
//! (OpenAI's usage chunk and `[DONE]`, Anthropic's `message_delta` and `message_stop`) are written by
//! the encoder at the end, because they carry the cost Tollgate computes after the last event.

use bytes::Bytes;

use crate::error::GatewayError;
use crate::money::NanoUsd;
use crate::response::FinishReason;
use crate::usage::Usage;

#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// The message began; the upstream's id and model.
    Start {
        id: String,
        model: String,
    },
    TextDelta {
        choice: u32,
        text: String,
    },
    ReasoningDelta {
        choice: u32,
        text: String,
    },
    /// A new tool call; `index` counts tool calls within the choice from 0.
    ToolCallStart {
        choice: u32,
        index: u32,
        id: String,
        name: String,
    },
    /// A fragment of a tool call's JSON arguments.
    ToolCallDelta {
        choice: u32,
        index: u32,
        arguments: String,
    },
    Finish {
        choice: u32,
        reason: FinishReason,
    },
    /// A complete snapshot of usage so far; the last one wins (adapters merge running totals).
    Usage(Usage),
    /// The provider's own statement of the call's cost.
    ProviderCost(NanoUsd),
    /// An already-encoded frame in the caller's dialect (same-dialect passthrough), forwarded as is.
    Native(Bytes),
    /// The upstream failed after the stream began.
    Error(GatewayError),
}
