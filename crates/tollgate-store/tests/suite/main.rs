//! The storage suite: every test runs against SQLite (a temp file) and PostgreSQL (its own
//! schema in `TOLLGATE_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/test`).
//! PostgreSQL being unreachable fails the PostgreSQL half; it is never skipped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod harness;
mod fixtures;

mod audit;
mod budgets;
mod credits;
mod guardrails;
mod keys;
mod meta;
mod migrations;
mod tenants;
mod usage;
mod writer;
mod writer_overflow;
