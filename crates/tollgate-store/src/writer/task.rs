//! The writer task: collect rows into batches, flush on size, interval and shutdown.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, MissedTickBehavior};

use crate::StoreError;
use crate::model::SpendRecord;
use crate::store::DynStore;
use crate::writer::stats::Counters;
use crate::writer::{SpendWriterConfig, UnwrittenRows};

const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

pub(crate) struct Inbox {
    pub(crate) fast: mpsc::Receiver<SpendRecord>,
    pub(crate) overflow: mpsc::UnboundedReceiver<SpendRecord>,
    pub(crate) stop: oneshot::Receiver<()>,
}

pub(crate) async fn run(
    store: DynStore,
    mut inbox: Inbox,
    counters: Arc<Counters>,
    config: SpendWriterConfig,
) -> Result<(), UnwrittenRows> {
    let max_batch = config.max_batch.max(1);
    let mut batch = Batch {
        store,
        counters,
        max_batch,
        rows: Vec::with_capacity(max_batch),
        backoff: FIRST_BACKOFF,
        retry_at: None,
    };
    let mut received = Vec::with_capacity(max_batch);
    let mut ticker = tokio::time::interval(config.flush_interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        // Wake on the interval, not on every row: at thousands of requests a second, a wake-up
        // per row cost a context switch per request. Rows wait at most one interval either way.
        tokio::select! {
            // Stop asked for, or every handle dropped (the sender with them).
            _ = &mut inbox.stop => break,
            Some(row) = inbox.overflow.recv() => batch.rows.push(row),
            _ = ticker.tick() => {
                let mut closed = false;
                loop {
                    match inbox.fast.try_recv() {
                        Ok(row) => batch.rows.push(row),
                        Err(tokio::sync::mpsc::error::TryRecvError::Empty) => break,
                        Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => {
                            closed = true;
                            break;
                        }
                    }
                }
                batch.flush_if_due().await;
                if closed {
                    break;
                }
            }
        }
        if batch.rows.len() >= max_batch {
            batch.flush_if_due().await;
        }
    }

    // Refuse new rows, then take every row already queued: closing lets the channels drain.
    inbox.fast.close();
    inbox.overflow.close();
    while inbox.fast.recv_many(&mut received, max_batch).await > 0 {
        batch.rows.append(&mut received);
    }
    while let Some(row) = inbox.overflow.recv().await {
        batch.rows.push(row);
    }
    batch.flush_at_shutdown(config.shutdown_attempts).await
}

struct Batch {
    store: DynStore,
    counters: Arc<Counters>,
    max_batch: usize,
    rows: Vec<SpendRecord>,
    backoff: Duration,
    retry_at: Option<Instant>,
}

impl Batch {
    /// Writes what is collected, unless a recent failure asked to wait a little longer.
    async fn flush_if_due(&mut self) {
        if self.rows.is_empty() || self.retry_at.is_some_and(|at| Instant::now() < at) {
            return;
        }
        match self.write_all().await {
            Ok(()) => {
                self.backoff = FIRST_BACKOFF;
                self.retry_at = None;
            }
            Err(error) => {
                tracing::warn!(
                    %error,
                    pending = self.rows.len(),
                    retry_in_ms = self.backoff.as_millis(),
                    "spend log batch failed; keeping the rows and retrying"
                );
                self.retry_at = Some(Instant::now() + self.backoff);
                self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
            }
        }
    }

    /// Writes in batches of `max_batch`, removing each batch once it is committed.
    async fn write_all(&mut self) -> Result<(), StoreError> {
        while !self.rows.is_empty() {
            let size = self.rows.len().min(self.max_batch);
            match self.store.insert_spend(&self.rows[..size]).await {
                Ok(outcome) => {
                    self.counters.written(size, outcome);
                    self.rows.drain(..size);
                }
                Err(error) => {
                    self.counters.failed();
                    return Err(error);
                }
            }
        }
        Ok(())
    }

    async fn flush_at_shutdown(mut self, attempts: u32) -> Result<(), UnwrittenRows> {
        let mut backoff = FIRST_BACKOFF;
        let mut last_error = None;
        for attempt in 0..attempts.max(1) {
            if attempt > 0 {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            match self.write_all().await {
                Ok(()) => return Ok(()),
                Err(error) => {
                    tracing::warn!(%error, attempt, pending = self.rows.len(), "spend log flush at shutdown failed");
                    last_error = Some(error);
                }
            }
        }
        tracing::error!(
            rows = self.rows.len(),
            "spend rows could not be written at shutdown; handing them back"
        );
        Err(UnwrittenRows {
            rows: self.rows,
            last_error: last_error.map_or_else(String::new, |error| error.to_string()),
        })
    }
}
