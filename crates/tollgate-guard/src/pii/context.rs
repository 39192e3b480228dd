//! Small look-around helpers for validators. Every look is bounded (at most
//! [`LEFT_WINDOW`] bytes back, a few bytes forward) because the stream scanner only keeps that much
//! context: a validator that looked further would decide differently on a stream than on the
//! whole text.

/// Bytes a validator may look back from a candidate's start.
pub(crate) const LEFT_WINDOW: usize = 32;

pub(crate) fn prev_char(hay: &str, at: usize) -> Option<char> {
    hay.get(..at).and_then(|s| s.chars().next_back())
}

pub(crate) fn next_char(hay: &str, at: usize) -> Option<char> {
    hay.get(at..).and_then(|s| s.chars().next())
}

/// The char after the one at `at`.
pub(crate) fn second_char(hay: &str, at: usize) -> Option<char> {
    hay.get(at..).and_then(|s| s.chars().nth(1))
}

pub(crate) fn is_word(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

pub(crate) fn is_digit(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_ascii_digit())
}

/// A separator followed by a digit right after `at` ("-5", ".5", " 5"): the number goes on.
pub(crate) fn continues_number(hay: &str, at: usize, seps: &[char]) -> bool {
    next_char(hay, at).is_some_and(|c| seps.contains(&c)) && is_digit(second_char(hay, at))
}

/// A digit and then a separator right before `at` ("5-", "5."): the number started earlier.
pub(crate) fn number_before(hay: &str, at: usize, seps: &[char]) -> bool {
    let Some(before) = hay.get(..at) else {
        return false;
    };
    let mut it = before.chars().rev();
    matches!((it.next(), it.next()), (Some(s), Some(d)) if seps.contains(&s) && d.is_ascii_digit())
}

/// Lower-cased text of the window that ends at `at`.
pub(crate) fn left_window(hay: &str, at: usize, bytes: usize) -> String {
    let mut from = at.saturating_sub(bytes.min(LEFT_WINDOW));
    while from < at && !hay.is_char_boundary(from) {
        from += 1;
    }
    hay.get(from..at).unwrap_or("").to_lowercase()
}

/// Whether `window` contains one of `words` starting at a word boundary (so `id` does not fire
/// inside `said`). Words are lower case.
pub(crate) fn has_word(window: &str, words: &[&str]) -> bool {
    words.iter().any(|w| {
        window.match_indices(w).any(|(i, _)| {
            let starts_alnum = w.starts_with(|c: char| c.is_alphanumeric());
            // `_` after the word means an identifier (`credit_card`, a placeholder tag).
            let glued = next_char(window, i + w.len()) == Some('_');
            (!starts_alnum || !is_word(prev_char(window, i))) && !glued
        })
    })
}

/// Words that make a nearby number an identifier rather than a phone, card or SSN.
pub(crate) const NOT_PERSONAL_CONTEXT: &[&str] = &[
    "order",
    "invoice",
    "inv ",
    "tracking",
    "ticket",
    "ref",
    "id",
    "#",
    "no.",
    "sku",
    "part",
    "serial",
    "model",
    "po ",
    "case",
    "build",
    "version",
    "isbn",
    "transaction",
    "txn",
    "confirmation",
    "booking",
    "shipment",
    "batch",
    "lot ",
    "request",
    "job",
    "issue",
    "pr ",
];

/// Words that make a number without a phone's usual punctuation a phone number.
pub(crate) const PHONE_CONTEXT: &[&str] = &[
    "phone",
    "tel",
    "mobile",
    "cell",
    "call",
    "fax",
    "whatsapp",
    "sms",
    "text me",
    "reach me",
    "ring",
    "number is",
    "telefon",
    "téléphone",
    "teléfono",
    "telefono",
    "handy",
    "portable",
    "móvil",
    "celular",
];

pub(crate) fn digits_of(s: &str) -> Vec<u8> {
    s.bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect()
}

/// `has_word(&left_window(hay, at, bytes), words)` without allocating (ASCII windows, the usual
/// case, are compared in place), for the hot path.
pub(crate) fn word_before(hay: &str, at: usize, bytes: usize, words: &[&str]) -> bool {
    let mut from = at.saturating_sub(bytes.min(LEFT_WINDOW));
    while from < at && !hay.is_char_boundary(from) {
        from += 1;
    }
    let raw = hay.as_bytes().get(from..at).unwrap_or(&[]);
    if !raw.is_ascii() {
        return has_word(&left_window(hay, at, bytes), words);
    }
    // Lower-cased once into a stack buffer; each word is then tried only where its first byte
    // occurs.
    let mut buf = [0u8; LEFT_WINDOW];
    let Some(window) = buf.get_mut(..raw.len()) else {
        return false;
    };
    window.copy_from_slice(raw);
    window.make_ascii_lowercase();
    let window = &*window;
    words.iter().any(|w| {
        let w = w.as_bytes();
        let (Some(&first), Some(last_start)) = (w.first(), window.len().checked_sub(w.len()))
        else {
            return false;
        };
        (0..=last_start).any(|i| {
            window.get(i) == Some(&first)
                && window.get(i..i + w.len()) == Some(w)
                && (!first.is_ascii_alphanumeric()
                    || i.checked_sub(1)
                        .and_then(|p| window.get(p))
                        .is_none_or(|b| !(b.is_ascii_alphanumeric() || *b == b'_')))
                && window.get(i + w.len()) != Some(&b'_')
        })
    })
}
