//! Tests of the Gemini adapter: the mappings alone (`request`, `response`), and the whole
//! provider against the fake Gemini of `tollgate-mock` (`provider`).

mod provider;
mod request;
mod response;
