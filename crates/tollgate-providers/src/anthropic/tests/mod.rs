//! Unit tests of the Anthropic mappings, and provider tests against the `tollgate-mock` server.

mod mock_failures;
mod mock_server;
mod request;
mod response;
mod stream;
