//! The platform fee on credit purchases, by the organization's tier. The fee is charged on top,
//! so every credit bought pays for provider cost.

use std::collections::BTreeMap;

use tollgate_types::NanoUsd;

use super::ledger::{LedgerEntry, LedgerKind};

/// Basis points per tier: 400 = 4 %. Exact integers, no float anywhere near money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeSchedule {
    default_bps: u32,
    tiers: BTreeMap<String, u32>,
}

impl Default for FeeSchedule {
    /// 4 % for every tier but `top`, which pays none.
    fn default() -> FeeSchedule {
        FeeSchedule::new(400).with_tier("top", 0)
    }
}

impl FeeSchedule {
    /// The fee for organizations whose tier is not in the table; capped at 100 %.
    pub fn new(default_bps: u32) -> FeeSchedule {
        FeeSchedule {
            default_bps: default_bps.min(10_000),
            tiers: BTreeMap::new(),
        }
    }

    pub fn with_tier(mut self, tier: impl Into<String>, bps: u32) -> FeeSchedule {
        self.tiers.insert(tier.into(), bps.min(10_000));
        self
    }

    pub fn rate_bps(&self, tier: Option<&str>) -> u32 {
        tier.and_then(|tier| self.tiers.get(tier))
            .copied()
            .unwrap_or(self.default_bps)
    }

    /// Buying `credits` at `tier`: the fee rounded half up to the nano-dollar. `None` for a
    /// negative amount or one too large to charge.
    pub fn purchase(&self, tier: Option<&str>, credits: NanoUsd) -> Option<Purchase> {
        if credits.0 < 0 {
            return None;
        }
        let bps = i128::from(self.rate_bps(tier));
        let fee = (i128::from(credits.0) * bps + 5_000) / 10_000;
        let fee = NanoUsd(i64::try_from(fee).ok()?);
        Some(Purchase {
            credits,
            fee,
            charged: credits.checked_add(fee)?,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Purchase {
    /// What the balance grows by.
    pub credits: NanoUsd,
    pub fee: NanoUsd,
    /// What the customer pays: credits + fee.
    pub charged: NanoUsd,
}

impl Purchase {
    /// The two rows a purchase writes: the payment (+charged) and the fee (-fee), which add up
    /// to the credits bought.
    pub fn ledger_entries(&self, payment_reference: &str) -> [LedgerEntry; 2] {
        [
            LedgerEntry {
                kind: LedgerKind::Purchase,
                amount: self.charged,
                reference: Some(payment_reference.to_string()),
            },
            LedgerEntry {
                kind: LedgerKind::Fee,
                amount: NanoUsd(0).saturating_sub(self.fee),
                reference: Some(payment_reference.to_string()),
            },
        ]
    }
}
