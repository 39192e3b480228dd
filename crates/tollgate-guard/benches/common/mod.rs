//! The benchmark's inputs, shared with `examples/profile.rs` (run under callgrind to count
//! instructions, which is repeatable on a noisy machine where wall-clock time is not).
#![allow(dead_code, clippy::unwrap_used)]

use tollgate_guard::{Guard, GuardSettings, InjectionMode, PiiMode, PolicyAction, PolicyRule};
use tollgate_types::{ChatRequest, Message, Role};

/// About 4 KB of ordinary prompt: prose, a little code, numbers, dates, a few PII values.
pub fn prompt_4k() -> String {
    let paragraphs = [
        "Our quarterly review covered revenue, churn and the roadmap for version 2.14.1. ",
        "Please summarise the customer feedback below and list the top three themes, citing ticket numbers where useful. ",
        "Ticket 48213 (2024-05-03 10:30 UTC): the export to CSV fails for files above 25 MB; the user is jane.doe@example.com. ",
        "Ticket 48217: billing shows EUR 1,299.00 twice; call back on +44 20 7946 0958 before 17:00. ",
        "```python\ndef total(items):\n    return sum(i.price * i.qty for i in items)\n```\n",
        "Ticket 48220: the dashboard at https://status.example.com loads slowly from 203.0.113.42 during peak hours. ",
        "Several users asked for SSO with Okta and Azure AD, and for audit logs that can be exported weekly. ",
        "The mobile app crashes on Android 14 when the camera permission is revoked while scanning a receipt. ",
    ];
    let mut text = String::new();
    let mut i = 0;
    while text.len() < 4096 {
        text.push_str(paragraphs[i % paragraphs.len()]);
        i += 1;
    }
    text.truncate(4096);
    while !text.is_char_boundary(text.len()) {
        text.pop();
    }
    text
}

pub fn guard() -> Guard {
    let mut settings = GuardSettings::default();
    settings.pii.mode = PiiMode::Redact;
    settings.pii.reversible = true;
    settings.injection.mode = InjectionMode::Block;
    settings.policy.rules.push(PolicyRule {
        name: "competitors".into(),
        category: Some("business".into()),
        words: vec!["globex".into(), "initech".into(), "umbrella corp".into()],
        regexes: vec![r"PROJECT-[0-9]{4}".into()],
        action: PolicyAction::Block,
        fallback_model: None,
    });
    Guard::new(settings).unwrap()
}

pub fn request(text: &str) -> ChatRequest {
    ChatRequest {
        model: "fast".into(),
        messages: vec![
            Message::text(Role::System, "You are a helpful support analyst."),
            Message::text(Role::User, text),
        ],
        ..ChatRequest::default()
    }
}
