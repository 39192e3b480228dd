//! Exact decimals from YAML scalars.
//!
//! `0.075` must stay 0.075: a price read through `f64` would become 0.07499999999999999722...
//! and every cost computed from it would drift. So the scalar's own text is parsed as a
//! decimal; quoted numeric strings (`"0.075"`) work the same way.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, Deserializer, Visitor};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ExactDecimal(pub Decimal);

impl<'de> serde::Deserialize<'de> for ExactDecimal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Asking for a string makes the YAML deserializer hand over the scalar's text, even
        // for an unquoted number, instead of converting it to f64 first.
        deserializer.deserialize_str(DecimalVisitor)
    }
}

struct DecimalVisitor;

impl Visitor<'_> for DecimalVisitor {
    type Value = ExactDecimal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal number such as 0.15")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<ExactDecimal, E> {
        parse_decimal(text.trim()).map(ExactDecimal).ok_or_else(|| {
            if Decimal::from_str(text.trim()).is_ok() {
                E::custom(format!(
                    "`{text}` has more digits than can be kept exactly (at most 28)"
                ))
            } else {
                E::custom(format!("`{text}` is not a decimal number"))
            }
        })
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<ExactDecimal, E> {
        Ok(ExactDecimal(Decimal::from(value)))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<ExactDecimal, E> {
        Ok(ExactDecimal(Decimal::from(value)))
    }
}

/// Plain (`0.075`, `-1`, `.5`) or scientific (`7.5e-2`) notation.
fn parse_decimal(text: &str) -> Option<Decimal> {
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).ok()
    } else {
        Decimal::from_str_exact(text).ok()
    }
}
