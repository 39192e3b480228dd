//! Money as an integer count of nano-dollars: exact to add, compare and reserve, never `f64`.

use std::fmt;
use std::str::FromStr;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

/// An amount of US dollars in units of 1e-9 USD. `i64` holds ±9.2 billion dollars, far beyond any
/// budget, while one nano-dollar is below the price of a single token of any model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NanoUsd(pub i64);

const NANOS_PER_USD: i64 = 1_000_000_000;

impl NanoUsd {
    pub const ZERO: NanoUsd = NanoUsd(0);

    /// Converts an exact decimal amount of dollars, rounding half away from zero to the nearest
    /// nano-dollar. `None` if it does not fit.
    pub fn from_usd_decimal(usd: Decimal) -> Option<NanoUsd> {
        // `checked_mul`: amounts come from callers and upstreams, and `*` panics on overflow.
        let nanos = usd
            .checked_mul(Decimal::from(NANOS_PER_USD))?
            .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
        nanos.to_i64().map(NanoUsd)
    }

    /// Parses the text of a decimal or a JSON number (`"0.00095"`, `"1e-6"`) exactly.
    pub fn parse_usd(text: &str) -> Option<NanoUsd> {
        let text = text.trim();
        let decimal = Decimal::from_str(text)
            .or_else(|_| Decimal::from_scientific(text))
            .ok()?;
        NanoUsd::from_usd_decimal(decimal)
    }

    pub fn to_usd_decimal(self) -> Decimal {
        Decimal::new(self.0, 9)
    }

    pub fn checked_add(self, other: NanoUsd) -> Option<NanoUsd> {
        self.0.checked_add(other.0).map(NanoUsd)
    }

    pub fn saturating_sub(self, other: NanoUsd) -> NanoUsd {
        NanoUsd(self.0.saturating_sub(other.0))
    }

    /// The shortest exact decimal form, for JSON numbers (`0.00123`, `0`).
    pub fn to_json_number(self) -> String {
        self.to_usd_decimal().normalize().to_string()
    }
}

/// The admin API's form: nine decimal places (`"0.001230000"`).
impl fmt::Display for NanoUsd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let whole = abs / NANOS_PER_USD as u64;
        let frac = abs % NANOS_PER_USD as u64;
        write!(f, "{sign}{whole}.{frac:09}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly_and_prints_nine_places() {
        assert_eq!(NanoUsd::parse_usd("0.00095"), Some(NanoUsd(950_000)));
        assert_eq!(NanoUsd::parse_usd("1e-6"), Some(NanoUsd(1_000)));
        assert_eq!(NanoUsd(1_230_000).to_string(), "0.001230000");
        assert_eq!(NanoUsd(-5).to_string(), "-0.000000005");
        assert_eq!(NanoUsd(12_500_000_000).to_string(), "12.500000000");
    }

    #[test]
    fn json_number_has_no_float_noise() {
        assert_eq!(NanoUsd(950_000).to_json_number(), "0.00095");
        assert_eq!(NanoUsd(0).to_json_number(), "0");
        assert_eq!(NanoUsd(3 * NANOS_PER_USD).to_json_number(), "3");
    }

    #[test]
    fn rounds_sub_nano_amounts_half_away_from_zero() {
        assert_eq!(NanoUsd::parse_usd("0.0000000015"), Some(NanoUsd(2)));
        assert_eq!(NanoUsd::parse_usd("0.0000000014"), Some(NanoUsd(1)));
        assert_eq!(NanoUsd::parse_usd("not money"), None);
        assert_eq!(
            NanoUsd::parse_usd("99999999999999999999"),
            None,
            "overflow is None, not a panic"
        );
        assert_eq!(NanoUsd::parse_usd("1e300"), None);
    }
}

/// Where a call's cost came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CostSource {
    /// The provider said what it charged (OpenRouter `usage.cost`, a cost header).
    Provider,
    /// Tollgate computed it from the price catalog and the reported usage.
    Catalog,
}

impl CostSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CostSource::Provider => "provider",
            CostSource::Catalog => "catalog",
        }
    }
}

/// The cost of one call and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    pub usd: NanoUsd,
    pub source: CostSource,
}
