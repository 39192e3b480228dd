//! Prepaid credits: ledger shapes, balances, the platform fee. Pure functions; the balance
//! takes part in reservations as [`crate::BudgetSpec::credits`].

mod fee;
mod ledger;

pub use fee::{FeeSchedule, Purchase};
pub use ledger::{CreditTotals, LedgerEntry, LedgerKind, balance};
