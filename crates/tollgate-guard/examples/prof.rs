#![allow(clippy::unwrap_used)]
use std::time::Instant;
use tollgate_guard::*;
include!("/tmp/p4k.rs");
fn time(name: &str, mut f: impl FnMut() -> usize) {
    for _ in 0..200 {
        f();
    }
    let n = 2000;
    let t = Instant::now();
    let mut x = 0;
    for _ in 0..n {
        x += f();
    }
    println!(
        "{name}: {:.1} us ({x})",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
}
fn main() {
    let text = prompt_4k();
    let mut s = GuardSettings::default();
    s.injection.mode = InjectionMode::Log;
    let g = Guard::new(s.clone()).unwrap();
    time("pii all", || g.detect_pii(&text).len());
    time("injection", || {
        g.injection_report(&text).score_permille as usize
    });
    for k in EntityKind::ALL {
        let mut s2 = s.clone();
        s2.pii.mode = PiiMode::Off;
        s2.pii.entities.insert(*k, PiiMode::Log);
        let g2 = Guard::new(s2).unwrap();
        time(k.name(), || g2.detect_pii(&text).len());
    }
    let mut s3 = s.clone();
    s3.pii.mode = PiiMode::Off;
    let g3 = Guard::new(s3).unwrap();
    time("none", || g3.detect_pii(&text).len());
}
