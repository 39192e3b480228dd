//! Tests of the OpenAI dialect through its public functions.

mod render;
mod request;
mod stream;
