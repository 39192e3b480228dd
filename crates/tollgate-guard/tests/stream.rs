//! The stream scanner finds exactly what a whole-text scan finds, wherever the stream is split,
//! and never holds back more ordinary text than its stated bound.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{JWT, PEM, SEGMENTS, SEPARATORS, guard_with};
use proptest::prelude::*;
use tollgate_guard::{Guard, PiiMode, Restorer, STREAM_HOLD_BACK_BYTES};

fn streamed(guard: &Guard, chunks: &[&str]) -> (String, tollgate_guard::Findings) {
    let mut scanner = guard.output_scanner(Restorer::default());
    let mut out = String::new();
    for chunk in chunks {
        out.push_str(&scanner.push(chunk));
    }
    out.push_str(&scanner.finish());
    (out, scanner.findings().clone())
}

fn char_splits(text: &str) -> impl Iterator<Item = usize> + '_ {
    (0..=text.len()).filter(|i| text.is_char_boundary(*i))
}

fn rich_text() -> String {
    format!(
        "Hi, reach me at jane.doe@example.com or +44 20 7946 0958; card 4111 1111 1111 1111 \
         (not 4111 1111 1111 1112), IBAN DE89 3704 0044 0532 0130 00, SSN 536-22-8745, host \
         203.0.113.42 / 2001:db8::8a2e:370:7334, key AKIAIOSFODNN7EXAMPLE, token {JWT}.\n{PEM}\n\
         db postgres://app:s3cr3t-pw@db.internal/app and sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ_kl-mnop end. \
         Grüße 🙂 version 1.2.3.4"
    )
}

#[test]
fn every_split_position_matches_whole_text() {
    for mode in [PiiMode::Redact, PiiMode::Mask, PiiMode::Log] {
        let guard = guard_with(mode, false);
        let text = rich_text();
        let whole = guard.scan_answer(&text, &Restorer::default());
        assert!(whole.1.pii.len() >= 10, "{:?}", whole.1);
        for split in char_splits(&text) {
            let got = streamed(&guard, &[&text[..split], &text[split..]]);
            assert_eq!(got, whole, "split at {split} ({mode:?})");
        }
    }
}

#[test]
fn byte_by_byte_stream_matches_whole_text() {
    let guard = guard_with(PiiMode::Redact, false);
    let text = rich_text();
    let chunks: Vec<&str> = char_splits(&text)
        .collect::<Vec<_>>()
        .windows(2)
        .map(|w| &text[w[0]..w[1]])
        .collect();
    assert_eq!(
        streamed(&guard, &chunks),
        guard.scan_answer(&text, &Restorer::default())
    );
}

#[test]
fn ordinary_text_is_held_back_at_most_the_bound() {
    let guard = guard_with(PiiMode::Redact, false);
    let mut scanner = guard.output_scanner(Restorer::default());
    let text = "The quick brown fox jumps over the lazy dog, 12 times. ".repeat(40);
    let mut emitted = 0;
    for (i, chunk) in text.as_bytes().chunks(7).enumerate() {
        emitted += scanner.push(std::str::from_utf8(chunk).unwrap()).len();
        let pushed = ((i + 1) * 7).min(text.len());
        assert!(
            pushed - emitted <= STREAM_HOLD_BACK_BYTES,
            "held {}",
            pushed - emitted
        );
        assert_eq!(scanner.held_bytes(), pushed - emitted);
    }
    emitted += scanner.finish().len();
    assert_eq!(emitted, text.len());
}

#[test]
fn a_streaming_secret_is_never_emitted_in_part() {
    let guard = guard_with(PiiMode::Redact, false);
    let mut scanner = guard.output_scanner(Restorer::default());
    let mut out = String::new();
    out.push_str(&scanner.push("here: "));
    for line in PEM.split_inclusive('\n') {
        out.push_str(&scanner.push(line));
        assert!(!out.contains("MIIE"), "{out}");
    }
    out.push_str(&scanner.push(" done"));
    out.push_str(&scanner.finish());
    assert_eq!(out, "here: <PRIVATE_KEY_1> done");
}

/// Streams two choices interleaved: choice 1's text cut at `cut`, and a chunk of choice 0 sent
/// between its two halves (and before and after). Returns each choice's output.
fn interleaved(guard: &Guard, zero: &str, one: &str, cut: usize) -> (String, String) {
    let mut scanners = guard.choice_scanners(Restorer::default());
    let (mut out0, mut out1) = (String::new(), String::new());
    let half = zero.len() / 2;
    let half = (half..=zero.len())
        .find(|i| zero.is_char_boundary(*i))
        .unwrap();
    out1.push_str(&scanners.push(1, &one[..cut]));
    out0.push_str(&scanners.push(0, &zero[..half]));
    out1.push_str(&scanners.push(1, &one[cut..]));
    out0.push_str(&scanners.push(0, &zero[half..]));
    out0.push_str(&scanners.finish(0));
    for (choice, rest) in scanners.finish_all() {
        assert_eq!(choice, 1);
        out1.push_str(&rest);
    }
    (out0, out1)
}

#[test]
fn interleaved_choices_are_scanned_separately_at_every_split() {
    let guard = guard_with(PiiMode::Redact, false);
    let one = rich_text();
    // Choice 0 sends text that would complete or break choice 1's entities if they were mixed.
    let zero = "@example.com 1111 and more plain words from another choice 42";
    let whole0 = guard.scan_answer(zero, &Restorer::default()).0;
    let whole1 = guard.scan_answer(&one, &Restorer::default()).0;
    for cut in char_splits(&one) {
        let (out0, out1) = interleaved(&guard, zero, &one, cut);
        assert_eq!(out1, whole1, "choice 1 split at {cut}");
        assert_eq!(out0, whole0, "choice 0 with choice 1 split at {cut}");
    }
    // Findings cover both choices.
    let mut scanners = guard.choice_scanners(Restorer::default());
    scanners.push(0, "mail jane.doe@exa");
    scanners.push(1, "mail bob@example.org");
    scanners.push(0, "mple.com ok");
    scanners.finish_all();
    assert_eq!(scanners.findings().pii.get("email"), Some(&2));
}

fn segment_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            prop::sample::select(SEGMENTS),
            prop::sample::select(SEPARATORS),
        ),
        1..10,
    )
    .prop_map(|parts| {
        parts
            .into_iter()
            .map(|(s, sep)| format!("{s}{sep}"))
            .collect::<String>()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_texts_and_random_splits_match_whole_text(
        text in segment_text(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let guard = guard_with(PiiMode::Redact, false);
        let bounds: Vec<usize> = char_splits(&text).collect();
        let mut points: Vec<usize> = cuts.iter().map(|c| bounds[c.index(bounds.len())]).collect();
        points.sort_unstable();
        points.dedup();
        let mut chunks = Vec::new();
        let mut last = 0;
        for p in points {
            chunks.push(&text[last..p]);
            last = p;
        }
        chunks.push(&text[last..]);
        prop_assert_eq!(streamed(&guard, &chunks), guard.scan_answer(&text, &Restorer::default()));
    }

    #[test]
    fn interleaved_random_choices_match_their_whole_texts(
        one in segment_text(),
        zero in segment_text(),
        cut in any::<prop::sample::Index>(),
    ) {
        let guard = guard_with(PiiMode::Redact, false);
        let bounds: Vec<usize> = char_splits(&one).collect();
        let (out0, out1) = interleaved(&guard, &zero, &one, bounds[cut.index(bounds.len())]);
        prop_assert_eq!(out0, guard.scan_answer(&zero, &Restorer::default()).0);
        prop_assert_eq!(out1, guard.scan_answer(&one, &Restorer::default()).0);
    }
}
