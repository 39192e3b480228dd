//! All guardrails over a 4 KB prompt (the issue's budget: under 50 µs on one core), plus the
//! parts alone and the stream scanner.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{BatchSize, Criterion, black_box, criterion_group, criterion_main};
use tollgate_guard::{
    Guard, GuardSettings, InjectionMode, PiiMode, PolicyAction, PolicyRule, Restorer,
};
use tollgate_types::{ChatRequest, Message, Role};

/// About 4 KB of ordinary prompt: prose, a little code, numbers, dates, a few PII values.
fn prompt_4k() -> String {
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

fn guard() -> Guard {
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
    });
    Guard::new(settings).unwrap()
}

fn bench(c: &mut Criterion) {
    let guard = guard();
    let text = prompt_4k();
    let request = ChatRequest {
        model: "fast".into(),
        messages: vec![
            Message::text(Role::System, "You are a helpful support analyst."),
            Message::text(Role::User, text.clone()),
        ],
        ..ChatRequest::default()
    };
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
