//! Properties of request-side redaction: no detected value survives it, and reversible
//! redaction gives the caller back exactly what it sent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{SEGMENTS, guard_with};
use proptest::prelude::*;
use tollgate_guard::{Guard, PiiMode, Restorer};
use tollgate_types::{ChatRequest, Message, Role};

fn request(text: &str) -> ChatRequest {
    ChatRequest {
        model: "m".into(),
        messages: vec![Message::text(Role::User, text)],
        ..ChatRequest::default()
    }
}

fn user_text(req: &ChatRequest) -> String {
    req.messages[0].joined_text()
}

fn redacted(guard: &Guard, text: &str) -> (String, Restorer) {
    let mut req = request(text);
    let inspection = guard.inspect_request(&mut req).unwrap();
    (user_text(&req), inspection.restorer)
}

fn spaced_text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(SEGMENTS), 1..10).prop_map(|s| s.join(" | "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn redaction_leaves_no_detected_value(text in spaced_text()) {
        for mode in [PiiMode::Redact, PiiMode::Mask] {
            let guard = guard_with(mode, false);
            let (out, _) = redacted(&guard, &text);
            for d in guard.detect_pii(&text) {
                let value = &text[d.range.clone()];
                prop_assert!(!out.contains(value), "{} left in {out:?}", d.entity);
            }
        }
    }

    #[test]
    fn reversible_redaction_round_trips(text in spaced_text(), split in any::<prop::sample::Index>()) {
        let guard = guard_with(PiiMode::Redact, true);
        let (out, restorer) = redacted(&guard, &text);
        // The provider echoes the redacted text back; the caller must get its own text. (The
        // answer is scanned too: if redaction moved a context word next to a number, that
        // number is new PII in the answer and stays hidden, so the round trip is checked only
        // when the echo holds no entity.)
        prop_assume!(guard.detect_pii(&out).is_empty());
        prop_assert_eq!(&guard.scan_answer(&out, &restorer).0, &text);
        let bounds: Vec<usize> = (0..=out.len()).filter(|i| out.is_char_boundary(*i)).collect();
        let at = bounds[split.index(bounds.len())];
        let mut scanner = guard.output_scanner(restorer);
        let mut got = scanner.push(&out[..at]);
        got.push_str(&scanner.push(&out[at..]));
        got.push_str(&scanner.finish());
        prop_assert_eq!(&got, &text);
    }
}

#[test]
fn same_value_gets_same_placeholder_across_messages() {
    let guard = guard_with(PiiMode::Redact, true);
    let mut req = request("mail jane.doe@example.com");
    req.messages.push(Message::text(
        Role::User,
        "again jane.doe@example.com, or bob@example.org",
    ));
    let inspection = guard.inspect_request(&mut req).unwrap();
    assert_eq!(req.messages[0].joined_text(), "mail <EMAIL_1>");
    assert_eq!(
        req.messages[1].joined_text(),
        "again <EMAIL_1>, or <EMAIL_2>"
    );
    assert_eq!(inspection.findings.pii.get("email"), Some(&3));
    assert_eq!(inspection.restorer.len(), 2);
}
