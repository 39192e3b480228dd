//! Runs one part of the benchmark N times, for instruction counts under callgrind (repeatable
//! where wall-clock time on a shared machine is not):
//!
//! ```text
//! cargo build --release -p tollgate-guard --example profile
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*profile*measured*' \
//!     target/release/examples/profile inspect 100
//! ```
//!
//! Parts: `inspect` (all guardrails, as the benchmark), `pii`, `injection`, `stream`. A third
//! argument keeps only the named entity types (`pii 100 email,iban`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../benches/common/mod.rs"]
mod common;

use std::hint::black_box;

use tollgate_guard::{Guard, Restorer};
use tollgate_types::ChatRequest;

#[inline(never)]
fn run(part: &str, guard: &Guard, text: &str, requests: Vec<ChatRequest>) -> usize {
    let mut n = 0;
    match part {
        "inspect" => {
            for mut r in requests {
                n += usize::from(guard.inspect_request(&mut r).is_ok());
            }
        }
        "pii" => {
            for _ in 0..requests.len() {
                n += guard.detect_pii(text).len();
            }
        }
        "injection" => {
            for _ in 0..requests.len() {
                n += usize::from(guard.injection_report(text).score_permille);
            }
        }
        "stream" => {
            for _ in 0..requests.len() {
                let mut scanner = guard.output_scanner(Restorer::default());
                for chunk in text.as_bytes().chunks(40) {
                    n += scanner.push(std::str::from_utf8(chunk).unwrap_or("")).len();
                }
                n += scanner.finish().len();
            }
        }
        other => panic!("unknown part {other}"),
    }
    n
}

/// The function callgrind collects in (`--toggle-collect`), so the warm-up is left out.
#[inline(never)]
fn measured(part: &str, guard: &Guard, text: &str, requests: Vec<ChatRequest>) -> usize {
    run(part, guard, text, requests)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let part = args.next().unwrap_or_else(|| "inspect".to_owned());
    let iters: usize = args.next().map_or(100, |n| n.parse().unwrap());
    let mut guard = common::guard();
    // Optional: only these entity types (comma-separated names), to cost one pattern group.
    if let Some(only) = args.next() {
        let mut settings = guard.settings().clone();
        for kind in tollgate_guard::EntityKind::ALL {
            if !only.split(',').any(|n| n == kind.name()) {
                settings
                    .pii
                    .entities
                    .insert(*kind, tollgate_guard::PiiMode::Off);
            }
        }
        guard = Guard::new(settings).unwrap();
    }
    let text = common::prompt_4k();
    // Warm-up outside the measured function (lazy DFA states, allocator).
    run(&part, &guard, &text, vec![common::request(&text); 3]);
    let requests = vec![common::request(&text); iters];
    println!("{}", black_box(measured(&part, &guard, &text, requests)));
}
