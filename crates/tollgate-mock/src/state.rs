//! State shared by every connection of one mock server: hit counters, recorded requests, the
//! fault queue and the sequence used for ids.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::{Fault, Flavour, MockOptions, RecordedRequest};

pub(crate) type App = Arc<MockState>;

pub(crate) struct MockState {
    pub(crate) options: MockOptions,
    hits: [AtomicU64; Flavour::ALL.len()],
    /// Calls per requested upstream model (body `model`, Azure deployment, Gemini path model).
    model_hits: Mutex<HashMap<String, u64>>,
    requests: Mutex<VecDeque<RecordedRequest>>,
    faults: Mutex<VecDeque<Fault>>,
    /// Mirrors the fault queue's length so the hot path (bench) skips the lock when it is empty.
    queued_faults: AtomicUsize,
    seq: AtomicU64,
    /// Event streams whose body is still being sent: a client (the gateway) that goes away drops
    /// the body, so tests can see that an abandoned call stopped upstream.
    open_streams: Arc<AtomicUsize>,
}

/// Counts one open stream body; dropped with the body.
pub(crate) struct OpenStream(Arc<AtomicUsize>);

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A poisoned lock only means a test thread panicked while holding it; the data is still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl MockState {
    pub(crate) fn new(options: MockOptions) -> Self {
        MockState {
            options,
            hits: Default::default(),
            model_hits: Mutex::new(HashMap::new()),
            requests: Mutex::new(VecDeque::new()),
            faults: Mutex::new(VecDeque::new()),
            queued_faults: AtomicUsize::new(0),
            seq: AtomicU64::new(0),
            open_streams: Arc::new(AtomicUsize::new(0)),
        }
    }

    pub(crate) fn open_stream(&self) -> OpenStream {
        self.open_streams.fetch_add(1, Ordering::SeqCst);
        OpenStream(self.open_streams.clone())
    }

    pub(crate) fn open_streams(&self) -> usize {
        self.open_streams.load(Ordering::SeqCst)
    }

    pub(crate) fn count_hit(&self, flavour: Flavour) {
        self.hits[flavour.index()].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_model_hit(&self, model: &str) {
        let mut hits = lock(&self.model_hits);
        match hits.get_mut(model) {
            Some(count) => *count += 1,
            None => {
                hits.insert(model.to_owned(), 1);
            }
        }
    }

    pub(crate) fn model_hits(&self, model: &str) -> u64 {
        lock(&self.model_hits).get(model).copied().unwrap_or(0)
    }

    pub(crate) fn all_model_hits(&self) -> HashMap<String, u64> {
        lock(&self.model_hits).clone()
    }

    /// A server-wide increasing number (from 1), used in response and request ids.
    pub(crate) fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub(crate) fn hits(&self, flavour: Flavour) -> u64 {
        self.hits[flavour.index()].load(Ordering::Relaxed)
    }

    pub(crate) fn total_hits(&self) -> u64 {
        self.hits.iter().map(|h| h.load(Ordering::Relaxed)).sum()
    }

    pub(crate) fn record(&self, request: RecordedRequest) {
        let limit = self.options.record_limit;
        if limit == 0 {
            return;
        }
        let mut requests = lock(&self.requests);
        while requests.len() >= limit {
            requests.pop_front();
        }
        requests.push_back(request);
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).iter().cloned().collect()
    }

    pub(crate) fn push_fault(&self, fault: Fault) {
        let mut faults = lock(&self.faults);
        faults.push_back(fault);
        self.queued_faults.store(faults.len(), Ordering::Release);
    }

    pub(crate) fn take_fault(&self) -> Option<Fault> {
        if self.queued_faults.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut faults = lock(&self.faults);
        let fault = faults.pop_front();
        self.queued_faults.store(faults.len(), Ordering::Release);
        fault
    }

    pub(crate) fn pending_faults(&self) -> usize {
        self.queued_faults.load(Ordering::Acquire)
    }

    /// Forget hits, recorded requests and queued faults (between test cases sharing a server).
    pub(crate) fn clear(&self) {
        for hit in &self.hits {
            hit.store(0, Ordering::Relaxed);
        }
        lock(&self.model_hits).clear();
        lock(&self.requests).clear();
        let mut faults = lock(&self.faults);
        faults.clear();
        self.queued_faults.store(0, Ordering::Release);
    }
}
