//! Validators for e-mail addresses and IP addresses.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::context::{is_word, next_char, prev_char, second_char, word_before};

fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._%+-".contains(c)
}

/// Top-level "domains" that are really file extensions (`icon@2x.png`, `module@1.js`).
const FILE_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "css", "js", "mjs", "ts", "tsx", "jsx",
    "json", "yaml", "yml", "lock", "zip", "tgz",
];

pub(crate) fn email(hay: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let value = hay.get(start..end)?;
    let (local, domain) = value.split_once('@')?;
    let before = prev_char(hay, start);
    if before.is_some_and(|c| is_local_char(c) || c == '@') {
        return None;
    }
    let after = next_char(hay, end);
    if after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '@' || c == '_')
        || (after == Some('.') && is_word(second_char(hay, end)))
    {
        return None;
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return None;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let labels_ok = labels
        .iter()
        .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
    let tld = labels.last().copied().unwrap_or("");
    let retina = labels
        .first()
        .and_then(|l| l.strip_suffix('x'))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    let file = FILE_EXTENSIONS.contains(&tld.to_ascii_lowercase().as_str());
    // `git@github.com:org/repo.git` names a transport, not a person.
    let ssh_remote = local == "git" && after == Some(':');
    (labels_ok && !retina && !file && !ssh_remote).then_some((start, end))
}

/// Dotted quads that parse (no leading zeros, octets <= 255), are not versions or OIDs, and
/// are not the unspecified, loopback or broadcast address or a netmask.
pub(crate) fn ipv4(hay: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let value = hay.get(start..end)?;
    let addr: Ipv4Addr = value.parse().ok()?;
    let before = prev_char(hay, start);
    if is_word(before) || before == Some('.') || before == Some('-') {
        return None;
    }
    let after = next_char(hay, end);
    if is_word(after) || (matches!(after, Some('.' | '-')) && is_word(second_char(hay, end))) {
        return None;
    }
    if word_before(
        hay,
        start,
        16,
        &[
            "version", "ver ", "ver.", "v.", "release", "firmware", "build",
        ],
    ) {
        return None;
    }
    let [first, ..] = addr.octets();
    let special =
        addr.is_unspecified() || addr.is_loopback() || addr.is_broadcast() || first == 255;
    (!special).then_some((start, end))
}

/// Candidates are runs of hex digits, colons and dots; they count if `std` parses them, they
/// contain a digit (so `add::add` in code does not), and they are not `::` or `::1`.
pub(crate) fn ipv6(hay: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let before = prev_char(hay, start);
    if is_word(before) || before == Some(':') {
        return None;
    }
    let mut value_end = end;
    let mut value = hay.get(start..end)?;
    // A sentence may end right after the address.
    while value.ends_with('.') {
        value = value.get(..value.len() - 1)?;
        value_end -= 1;
    }
    let addr: Ipv6Addr = value.parse().ok()?;
    let after = next_char(hay, value_end);
    if is_word(after) || after == Some(':') {
        return None;
    }
    let has_digit = value.bytes().any(|b| b.is_ascii_digit());
    let colons = value.bytes().filter(|b| *b == b':').count();
    (has_digit && colons >= 2 && !addr.is_unspecified() && !addr.is_loopback())
        .then_some((start, value_end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(f: fn(&str, usize, usize) -> Option<(usize, usize)>, s: &str) -> bool {
        f(s, 0, s.len()).is_some()
    }

    #[test]
    fn std_rejects_leading_zeros() {
        assert!("01.2.3.4".parse::<Ipv4Addr>().is_err());
        assert!(!whole(ipv4, "01.2.3.4"));
        assert!(whole(ipv4, "203.0.113.7"));
        assert!(!whole(ipv4, "127.0.0.1"));
    }

    #[test]
    fn ipv6_shapes() {
        assert!(whole(ipv6, "2001:db8::1"));
        assert!(whole(ipv6, "fe80::1ff:fe23:4567:890a"));
        assert!(!whole(ipv6, "10:30:45"));
        assert!(!whole(ipv6, "dead::beef"));
        assert!(!whole(ipv6, "::1"));
    }

    #[test]
    fn email_shapes() {
        assert!(whole(email, "jane.doe@example.com"));
        assert!(!whole(email, "icon@2x.png"));
        assert!(!whole(email, "a..b@example.com"));
    }
}
