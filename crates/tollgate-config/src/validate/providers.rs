//! `providers:`: kinds, URLs, keys and the fields only some kinds take.

use std::collections::BTreeMap;

use super::{Validator, field, non_empty};
use crate::keyword::Keyword;
use crate::raw::{RawMock, RawProvider};
use crate::{MockConfig, ProviderConfig, ProviderKind, Secret};

impl Validator {
    pub(super) fn providers(
        &mut self,
        raw: BTreeMap<String, RawProvider>,
    ) -> BTreeMap<String, ProviderConfig> {
        if raw.is_empty() {
            self.problem("providers", "at least one provider is required");
        }
        let mut providers = BTreeMap::new();
        for (name, raw) in raw {
            let path = field("providers", &name);
            if !is_provider_name(&name) {
                // Callers write `<provider>/<model>`, so a `/` or a space would make names
                // ambiguous.
                self.problem(
                    &path,
                    format!("provider name `{name}` must be non-empty, without `/` or spaces"),
                );
            }
            if let Some(provider) = self.provider(&path, raw) {
                providers.insert(name, provider);
            }
        }
        providers
    }

    /// `None` when the kind is missing or unknown (already reported).
    fn provider(&mut self, path: &str, raw: RawProvider) -> Option<ProviderConfig> {
        let kind_path = field(path, "kind");
        let kind = match non_empty(raw.kind) {
            None => {
                self.problem(
                    &kind_path,
                    format!(
                        "is required; one of {}",
                        <ProviderKind as Keyword>::expected()
                    ),
                );
                None
            }
            Some(word) => self.known_keyword::<ProviderKind>(&kind_path, &word),
        };

        let base_url = self.base_url(&field(path, "base_url"), raw.base_url, kind);
        let api_version = non_empty(raw.api_version);
        match (kind, &api_version) {
            (Some(ProviderKind::Azure), None) => {
                self.problem(
                    field(path, "api_version"),
                    "is required for kind azure (e.g. 2024-10-21)",
                );
            }
            (Some(kind), Some(_)) if kind != ProviderKind::Azure => {
                self.problem(
                    field(path, "api_version"),
                    format!("is only used by kind azure, not {kind}"),
                );
            }
            _ => {}
        }
        let mock = match (kind, raw.mock) {
            (Some(ProviderKind::Mock), raw_mock) => Some(self.mock(&field(path, "mock"), raw_mock)),
            (Some(kind), Some(_)) => {
                self.problem(
                    field(path, "mock"),
                    format!("a `mock` block is only allowed for kind mock, not {kind}"),
                );
                None
            }
            _ => None,
        };
        let headers = self.headers(&field(path, "headers"), raw.headers.unwrap_or_default());
        let connect_timeout = raw.connect_timeout_ms.map(|ms| {
            self.millis(
                &field(path, "connect_timeout_ms"),
                Some(ms),
                std::time::Duration::from_secs(5),
            )
        });

        Some(ProviderConfig {
            kind: kind?,
            base_url,
            api_key: non_empty(raw.api_key).map(Secret::new),
            api_version,
            headers,
            connect_timeout,
            mock,
        })
    }

    /// Required except for the mock; `http(s)://` only; trailing `/` removed so that paths can
    /// be appended with a single `/`.
    fn base_url(
        &mut self,
        path: &str,
        raw: Option<String>,
        kind: Option<ProviderKind>,
    ) -> Option<String> {
        let Some(url) = non_empty(raw) else {
            if kind.is_some_and(|k| k != ProviderKind::Mock) {
                self.problem(path, "is required (the URL the provider's own SDK uses)");
            }
            return None;
        };
        let url = url.trim();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            self.problem(path, format!("`{url}` must start with http:// or https://"));
        }
        Some(url.trim_end_matches('/').to_owned())
    }

    fn mock(&mut self, path: &str, raw: Option<RawMock>) -> MockConfig {
        let defaults = MockConfig::default();
        let Some(raw) = raw else {
            return defaults;
        };
        let latency_ms = self.int_in(&field(path, "latency_ms"), raw.latency_ms, 0, i64::MAX, 0);
        let output_tokens = self.int_in(
            &field(path, "output_tokens"),
            raw.output_tokens,
            0,
            i64::from(u32::MAX),
            i64::from(defaults.output_tokens),
        );
        let chunk_delay_ms = self.int_in(
            &field(path, "chunk_delay_ms"),
            raw.chunk_delay_ms,
            0,
            i64::MAX,
            0,
        );
        MockConfig {
            latency: std::time::Duration::from_millis(latency_ms.unsigned_abs()),
            output_tokens: u32::try_from(output_tokens).unwrap_or(defaults.output_tokens),
            chunk_delay: std::time::Duration::from_millis(chunk_delay_ms.unsigned_abs()),
        }
    }

    /// Header names must be HTTP tokens and values free of line breaks, or the upstream request
    /// could not be built (or worse, could be split).
    fn headers(&mut self, path: &str, raw: BTreeMap<String, String>) -> BTreeMap<String, String> {
        for (name, value) in &raw {
            let header_path = field(path, name);
            if name.is_empty() || !name.bytes().all(is_token_byte) {
                self.problem(
                    &header_path,
                    format!("`{name}` is not a valid HTTP header name"),
                );
            }
            if value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
                self.problem(
                    &header_path,
                    "header value must not contain control characters",
                );
            }
        }
        raw
    }
}

fn is_provider_name(name: &str) -> bool {
    !name.is_empty() && !name.contains('/') && !name.contains(char::is_whitespace)
}

/// RFC 9110 `tchar`.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}
