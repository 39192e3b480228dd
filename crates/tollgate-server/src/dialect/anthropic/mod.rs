//! The Anthropic Messages dialect (`POST /v1/messages`): request validation into the canonical
//! form, and answers, stream events and errors rendered the way Anthropic's SDKs read them.

mod error;
mod fields;
mod messages;
mod request;
mod response;
mod stream;

#[cfg(test)]
mod tests;

pub use error::render_error;
pub use request::parse_chat_request;
pub use response::render_chat_response;
pub use stream::Encoder;
