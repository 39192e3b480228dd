use super::*;
use crate::settings::{CustomEntity, PiiSettings};

fn detector() -> (PiiDetector, EntityTable) {
    let mut table = EntityTable::default();
    let settings = PiiSettings {
        custom: vec![CustomEntity {
            name: "project".into(),
            regex: None,
            words: vec!["Project Falcon".into()],
            mode: PiiMode::Redact,
        }],
        ..PiiSettings::default()
    };
    let d = PiiDetector::build(&settings, &mut table).unwrap_or_else(|e| panic!("{e}"));
    (d, table)
}

fn found(text: &str) -> Vec<(String, String)> {
    let (d, table) = detector();
    let mut spans = Vec::new();
    d.detect(text, 0, &mut spans);
    spans
        .iter()
        .map(|s| {
            (
                table.get(s.entity).name.clone(),
                text[s.start..s.end].to_owned(),
            )
        })
        .collect()
}

fn one(text: &str, kind: &str, value: &str) {
    assert_eq!(
        found(text),
        vec![(kind.to_owned(), value.to_owned())],
        "in {text:?}"
    );
}

fn none(text: &str) {
    assert_eq!(found(text), vec![], "in {text:?}");
}

#[test]
fn every_builtin_pattern_compiles() {
    for b in BUILTINS {
        assert!(Regex::new(b.pattern).is_ok(), "{}", b.pattern);
    }
}

#[test]
fn emails() {
    one(
        "mail jane.doe+x@mail.example.co.uk.",
        "email",
        "jane.doe+x@mail.example.co.uk",
    );
    none("icon@2x.png and lodash@4.17.21 and @decorator");
}

#[test]
fn cards() {
    one(
        "card 4111 1111 1111 1111 exp 12/25",
        "credit_card",
        "4111 1111 1111 1111",
    );
    one(
        "card 4111 1111 1111 1111 12/25",
        "credit_card",
        "4111 1111 1111 1111",
    );
    one("amex 3782-822463-10005", "credit_card", "3782-822463-10005");
    none("card 4111 1111 1111 1112");
    none("order 4111111111111111 shipped");
}

#[test]
fn ibans() {
    one(
        "IBAN DE89 3704 0044 0532 0130 00 BIC COBADEFFXXX",
        "iban",
        "DE89 3704 0044 0532 0130 00",
    );
    one("GB82WEST12345698765432", "iban", "GB82WEST12345698765432");
    none("DE89 3704 0044 0532 0130 01");
}

#[test]
fn ssns() {
    one("SSN: 536-22-8745", "us_ssn", "536-22-8745");
    one("social security number 536228745", "us_ssn", "536228745");
    none("666-12-3456 and 900-12-3456 and 123-00-4567");
}

#[test]
fn phones() {
    one("call +44 20 7946 0958 now", "phone", "+44 20 7946 0958");
    one("office (212) 555-0199.", "phone", "(212) 555-0199");
    one("Tel: 030 12345678", "phone", "030 12345678");
    one("phone 5125550199", "phone", "5125550199");
    none("released 2024-05-03, build 10.0.19045.3803");
    none("order #212-555-0199");
}

#[test]
fn ips() {
    one("from 203.0.113.42:443", "ipv4", "203.0.113.42");
    none("version 1.2.3.4 and 127.0.0.1 and 10.0.0.256");
    one(
        "host 2001:db8:85a3::8a2e:370:7334 up",
        "ipv6",
        "2001:db8:85a3::8a2e:370:7334",
    );
    none("at 10:30:45 std::vec::Vec");
}

#[test]
fn secrets() {
    one(
        "key AKIAIOSFODNN7EXAMPLE",
        "aws_access_key",
        "AKIAIOSFODNN7EXAMPLE",
    );
    one(
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "aws_secret_key",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    );
    let ant = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ_kl-mnop";
    one(&format!("use {ant}."), "anthropic_key", ant);
    let oai = "sk-proj-Ab3dEf6hIj9kLmN0pQrStUvWxYz12345678901234";
    one(&format!("OPENAI_API_KEY={oai}"), "openai_key", oai);
    none("scikit-learn is sk-learn, task-runner");
    one(
        "postgres://app:s3cr3t-pw@db.internal:5432/app",
        "connection_password",
        "s3cr3t-pw",
    );
    none("postgres://app:${DB_PASSWORD}@db.internal/app");
}

#[test]
fn private_key_block_runs_to_end_marker() {
    let text = "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\nok";
    let got = found(text);
    assert_eq!(got.len(), 1);
    assert!(got[0].1.ends_with("-----END RSA PRIVATE KEY-----"));
}

#[test]
fn jwt_stops_before_full_stop() {
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    one(&format!("token {jwt}."), "jwt", jwt);
}

#[test]
fn custom_words() {
    one("about project falcon.", "project", "project falcon");
}
