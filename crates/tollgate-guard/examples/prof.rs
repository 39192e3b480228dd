#![allow(clippy::unwrap_used)]
use std::time::Instant;
use tollgate_guard::*;
include!("/tmp/p4k.rs");
fn time(name: &str, mut f: impl FnMut() -> usize) {
    for _ in 0..200 { f(); }
    let n = 2000;
    let t = Instant::now();
    let mut x = 0;
    for _ in 0..n { x += f(); }
    println!("{name}: {:.1} us ({})", t.elapsed().as_secs_f64() * 1e6 / n as f64, x / n);
}
fn main() {
    let text = prompt_4k();
    let mut s = GuardSettings::default();
    s.injection.mode = InjectionMode::Off;
    let g = Guard::new(s.clone()).unwrap();
    time("pii all", || g.detect_pii(&text).len());
    let sets: &[(&str, &[EntityKind])] = &[
        ("keyed", &[EntityKind::PrivateKey, EntityKind::ConnectionPassword, EntityKind::AwsSecretKey, EntityKind::AnthropicKey, EntityKind::OpenaiKey, EntityKind::GithubToken, EntityKind::SlackToken, EntityKind::StripeKey, EntityKind::GcpApiKey, EntityKind::AwsAccessKey, EntityKind::Jwt]),
        ("iban", &[EntityKind::Iban]),
        ("email", &[EntityKind::Email]),
        ("ipv6", &[EntityKind::Ipv6]),
        ("number", &[EntityKind::Phone, EntityKind::UsSsn, EntityKind::CreditCard, EntityKind::Ipv4]),
        ("phone", &[EntityKind::Phone]),
        ("ssn", &[EntityKind::UsSsn]),
        ("card", &[EntityKind::CreditCard]),
        ("ipv4", &[EntityKind::Ipv4]),
    ];
    for (name, kinds) in sets {
        let mut s2 = s.clone();
        s2.pii.mode = PiiMode::Off;
        for k in *kinds { s2.pii.entities.insert(*k, PiiMode::Log); }
        let g2 = Guard::new(s2).unwrap();
        time(name, || g2.detect_pii(&text).len());
    }
}
