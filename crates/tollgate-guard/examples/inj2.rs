#![allow(clippy::unwrap_used)]
use std::time::Instant;
use tollgate_guard::injection::prof;
include!("/tmp/p4k.rs");
fn time(name: &str, mut f: impl FnMut() -> usize) {
    for _ in 0..200 {
        f();
    }
    let n = 3000;
    let t = Instant::now();
    let mut x = 0;
    for _ in 0..n {
        x += f();
    }
    println!(
        "{name}: {:.1} us ({})",
        t.elapsed().as_secs_f64() * 1e6 / n as f64,
        x / n
    );
}
fn main() {
    let text = prompt_4k();
    time("normalize", || prof::normalize_len(&text));
    time("payloads", || prof::payloads(&text));
    prof::scan(&text);
}
