//! Validators for numeric identifiers: phones, payment cards, IBANs, US SSNs.
//!
//! Each takes the haystack and a regex candidate `start..end` and returns the span of the value
//! (which may be shorter than the candidate) or `None` for a look-alike.

use super::checksum::{card_brand_ok, iban_checksum_ok, iban_length, luhn_ok, ssn_ok};
use super::context::{
    NOT_PERSONAL_CONTEXT, PHONE_CONTEXT, continues_number, digits_of, has_word, is_digit, is_word,
    left_window, next_char, number_before, prev_char, word_before,
};

/// Words that make a bare digit run a card number even next to "order" or "transaction".
const CARD_CONTEXT: &[&str] = &[
    "card",
    "visa",
    "mastercard",
    "amex",
    "credit",
    "debit",
    "cc ",
    "tarjeta",
    "carte",
    "karte",
];

fn digit_count(value: &str) -> usize {
    value.bytes().filter(u8::is_ascii_digit).count()
}

fn balanced_parens(value: &str) -> bool {
    let count = |p: u8| value.bytes().filter(|b| *b == p).count();
    count(b'(') == count(b')')
}

fn bounded_number(hay: &str, start: usize, end: usize) -> bool {
    let before = prev_char(hay, start);
    !is_word(before)
        && before != Some('+')
        && !number_before(hay, start, &['-', '.', '/', ' '])
        && !is_digit(next_char(hay, end))
        && !continues_number(hay, end, &['-', '.', '/'])
        && (next_char(hay, end) != Some('.') || !is_word(super::context::second_char(hay, end)))
}

fn not_an_identifier(hay: &str, start: usize) -> bool {
    !word_before(hay, start, 24, NOT_PERSONAL_CONTEXT) || word_before(hay, start, 24, PHONE_CONTEXT)
}

/// `+CC ...`: the plus sign is a strong signal, so only the digit count and shape are checked.
pub(crate) fn phone_international(hay: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let mut end = end;
    let mut value = hay.get(start..end)?;
    // `(+34 612 345 678)`: the closing parenthesis belongs to the sentence.
    if value.ends_with(')') && value.matches('(').count() < value.matches(')').count() {
        end -= 1;
        value = hay.get(start..end)?;
    }
    let digits = digit_count(value);
    let balanced = balanced_parens(value);
    let doubled = value.contains("  ") || value.contains("--") || value.contains("..");
    ((8..=15).contains(&digits) && balanced && !doubled && bounded_number(hay, start, end))
        .then_some((start, end))
}

/// Any other digit run (`555 123 4567`, `5125550199`) is a phone only after a phone word
/// (`phone:`, `call me at`, `Tel.`) in the few bytes before it.
pub(crate) fn phone_with_context(hay: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let value = hay.get(start..end)?;
    let digits = digit_count(value);
    let balanced = balanced_parens(value);
    // The context test first: most digit runs have no phone word before them.
    (word_before(hay, start, 24, PHONE_CONTEXT)
        && (7..=15).contains(&digits)
        && balanced
        && !looks_like_date(value)
        && bounded_number(hay, start, end))
    .then_some((start, end))
}

/// North American numbers: `(212) 555-0199`, `212-555-0199`, `212.555.0199`, `1-800-555-0199`.
/// Ten bare digits only count next to a phone word (handled by `phone_with_context`).
pub(crate) fn phone_nanp(hay: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let value = hay.get(start..end)?;
    let digits = digits_of(value);
    let local: &[u8] = match digits.len() {
        10 => &digits,
        11 if digits.first() == Some(&1) => digits.get(1..)?,
        _ => return None,
    };
    let punctuated = value.contains(['-', '.', '(', ' ']);
    let balanced = value.matches('(').count() == value.matches(')').count();
    // N11 codes (211, 411, 911...) are services, not area codes.
    let service = local.get(1..3) == Some(&[1, 1]);
    (punctuated
        && balanced
        && !service
        && bounded_number(hay, start, end)
        && not_an_identifier(hay, start))
    .then_some((start, end))
}

/// National formats with a trunk 0: `020 7946 0958`, `030 12345678`, `01 23 45 67 89`,
/// `03-1234-5678`. One separator style throughout, and dates are excluded.
pub(crate) fn phone_national(hay: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let value = hay.get(start..end)?;
    let digits = digit_count(value);
    let mut seps = value
        .bytes()
        .filter(|b| matches!(b, b'-' | b'.' | b' ' | b'/'));
    let first_sep = seps.next();
    let one_style = seps.all(|s| Some(s) == first_sep);
    if first_sep.is_none() || !one_style || looks_like_date(value) {
        return None;
    }
    ((10..=11).contains(&digits)
        && bounded_number(hay, start, end)
        && not_an_identifier(hay, start))
    .then_some((start, end))
}

/// `dd.mm.yyyy`, `yyyy-mm-dd`, `dd/mm/yy` and similar.
fn looks_like_date(value: &str) -> bool {
    let groups: Vec<usize> = value
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .map(str::len)
        .collect();
    matches!(
        groups.as_slice(),
        [2, 2, 4] | [4, 2, 2] | [2, 2, 2] | [1, 1, 4] | [1, 2, 4] | [2, 1, 4]
    ) && value.contains(['.', '/', '-'])
}

/// Payment cards: 13-19 digits, one separator style in 4-digit groups (or Amex/Diners 4-6-5,
/// 4-6-4), Luhn-valid, with a real issuer prefix. When trailing digit groups belong to
/// something else (`4111 1111 1111 1111 12/25`) the longest valid prefix of groups wins.
pub(crate) fn card(hay: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let value = hay.get(start..end)?;
    let sep = value.chars().find(|c| *c == ' ' || *c == '-');
    if is_word(prev_char(hay, start)) || number_before(hay, start, &[' ', '-', '.']) {
        return None;
    }
    if sep.is_none() {
        let window = left_window(hay, start, 24);
        let card_word = has_word(&window, CARD_CONTEXT);
        let ok = value.len() >= 13
            && !is_word(next_char(hay, end))
            && (card_word || !has_word(&window, NOT_PERSONAL_CONTEXT));
        let digits = digits_of(value);
        return (ok && luhn_ok(&digits) && card_brand_ok(&digits)).then_some((start, end));
    }
    let sep = sep?;
    if value.contains(|c: char| !c.is_ascii_digit() && c != sep) {
        return None;
    }
    // Group boundaries as byte offsets into `value`.
    let mut cut_points: Vec<usize> = value.match_indices(sep).map(|(i, _)| i).collect();
    cut_points.push(value.len());
    for &cut in cut_points.iter().rev() {
        let candidate = value.get(..cut)?;
        let groups: Vec<usize> = candidate.split(sep).map(str::len).collect();
        let layout_ok = matches!(groups.as_slice(), [4, 6, 5] | [4, 6, 4])
            || (groups.len() >= 3
                && groups.iter().rev().skip(1).all(|g| *g == 4)
                && groups.last().is_some_and(|g| (1..=4).contains(g)));
        let digits = digits_of(candidate);
        let cut_end = start + cut;
        if layout_ok
            && (13..=19).contains(&digits.len())
            && luhn_ok(&digits)
            && card_brand_ok(&digits)
            && !is_word(next_char(hay, cut_end))
            && !continues_number(hay, cut_end, &['-', '.'])
        {
            return Some((start, cut_end));
        }
    }
    None
}

/// IBAN: country code, check digits, BBAN, optionally in groups of four. The candidate may run
/// into following words (`... 3000 BIC COBADEFF`), so it is cut at the country's length.
pub(crate) fn iban(hay: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    if is_word(prev_char(hay, start)) {
        return None;
    }
    let value = hay.get(start..end)?;
    let want = iban_length(value.get(..2)?)?;
    let mut compact = Vec::with_capacity(want);
    let mut cut = None;
    for (i, b) in value.bytes().enumerate() {
        if b == b' ' {
            continue;
        }
        compact.push(b);
        if compact.len() == want {
            cut = Some(start + i + 1);
            break;
        }
    }
    let cut = cut?;
    (iban_checksum_ok(&compact) && !is_word(next_char(hay, cut))).then_some((start, cut))
}

/// `123-45-6789`: issued ranges only, and not next to identifier words.
pub(crate) fn ssn_dashed(hay: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let value = hay.get(start..end)?;
    let keyword = word_before(hay, start, 28, SSN_CONTEXT);
    (ssn_ok(&digits_of(value))
        && bounded_number(hay, start, end)
        && (keyword || not_an_identifier(hay, start)))
    .then_some((start, end))
}

/// `SSN: 123 45 6789` / `social security number 123456789`: a keyword in the few bytes before
/// makes spaces and bare digits acceptable.
pub(crate) fn ssn_with_context(hay: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let value = hay.get(start..end)?;
    (word_before(hay, start, 28, SSN_CONTEXT)
        && ssn_ok(&digits_of(value))
        && bounded_number(hay, start, end))
    .then_some((start, end))
}

const SSN_CONTEXT: &[&str] = &[
    "ssn",
    "social security",
    "soc sec",
    "soc. sec",
    "ss#",
    "ss #",
];
