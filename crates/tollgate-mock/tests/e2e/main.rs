//! End-to-end tests: real HTTP against a real mock server, one module per flavour or concern.
//! One test binary keeps link time down.

// Test helpers outside `#[test]` fns: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod anthropic;
mod common;
mod faults;
mod gemini;
mod openai;
mod openrouter_azure;
mod quirks;
mod server;
