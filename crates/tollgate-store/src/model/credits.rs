//! Prepaid credits: the ledger of an organization's credit movements and the totals it sums to.
//!
//! The shapes mirror `tollgate_limits::credits` (which holds the fee and balance arithmetic);
//! the store does not depend on that crate, so the server converts between the two.

use serde::Serialize;
use tollgate_types::NanoUsd;

use crate::model::usd;
use crate::time::Timestamp;

/// What moved credits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CreditKind {
    /// Money received: the credits plus the platform fee (positive).
    Purchase,
    /// The platform fee taken out of a purchase (negative).
    Fee,
    /// A call's settled cost (negative), written by the spend writer.
    Spend,
    /// Credits given back (positive).
    Refund,
    /// An operator's correction, either sign.
    Adjustment,
}

impl CreditKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CreditKind::Purchase => "purchase",
            CreditKind::Fee => "fee",
            CreditKind::Spend => "spend",
            CreditKind::Refund => "refund",
            CreditKind::Adjustment => "adjustment",
        }
    }

    pub fn parse(text: &str) -> Option<CreditKind> {
        [
            CreditKind::Purchase,
            CreditKind::Fee,
            CreditKind::Spend,
            CreditKind::Refund,
            CreditKind::Adjustment,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

/// One ledger row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreditEntry {
    pub id: String,
    pub org_id: String,
    pub kind: CreditKind,
    /// Signed: the entry's effect on the balance.
    #[serde(rename = "amount_usd", serialize_with = "usd::serialize")]
    pub amount: NanoUsd,
    /// A payment id, a request id (spend), or an operator's note.
    pub reference: Option<String>,
    pub created_at: Timestamp,
}

/// What `append_credits` needs for one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCreditEntry {
    pub kind: CreditKind,
    /// Signed: the entry's effect on the balance.
    pub amount: NanoUsd,
    pub reference: Option<String>,
}

/// An organization's ledger summed the way the budget counters use it: the balance is a hard
/// budget whose limit is `credited` and whose spend so far is `spent`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CreditTotals {
    /// Every entry that is not spend: purchases net of fees, refunds, adjustments.
    #[serde(rename = "credited_usd", serialize_with = "usd::serialize")]
    pub credited: NanoUsd,
    /// Spend entries, as a positive amount.
    #[serde(rename = "spent_usd", serialize_with = "usd::serialize")]
    pub spent: NanoUsd,
}

impl CreditTotals {
    /// The ledger's sum.
    pub fn balance(self) -> NanoUsd {
        self.credited.saturating_sub(self.spent)
    }
}
