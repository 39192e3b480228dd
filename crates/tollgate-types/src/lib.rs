//! The hub of Tollgate's hub-and-spoke translation.
//!
//! Every inbound dialect (OpenAI, Anthropic) parses into these canonical types and every provider
//! adapter maps them to its own wire format and back, so adding a dialect or a provider is one module,
//! never a pairwise converter. The canonical shapes follow OpenAI Chat semantics where a choice had to
//! be made (token counts are inclusive: `input_tokens` contains cached tokens, `output_tokens`
//! contains reasoning tokens), because that is what most upstreams speak.

pub mod chat;
pub mod embedding;
pub mod error;
pub mod money;
pub mod response;
pub mod stream;
pub mod usage;

pub use chat::{
    ChatRequest, ContentPart, Dialect, ImageSource, Message, PassthroughBody, ResponseFormat, Role,
    Tool, ToolCall, ToolChoice,
};
pub use embedding::{EmbeddingInput, EmbeddingRequest, EmbeddingResponse, EncodingFormat};
pub use error::{ErrorKind, ErrorSource, GatewayError};
pub use money::{Cost, CostSource, NanoUsd};
pub use response::{AssistantMessage, ChatResponse, Choice, FinishReason, NativeReply};
pub use stream::StreamEvent;
pub use usage::Usage;
