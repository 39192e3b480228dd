//! Checksums and issuing rules that separate real identifiers from look-alikes.

/// Luhn (mod 10) over decimal digits (values 0..=9).
pub(crate) fn luhn_ok(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(*d);
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

/// Whether a card number's issuer prefix and length belong to a real scheme. Luhn alone lets
/// one random number in ten through; the prefix table removes most of the rest (timestamps,
/// order numbers starting with 1, 7, 8, 9...).
pub(crate) fn card_brand_ok(digits: &[u8]) -> bool {
    let len = digits.len();
    let prefix = |n: usize| -> u32 {
        digits
            .iter()
            .take(n)
            .fold(0u32, |acc, d| acc * 10 + u32::from(*d))
    };
    let p1 = prefix(1);
    let p2 = prefix(2);
    let p3 = prefix(3);
    let p4 = prefix(4);
    let p6 = prefix(6);
    // Visa
    (p1 == 4 && matches!(len, 13 | 16 | 19))
        // Mastercard (51-55 and the 2-series)
        || ((51..=55).contains(&p2) || (2221..=2720).contains(&p4)) && len == 16
        // American Express
        || (p2 == 34 || p2 == 37) && len == 15
        // Discover, UnionPay
        || (p4 == 6011 || p2 == 65 || (644..=649).contains(&p3) || (622_126..=622_925).contains(&p6)
            || p2 == 62)
            && (16..=19).contains(&len)
        // Diners Club
        || ((300..=305).contains(&p3) || p2 == 36 || p2 == 38 || p2 == 39) && (14..=19).contains(&len)
        // JCB
        || (3528..=3589).contains(&p4) && (16..=19).contains(&len)
        // Maestro
        || matches!(p4, 5018 | 5020 | 5038 | 5893 | 6304 | 6759 | 6761..=6763) && (12..=19).contains(&len)
}

/// IBAN length per country (ISO 13616 registry, the countries in common use).
pub(crate) fn iban_length(country: &str) -> Option<usize> {
    let len = match country {
        "NO" => 15,
        "BE" => 16,
        "DK" | "FI" | "FO" | "GL" | "NL" => 18,
        "MK" | "SI" => 19,
        "AT" | "BA" | "EE" | "KZ" | "LT" | "LU" | "XK" => 20,
        "CH" | "CR" | "HR" | "LI" | "LV" => 21,
        "BG" | "BH" | "DE" | "GB" | "GE" | "IE" | "ME" | "RS" => 22,
        "AE" | "GI" | "IL" | "TL" => 23,
        "AD" | "CZ" | "ES" | "MD" | "PK" | "RO" | "SA" | "SE" | "SK" | "TN" | "VG" => 24,
        "PT" | "ST" => 25,
        "IS" | "TR" => 26,
        "FR" | "GR" | "IT" | "MC" | "MR" | "SM" => 27,
        "AL" | "AZ" | "BY" | "CY" | "DO" | "GT" | "HU" | "LB" | "PL" => 28,
        "BR" | "EG" | "PS" | "QA" | "UA" => 29,
        "JO" | "KW" | "MU" => 30,
        "MT" | "SC" => 31,
        "LC" => 32,
        "RU" => 33,
        _ => return None,
    };
    Some(len)
}

/// ISO 7064 mod 97-10 over an IBAN of upper-case letters and digits, no spaces.
pub(crate) fn iban_checksum_ok(iban: &[u8]) -> bool {
    if iban.len() < 5 {
        return false;
    }
    let (head, tail) = iban.split_at(4);
    let mut rem = 0u32;
    for &c in tail.iter().chain(head) {
        match c {
            b'0'..=b'9' => rem = (rem * 10 + u32::from(c - b'0')) % 97,
            b'A'..=b'Z' => rem = (rem * 100 + u32::from(c - b'A') + 10) % 97,
            _ => return false,
        }
    }
    rem == 1
}

/// US SSN issuing rules: area 001-899 except 666, group 01-99, serial 0001-9999, and not one
/// of the numbers published in advertising (which were voided).
pub(crate) fn ssn_ok(digits: &[u8]) -> bool {
    if digits.len() != 9 {
        return false;
    }
    let num = |r: std::ops::Range<usize>| {
        digits
            .get(r)
            .unwrap_or(&[])
            .iter()
            .fold(0u32, |a, d| a * 10 + u32::from(*d))
    };
    let (area, group, serial) = (num(0..3), num(3..5), num(5..9));
    let voided = matches!((area, group, serial), (78, 5, 1120) | (219, 9, 9999));
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0 && !voided
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Vec<u8> {
        s.bytes().map(|b| b - b'0').collect()
    }

    #[test]
    fn luhn() {
        assert!(luhn_ok(&d("4111111111111111")));
        assert!(luhn_ok(&d("378282246310005")));
        assert!(!luhn_ok(&d("4111111111111112")));
    }

    #[test]
    fn brands() {
        assert!(card_brand_ok(&d("4111111111111111")));
        assert!(card_brand_ok(&d("5555555555554444")));
        assert!(card_brand_ok(&d("2223003122003222")));
        assert!(card_brand_ok(&d("378282246310005")));
        assert!(card_brand_ok(&d("6011111111111117")));
        assert!(card_brand_ok(&d("3530111333300000")));
        assert!(card_brand_ok(&d("30569309025904")));
        assert!(!card_brand_ok(&d("1714070400123")));
        assert!(!card_brand_ok(&d("9111111111111111")));
    }

    #[test]
    fn iban() {
        assert!(iban_checksum_ok(b"GB82WEST12345698765432"));
        assert!(iban_checksum_ok(b"DE89370400440532013000"));
        assert!(!iban_checksum_ok(b"DE89370400440532013001"));
        assert_eq!(iban_length("DE"), Some(22));
    }

    #[test]
    fn ssn() {
        assert!(ssn_ok(&d("536228745")));
        assert!(!ssn_ok(&d("000123456")));
        assert!(!ssn_ok(&d("666123456")));
        assert!(!ssn_ok(&d("912345678")));
        assert!(!ssn_ok(&d("536008745")));
        assert!(!ssn_ok(&d("536220000")));
        assert!(!ssn_ok(&d("078051120")));
    }
}
