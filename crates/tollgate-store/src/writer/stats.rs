//! Counters of the spend writer, for tests and `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::model::SpendBatchOutcome;

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) pending: AtomicU64,
    pub(crate) overflowed: AtomicU64,
    inserted: AtomicU64,
    duplicates: AtomicU64,
    batches: AtomicU64,
    failed_batches: AtomicU64,
}

impl Counters {
    pub(crate) fn written(&self, rows: usize, outcome: SpendBatchOutcome) {
        let rows = u64::try_from(rows).unwrap_or(u64::MAX);
        self.inserted.fetch_add(outcome.inserted, Ordering::Relaxed);
        self.duplicates
            .fetch_add(outcome.duplicates, Ordering::Relaxed);
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.pending.fetch_sub(rows, Ordering::Relaxed);
    }

    pub(crate) fn failed(&self) {
        self.failed_batches.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> WriterStats {
        let inserted = self.inserted.load(Ordering::Relaxed);
        let duplicates = self.duplicates.load(Ordering::Relaxed);
        WriterStats {
            rows_written: inserted + duplicates,
            rows_inserted: inserted,
            duplicates,
            batches: self.batches.load(Ordering::Relaxed),
            failed_batches: self.failed_batches.load(Ordering::Relaxed),
            pending: self.pending.load(Ordering::Relaxed),
            overflowed: self.overflowed.load(Ordering::Relaxed),
        }
    }
}

/// A snapshot of the writer's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WriterStats {
    /// Rows the database has acknowledged (new or already logged).
    pub rows_written: u64,
    /// Rows that were new to the log.
    pub rows_inserted: u64,
    /// Rows whose request id was already logged (not counted twice).
    pub duplicates: u64,
    /// Successful batch transactions.
    pub batches: u64,
    /// Batch attempts that failed and will be retried.
    pub failed_batches: u64,
    /// Rows recorded and not yet written.
    pub pending: u64,
    /// Rows that found the fast channel full and went to the overflow channel.
    pub overflowed: u64,
}
