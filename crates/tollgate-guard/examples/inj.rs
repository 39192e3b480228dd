#![allow(clippy::unwrap_used)]
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use std::time::Instant;
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
    let lower = text.to_lowercase();
    time("to_lowercase", || text.to_lowercase().len());
    time("chars push", || {
        let mut s = String::with_capacity(text.len());
        for c in text.chars() {
            s.push(c.to_ascii_lowercase());
        }
        s.len()
    });
    let words: Vec<String> = "ignore disregard forget override bypass skip drop instructions rules prompt previous all any your show print output display tell me what is system prompt share echo policy filters orders commands training guidelines directions above prior earlier".split(' ').map(String::from).collect();
    let mut many = words.clone();
    for i in 0..400 {
        many.push(format!("phrase number {i} x"));
    }
    for kind in [AhoCorasickKind::DFA, AhoCorasickKind::ContiguousNFA] {
        let ac = AhoCorasick::builder()
            .kind(Some(kind))
            .match_kind(MatchKind::Standard)
            .build(&many)
            .unwrap();
        time(&format!("{kind:?} overlapping"), || {
            ac.find_overlapping_iter(&lower).count()
        });
        let ac2 = AhoCorasick::builder()
            .kind(Some(kind))
            .match_kind(MatchKind::LeftmostFirst)
            .build(&many)
            .unwrap();
        time(&format!("{kind:?} leftmost"), || {
            ac2.find_iter(&lower).count()
        });
    }
}
