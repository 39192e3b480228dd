//! Credit ledger rows and the balance they add up to. The store persists them; these are the
//! shapes and the arithmetic, so every backend agrees on what a balance is.

use tollgate_types::NanoUsd;

/// What moved credits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LedgerKind {
    /// Money received for credits: the credits plus the platform fee (positive).
    Purchase,
    /// The platform fee taken out of a purchase (negative), so a purchase and its fee add up
    /// to exactly the credits bought.
    Fee,
    /// A call's settled cost (negative).
    Spend,
    /// Credits given back, for example for a call billed in error (positive).
    Refund,
    /// An operator's correction, either sign.
    Adjustment,
}

impl LedgerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerKind::Purchase => "purchase",
            LedgerKind::Fee => "fee",
            LedgerKind::Spend => "spend",
            LedgerKind::Refund => "refund",
            LedgerKind::Adjustment => "adjustment",
        }
    }

    pub fn parse(text: &str) -> Option<LedgerKind> {
        [
            LedgerKind::Purchase,
            LedgerKind::Fee,
            LedgerKind::Spend,
            LedgerKind::Refund,
            LedgerKind::Adjustment,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

/// One movement. `amount` is signed: its effect on the balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub kind: LedgerKind,
    pub amount: NanoUsd,
    /// A payment id, a request id, or an operator's note.
    pub reference: Option<String>,
}

impl LedgerEntry {
    pub fn spend(cost: NanoUsd, request_id: impl Into<String>) -> LedgerEntry {
        LedgerEntry {
            kind: LedgerKind::Spend,
            amount: NanoUsd(0).saturating_sub(cost),
            reference: Some(request_id.into()),
        }
    }

    pub fn refund(amount: NanoUsd, reference: impl Into<String>) -> LedgerEntry {
        LedgerEntry {
            kind: LedgerKind::Refund,
            amount,
            reference: Some(reference.into()),
        }
    }

    pub fn adjustment(amount: NanoUsd, note: impl Into<String>) -> LedgerEntry {
        LedgerEntry {
            kind: LedgerKind::Adjustment,
            amount,
            reference: Some(note.into()),
        }
    }
}

/// A ledger split the way the counters use it: the credit balance is a hard budget whose limit
/// is `credited` and whose seeded spend is `spent` (see [`crate::BudgetSpec::credits`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CreditTotals {
    /// Everything that is not spend: purchases net of fees, refunds, adjustments.
    pub credited: NanoUsd,
    /// Spend, as a positive amount.
    pub spent: NanoUsd,
}

impl CreditTotals {
    /// `None` if a sum does not fit (a corrupt ledger, not a real one).
    pub fn of(entries: &[LedgerEntry]) -> Option<CreditTotals> {
        entries
            .iter()
            .try_fold(CreditTotals::default(), |totals, entry| {
                Some(match entry.kind {
                    LedgerKind::Spend => CreditTotals {
                        spent: NanoUsd(totals.spent.0.checked_sub(entry.amount.0)?),
                        ..totals
                    },
                    _ => CreditTotals {
                        credited: totals.credited.checked_add(entry.amount)?,
                        ..totals
                    },
                })
            })
    }

    pub fn balance(self) -> NanoUsd {
        self.credited.saturating_sub(self.spent)
    }
}

/// The ledger's sum.
pub fn balance(entries: &[LedgerEntry]) -> Option<NanoUsd> {
    entries
        .iter()
        .try_fold(NanoUsd::ZERO, |sum, entry| sum.checked_add(entry.amount))
}
