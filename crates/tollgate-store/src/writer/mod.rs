//! The spend writer: takes spend rows off the request path and writes them in batches.
//!
//! `record` never waits and never drops a row. Rows go into a bounded channel with `try_send`;
//! when it is full (the database is slow or down) they go into an unbounded overflow channel
//! instead. We chose "grow memory" over "drop" or "block": a lost row is lost money and a blocked
//! request path is an outage, while the overflow is visible (`WriterStats::overflowed`,
//! `pending`) long before memory matters — at ~1 KiB a row, a million unwritten rows is ~1 GiB.
//!
//! One background task drains both channels into batches of up to `max_batch` rows and flushes
//! every `flush_interval` or as soon as a batch is full. Each batch is one transaction that also
//! settles the keys' spend (see `Store::insert_spend`). A failed batch is kept and retried with
//! backoff; since inserts are idempotent on `request_id`, a batch whose commit succeeded but
//! whose answer was lost is harmless to retry. `shutdown` stops intake, drains everything already
//! recorded, and flushes it before returning.

mod stats;
mod task;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::model::SpendRecord;
use crate::store::DynStore;

use stats::Counters;
pub use stats::WriterStats;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpendWriterConfig {
    /// Rows the fast channel holds before `record` falls back to the overflow channel.
    pub capacity: usize,
    /// Rows per batch (one transaction).
    pub max_batch: usize,
    /// How long a row may wait for its batch to fill.
    pub flush_interval: Duration,
    /// Attempts to write what is left when shutting down, before giving the rows back.
    pub shutdown_attempts: u32,
}

impl Default for SpendWriterConfig {
    fn default() -> Self {
        SpendWriterConfig {
            capacity: 10_000,
            max_batch: 500,
            // Short enough that few rows wait in memory (at 25k calls/s a 100 ms interval kept
            // ~2,500 rows of ~1 KiB queued, a visible share of resident memory), long enough
            // that a wake-up and a transaction are shared by hundreds of rows.
            flush_interval: Duration::from_millis(25),
            shutdown_attempts: 5,
        }
    }
}

/// A cheap, cloneable handle to the writer task.
#[derive(Clone)]
pub struct SpendWriter {
    shared: Arc<Shared>,
}

struct Shared {
    fast: mpsc::Sender<SpendRecord>,
    overflow: mpsc::UnboundedSender<SpendRecord>,
    counters: Arc<Counters>,
    control: Mutex<Option<Control>>,
}

struct Control {
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), UnwrittenRows>>,
}

/// `record` after `shutdown`: the row comes back, so the caller decides what to do with it.
#[derive(Debug, thiserror::Error)]
#[error("the spend writer has shut down; request {} was not recorded", .0.request_id)]
pub struct WriterClosed(pub Box<SpendRecord>);

/// Rows that could not be written before shutdown (the database stayed unreachable), handed
/// back so the caller can keep them somewhere else rather than lose them.
#[derive(Debug, thiserror::Error)]
#[error("{} spend rows could not be written at shutdown: {last_error}", rows.len())]
pub struct UnwrittenRows {
    pub rows: Vec<SpendRecord>,
    pub last_error: String,
}

impl SpendWriter {
    /// Starts the writer task. Must be called inside a Tokio runtime.
    pub fn start(store: DynStore, config: SpendWriterConfig) -> SpendWriter {
        let (fast, fast_rx) = mpsc::channel(config.capacity.max(1));
        let (overflow, overflow_rx) = mpsc::unbounded_channel();
        let (stop, stop_rx) = oneshot::channel();
        let counters = Arc::new(Counters::default());
        let task = tokio::spawn(task::run(
            store,
            task::Inbox {
                fast: fast_rx,
                overflow: overflow_rx,
                stop: stop_rx,
            },
            Arc::clone(&counters),
            config,
        ));
        SpendWriter {
            shared: Arc::new(Shared {
                fast,
                overflow,
                counters,
                control: Mutex::new(Some(Control { stop, task })),
            }),
        }
    }

    /// Queues a row for writing. Never waits; fails only after `shutdown`, giving the row back.
    pub fn record(&self, row: SpendRecord) -> Result<(), WriterClosed> {
        let counters = &self.shared.counters;
        counters.pending.fetch_add(1, Ordering::Relaxed);
        let refused = match self.shared.fast.try_send(row) {
            Ok(()) => return Ok(()),
            Err(mpsc::error::TrySendError::Full(row)) => {
                counters.overflowed.fetch_add(1, Ordering::Relaxed);
                match self.shared.overflow.send(row) {
                    Ok(()) => return Ok(()),
                    Err(mpsc::error::SendError(row)) => row,
                }
            }
            Err(mpsc::error::TrySendError::Closed(row)) => row,
        };
        counters.pending.fetch_sub(1, Ordering::Relaxed);
        Err(WriterClosed(Box::new(refused)))
    }

    pub fn stats(&self) -> WriterStats {
        self.shared.counters.snapshot()
    }

    /// Stops intake, writes every row recorded so far, and waits for it. Rows recorded after
    /// this starts are refused with `WriterClosed`. Calling it again answers at once.
    pub async fn shutdown(&self) -> Result<WriterStats, UnwrittenRows> {
        let control = self
            .shared
            .control
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(Control { stop, task }) = control {
            // The task may already be draining (every handle but this one dropped); fine.
            let _ = stop.send(());
            match task.await {
                Ok(result) => result?,
                Err(error) => {
                    return Err(UnwrittenRows {
                        rows: Vec::new(),
                        last_error: format!("the spend writer task failed: {error}"),
                    });
                }
            }
        }
        Ok(self.stats())
    }
}
