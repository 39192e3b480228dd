//! Validators for credentials. Token formats have fixed prefixes, so the regex finds them; the
//! checks here reject the prefix appearing inside a longer word and placeholder values that
//! documentation is full of (`postgres://user:${DB_PASSWORD}@db`).

use super::context::{is_word, next_char, prev_char};

pub(crate) fn token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

pub(crate) fn alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

pub(crate) fn alnum_dash(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

pub(crate) fn alnum_slash(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'/'
}

pub(crate) fn alnum_underscore(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn starts_clean(hay: &str, start: usize) -> bool {
    !prev_char(hay, start).is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A fixed-length key (AWS access key id, Google API key) standing alone.
pub(crate) fn fixed_token(hay: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let after = next_char(hay, end);
    (starts_clean(hay, start) && !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then_some((start, end))
}

/// A prefixed token of open length: at least `min` bytes (after extension), with a digit, and
/// not starting inside a word.
fn open_token(hay: &str, start: usize, end: usize, min: usize) -> Option<(usize, usize)> {
    let value = hay.get(start..end)?;
    (starts_clean(hay, start) && value.len() >= min && value.bytes().any(|b| b.is_ascii_digit()))
        .then_some((start, end))
}

pub(crate) fn openai(hay: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    // `sk-ant-` belongs to the Anthropic rule; `sk-learn-...` style names lack length and digits.
    if hay.get(start..end)?.starts_with("sk-ant-") {
        return None;
    }
    open_token(hay, start, end, 40)
}

pub(crate) fn anthropic(hay: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    open_token(hay, start, end, 40)
}

pub(crate) fn github(hay: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    open_token(hay, start, end, 40)
}

pub(crate) fn slack(hay: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    open_token(hay, start, end, 24)
}

pub(crate) fn stripe(hay: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    open_token(hay, start, end, 24)
}

/// Prefix-anchored tokens whose prefix already sits inside a URL or longer literal.
pub(crate) fn any_token(hay: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    hay.get(start..end).map(|_| (start, end))
}

pub(crate) fn jwt(hay: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    starts_clean(hay, start).then_some((start, end))
}

/// `aws_secret_access_key = "..."`: the value is the last 40 bytes of the candidate.
pub(crate) fn aws_secret(hay: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    if is_word(prev_char(hay, start)) {
        return None;
    }
    let value_start = end.checked_sub(40)?;
    let value = hay.get(value_start..end)?;
    let after = next_char(hay, end);
    let mixed = value.bytes().any(|b| b.is_ascii_lowercase())
        && value
            .bytes()
            .any(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    (mixed && !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '/' || c == '+'))
        .then_some((value_start, end))
}

/// Values that documentation uses in place of a password.
fn placeholder_password(p: &str) -> bool {
    let lower = p.to_ascii_lowercase();
    p.starts_with('$')
        || p.starts_with('%')
        || p.starts_with('{')
        || p.starts_with('<')
        || p.starts_with('[')
        || p.chars()
            .all(|c| c == '*' || c == 'x' || c == 'X' || c == '.')
        || matches!(
            lower.as_str(),
            "password"
                | "pass"
                | "passwd"
                | "pwd"
                | "secret"
                | "your_password"
                | "yourpassword"
                | "mypassword"
                | "changeme"
                | "redacted"
                | "hidden"
                | "example"
        )
}

/// `scheme://user:password@host` (the match starts at `://`): the value is the password.
pub(crate) fn url_password(hay: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    // A scheme of 2-16 URL-scheme characters, starting with a letter, must lead to `://`.
    let before = hay.get(start.saturating_sub(16)..start).unwrap_or("");
    let scheme_len = before
        .bytes()
        .rev()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-'))
        .count();
    let scheme = before.get(before.len() - scheme_len..).unwrap_or("");
    if scheme.len() < 2 || !scheme.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let text = hay.get(start..end)?;
    let userinfo_start = 3;
    let colon = userinfo_start + text.get(userinfo_start..)?.find(':')?;
    let value_start = start + colon + 1;
    let value_end = end.checked_sub(1)?; // before '@'
    let password = hay.get(value_start..value_end)?;
    let host_follows = next_char(hay, end).is_some_and(|c| c.is_alphanumeric() || c == '[');
    (host_follows && !password.is_empty() && !placeholder_password(password))
        .then_some((value_start, value_end))
}

/// `;Password=...` / `?password=...` in connection strings and URLs.
pub(crate) fn param_password(hay: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let text = hay.get(start..end)?;
    let value_start = start + text.find('=')? + 1;
    let password = hay.get(value_start..end)?;
    (!password.is_empty() && !placeholder_password(password)).then_some((value_start, end))
}

pub(crate) fn private_key(hay: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    hay.get(start..end).map(|_| (start, end))
}
