//! Shared settings and sample values for the integration tests.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use tollgate_guard::{Guard, GuardSettings, InjectionMode, PiiMode};

/// Guards are compiled once per (mode, reversible) and shared, as the gateway does.
pub fn guard_with(mode: PiiMode, reversible: bool) -> Guard {
    static CACHE: LazyLock<Mutex<HashMap<(PiiMode, bool), Guard>>> = LazyLock::new(Mutex::default);
    let mut cache = CACHE.lock().unwrap();
    cache
        .entry((mode, reversible))
        .or_insert_with(|| {
            let mut settings = GuardSettings::default();
            settings.pii.mode = mode;
            settings.pii.reversible = reversible;
            settings.injection.mode = InjectionMode::Log;
            Guard::new(settings).unwrap()
        })
        .clone()
}

pub const PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\nNMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ\n-----END PRIVATE KEY-----";

pub const JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

/// Values the detector must find, and look-alikes it must not.
pub const SEGMENTS: &[&str] = &[
    "jane.doe@example.com",
    "ops+alerts@mail.example.co.uk",
    "+44 20 7946 0958",
    "(212) 555-0199",
    "call 030 12345678",
    "4111 1111 1111 1111",
    "5555-5555-5555-4444",
    "378282246310005",
    "DE89 3704 0044 0532 0130 00",
    "GB82WEST12345698765432",
    "SSN 536-22-8745",
    "203.0.113.42",
    "2001:db8:85a3::8a2e:370:7334",
    "AKIAIOSFODNN7EXAMPLE",
    "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "sk-proj-Ab3dEf6hIj9kLmN0pQrStUvWxYz12345678901234",
    "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ_kl-mnop",
    "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI",
    "postgres://app:s3cr3t-pw@db.internal:5432/app",
    PEM,
    JWT,
    "<EMAIL_1>",
    "4111 1111 1111 1112",
    "DE89 3704 0044 0532 0130 01",
    "666-12-3456",
    "version 1.2.3.4",
    "2024-05-03T10:30:45Z",
    "550e8400-e29b-41d4-a716-446655440000",
    "order #4000123412341234",
    "icon@2x.png",
    "sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "the quick brown fox",
    "Grüße aus München 🙂",
    "ok",
    "12",
    "v2.14.1",
];

pub const SEPARATORS: &[&str] = &[" ", "\n", ", ", ". ", " and ", ": "];
