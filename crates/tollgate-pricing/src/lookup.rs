//! Finding the catalog entry for the model a provider serves.
//!
//! LiteLLM stores OpenAI and Anthropic models bare (`gpt-4o`, `claude-sonnet-4-5`) and most
//! others under a provider prefix (`azure/gpt-4o`, `gemini/gemini-2.5-pro`,
//! `openrouter/openai/gpt-4o`). [`Catalog::find`] tries these keys, in order, and takes the
//! first that exists:
//!
//! 1. `{prefix}{model}` for each LiteLLM prefix of the provider (see [`ProviderScope`]);
//! 2. the bare `{model}`;
//! 3. when the model has a `vendor/` prefix (OpenRouter's `openai/gpt-4o-mini`, Gemini's
//!    `models/gemini-2.5-pro`): steps 1 and 2 with that prefix removed;
//! 4. only if none of those exists and the model ends in a date (`gpt-4o-2024-08-06`,
//!    `claude-3-5-sonnet-20241022`): steps 1 to 3 with the date removed. A dated snapshot is
//!    usually priced like its alias, but not always (`gpt-4o-2024-05-13` costs twice
//!    `gpt-4o`), which is why every exact form is tried first.

use crate::catalog::{Catalog, CatalogEntry};

/// Which LiteLLM key prefixes a Tollgate provider's models live under, tried in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ProviderScope {
    /// Names the scope in the resolver's cache; two scopes with one name look up alike.
    pub(crate) name: &'static str,
    pub(crate) prefixes: &'static [&'static str],
}

impl ProviderScope {
    const fn new(name: &'static str, prefixes: &'static [&'static str]) -> Self {
        Self { name, prefixes }
    }
}

const OPENAI: ProviderScope = ProviderScope::new("openai", &[""]);
const AZURE: ProviderScope = ProviderScope::new("azure", &["azure/"]);
const ANTHROPIC: ProviderScope = ProviderScope::new("anthropic", &["", "anthropic/"]);
const GEMINI: ProviderScope = ProviderScope::new("gemini", &["gemini/"]);
const OPENROUTER: ProviderScope = ProviderScope::new("openrouter", &["openrouter/"]);
const GROQ: ProviderScope = ProviderScope::new("groq", &["groq/"]);
const TOGETHER: ProviderScope = ProviderScope::new("together", &["together_ai/"]);
const MISTRAL: ProviderScope = ProviderScope::new("mistral", &["mistral/"]);
const DEEPSEEK: ProviderScope = ProviderScope::new("deepseek", &["deepseek/"]);
const XAI: ProviderScope = ProviderScope::new("xai", &["xai/"]);
/// The mock and any kind this crate does not know: bare keys only.
const OTHER: ProviderScope = ProviderScope::new("other", &[]);

/// An OpenAI-compatible service whose models LiteLLM stores under their own prefix.
struct KnownHost {
    /// The host hint callers may pass instead of a base URL.
    hint: &'static str,
    /// Matches this domain and its subdomains.
    domain: &'static str,
    scope: ProviderScope,
}

const KNOWN_HOSTS: &[KnownHost] = &[
    KnownHost {
        hint: "groq",
        domain: "groq.com",
        scope: GROQ,
    },
    KnownHost {
        hint: "together",
        domain: "together.xyz",
        scope: TOGETHER,
    },
    KnownHost {
        hint: "together",
        domain: "together.ai",
        scope: TOGETHER,
    },
    KnownHost {
        hint: "mistral",
        domain: "mistral.ai",
        scope: MISTRAL,
    },
    KnownHost {
        hint: "deepseek",
        domain: "deepseek.com",
        scope: DEEPSEEK,
    },
    KnownHost {
        hint: "xai",
        domain: "x.ai",
        scope: XAI,
    },
];

/// The host hint for an OpenAI-compatible base URL (`https://api.groq.com/openai/v1` →
/// `groq`), or `None` for OpenAI itself and unknown servers.
pub fn host_hint_for_base_url(base_url: &str) -> Option<&'static str> {
    known_host_by_url(base_url).map(|known| known.hint)
}

/// The scope for a Tollgate provider kind. `host_hint` only matters for kind `openai` (any
/// OpenAI-compatible server); it may be a hint name (`groq`, `together`, `mistral`,
/// `deepseek`, `xai`) or the provider's base URL.
pub(crate) fn provider_scope(provider_kind: &str, host_hint: Option<&str>) -> ProviderScope {
    match provider_kind {
        "openai" => host_hint.and_then(known_host_scope).unwrap_or(OPENAI),
        "azure" => AZURE,
        "anthropic" => ANTHROPIC,
        "gemini" => GEMINI,
        "openrouter" => OPENROUTER,
        // Kinds Tollgate may add for these hosts; LiteLLM's own name for Together too.
        "together_ai" => TOGETHER,
        other => known_host_scope(other).unwrap_or(OTHER),
    }
}

fn known_host_scope(hint_or_url: &str) -> Option<ProviderScope> {
    KNOWN_HOSTS
        .iter()
        .find(|known| hint_or_url.eq_ignore_ascii_case(known.hint))
        .or_else(|| known_host_by_url(hint_or_url))
        .map(|known| known.scope)
}

fn known_host_by_url(url_or_host: &str) -> Option<&'static KnownHost> {
    let host = host_of(url_or_host);
    KNOWN_HOSTS
        .iter()
        .find(|known| is_domain_or_subdomain(host, known.domain))
}

/// `https://api.groq.com:443/openai/v1` → `api.groq.com`; a bare host is returned as is.
fn host_of(url_or_host: &str) -> &str {
    let after_scheme = url_or_host
        .split_once("://")
        .map_or(url_or_host, |(_, rest)| rest);
    let authority = after_scheme
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    host_port.split(':').next().unwrap_or_default()
}

fn is_domain_or_subdomain(host: &str, domain: &str) -> bool {
    host.eq_ignore_ascii_case(domain)
        || host.len() > domain.len()
            && host.is_char_boundary(host.len() - domain.len())
            && host[host.len() - domain.len()..].eq_ignore_ascii_case(domain)
            && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
}

/// Every key [`Catalog::find`] tries, in order, without duplicates.
pub(crate) fn lookup_keys(scope: ProviderScope, upstream_model: &str) -> Vec<String> {
    let mut keys = Vec::new();
    push_exact_forms(&mut keys, scope, upstream_model);
    if let Some(undated) = strip_dated_suffix(upstream_model) {
        push_exact_forms(&mut keys, scope, undated);
    }
    keys
}

/// Steps 1 to 3 of the module doc for one model name.
fn push_exact_forms(keys: &mut Vec<String>, scope: ProviderScope, model: &str) {
    push_prefixed_and_bare(keys, scope, model);
    if let Some((_vendor, rest)) = model.split_once('/')
        && !rest.is_empty()
    {
        push_prefixed_and_bare(keys, scope, rest);
    }
}

fn push_prefixed_and_bare(keys: &mut Vec<String>, scope: ProviderScope, model: &str) {
    for prefix in scope.prefixes {
        push_unique(keys, format!("{prefix}{model}"));
    }
    push_unique(keys, model.to_owned());
}

fn push_unique(keys: &mut Vec<String>, key: String) {
    if !keys.contains(&key) {
        keys.push(key);
    }
}

/// `gpt-4o-2024-08-06` → `gpt-4o`, `claude-3-5-sonnet-20241022` → `claude-3-5-sonnet`.
/// Only 20xx dates with a valid month and day, so versions such as `gpt-4-0613` are left alone.
pub(crate) fn strip_dated_suffix(model: &str) -> Option<&str> {
    if let Some((base, date)) = model.rsplit_once('-') {
        let date = date.as_bytes();
        if !base.is_empty()
            && date.len() == 8
            && is_plausible_date(&date[..4], &date[4..6], &date[6..])
        {
            return Some(base);
        }
    }
    let bytes = model.as_bytes();
    let n = bytes.len();
    let iso_dated = n > 11
        && bytes[n - 11] == b'-'
        && bytes[n - 6] == b'-'
        && bytes[n - 3] == b'-'
        && is_plausible_date(&bytes[n - 10..n - 6], &bytes[n - 5..n - 3], &bytes[n - 2..]);
    // Byte `n - 11` is an ASCII dash, so cutting there is on a character boundary.
    if iso_dated { model.get(..n - 11) } else { None }
}

fn is_plausible_date(year: &[u8], month: &[u8], day: &[u8]) -> bool {
    match (
        decimal_digits(year),
        decimal_digits(month),
        decimal_digits(day),
    ) {
        (Some(year), Some(month), Some(day)) => {
            (2000..=2099).contains(&year) && (1..=12).contains(&month) && (1..=31).contains(&day)
        }
        _ => false,
    }
}

fn decimal_digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |value, byte| {
        byte.is_ascii_digit()
            .then(|| value * 10 + u32::from(byte - b'0'))
    })
}

impl Catalog {
    /// The catalog entry for a model served by a provider of this Tollgate kind (`openai`,
    /// `azure`, `anthropic`, `gemini`, `openrouter`, ...), trying the keys in the order of the
    /// module documentation. `None`: the model is not in the catalog (unpriced).
    pub fn find(&self, provider_kind: &str, upstream_model: &str) -> Option<&CatalogEntry> {
        self.find_for_host(provider_kind, None, upstream_model)
    }

    /// [`Catalog::find`] for an OpenAI-compatible provider on a known host (`groq`, `together`,
    /// `mistral`, `deepseek`, `xai`, or the provider's base URL), whose models LiteLLM stores
    /// under that host's prefix.
    pub fn find_for_host(
        &self,
        provider_kind: &str,
        host_hint: Option<&str>,
        upstream_model: &str,
    ) -> Option<&CatalogEntry> {
        let scope = provider_scope(provider_kind, host_hint);
        self.find_in_scope(scope, upstream_model)
    }

    pub(crate) fn find_in_scope(
        &self,
        scope: ProviderScope,
        upstream_model: &str,
    ) -> Option<&CatalogEntry> {
        lookup_keys(scope, upstream_model)
            .iter()
            .find_map(|key| self.get(key))
    }
}

#[cfg(test)]
mod tests;
