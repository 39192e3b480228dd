//! All guardrails over a 4 KB prompt (the budget: under 50 µs on one core), plus the
//! parts alone and the stream scanner.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{guard, prompt_4k};
use criterion::{BatchSize, Criterion, black_box, criterion_group, criterion_main};
use tollgate_guard::Restorer;

fn bench(c: &mut Criterion) {
    let guard = guard();
    let text = prompt_4k();
    let request = common::request(&text);
    c.bench_function("inspect_request 4KB (pii+injection+policy)", |b| {
        b.iter_batched(
            || request.clone(),
            |mut r| black_box(guard.inspect_request(&mut r).is_ok()),
            BatchSize::SmallInput,
        )
    });
    c.bench_function("detect_pii 4KB", |b| {
        b.iter(|| black_box(guard.detect_pii(&text).len()))
    });
    c.bench_function("injection_report 4KB", |b| {
        b.iter(|| black_box(guard.injection_report(&text).score_permille))
    });
    c.bench_function("output_scanner 4KB in 40-byte chunks", |b| {
        b.iter(|| {
            let mut scanner = guard.output_scanner(Restorer::default());
            let mut n = 0;
            for chunk in text.as_bytes().chunks(40) {
                n += scanner.push(std::str::from_utf8(chunk).unwrap_or("")).len();
            }
            n += scanner.finish().len();
            black_box(n)
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
