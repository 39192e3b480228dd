//! The OpenAI dialect (`/v1/chat/completions`, `/v1/embeddings`): strict parsing into the
//! canonical types, and rendering of answers, stream chunks and errors in OpenAI's shapes, so the
//! official SDKs work unchanged.

mod embeddings;
mod error;
mod fields;
mod messages;
mod request;
mod response;
mod stream;

#[cfg(test)]
mod tests;

pub use embeddings::{parse_embedding_request, render_embedding_response};
pub use error::render_error;
pub use request::parse_chat_request;
pub use response::render_chat_response;
pub use stream::Encoder;

use super::StreamEncoder;
