//! Tests of the OpenAI adapter: pure mappings first, then real HTTP against `tollgate-mock`.

mod mapping;
mod streaming;
mod upstream;
mod upstream_faults;
