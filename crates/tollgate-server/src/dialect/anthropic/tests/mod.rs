//! Tests of the Anthropic dialect through its public functions.

mod request;
mod response;
mod round_trip;
mod stream;
