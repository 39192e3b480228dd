//! The reservation book: open holds ordered by lease expiry, and closed ones kept for a while
//! so a repeated settle or release can say what already happened.

use std::collections::{BTreeMap, VecDeque};

use crate::FastMap;

use crate::budget::BudgetSpec;
use crate::counters::{OpenReservation, Reservation, ReservationId};
use tollgate_types::NanoUsd;

#[derive(Debug)]
pub(super) struct OpenHold {
    /// The specs as reserved: enough to charge a late settle even if a budget's state was
    /// dropped meanwhile.
    pub(super) budgets: Vec<BudgetSpec>,
    pub(super) amount: i64,
    pub(super) expires_at: i64,
    /// This hold's place in the expiry index (set by [`Book::open`]).
    pub(super) expiry_seq: u64,
}

#[derive(Debug)]
pub(super) enum Closed {
    Settled {
        charged: i64,
    },
    Released,
    /// The lease ran out; the specs stay so a late settle is still charged.
    Expired {
        budgets: Vec<BudgetSpec>,
    },
}

#[derive(Debug)]
pub(super) enum Entry {
    Open(OpenHold),
    Closed(Closed),
}

#[derive(Debug)]
pub(super) struct Book {
    entries: FastMap<ReservationId, Entry>,
    /// Open holds by expiry, so the expired ones are found without a scan. Keyed by a sequence
    /// number rather than the id: holds expiring in the same millisecond (dozens under load)
    /// then order by an integer instead of by comparing 36-byte ids.
    expiries: BTreeMap<(i64, u64), ReservationId>,
    next_seq: u64,
    /// Closed entries in the order they may be forgotten.
    forget: VecDeque<(i64, ReservationId)>,
    retention_ms: i64,
}

impl Book {
    pub(super) fn new(retention_ms: i64) -> Book {
        Book {
            entries: FastMap::default(),
            expiries: BTreeMap::new(),
            next_seq: 0,
            forget: VecDeque::new(),
            retention_ms,
        }
    }

    pub(super) fn get(&self, id: &ReservationId) -> Option<&Entry> {
        self.entries.get(id)
    }

    pub(super) fn open(&mut self, id: ReservationId, mut hold: OpenHold) {
        hold.expiry_seq = self.index_expiry(hold.expires_at, &id);
        self.entries.insert(id, Entry::Open(hold));
    }

    fn index_expiry(&mut self, expires_at: i64, id: &ReservationId) -> u64 {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        self.expiries.insert((expires_at, seq), id.clone());
        seq
    }

    /// Close an entry (open or expired) and schedule it to be forgotten; the open hold, if it
    /// was one, is returned so its amount can be freed.
    pub(super) fn close(&mut self, id: &ReservationId, closed: Closed, now: i64) -> Option<Entry> {
        let slot = self.entries.get_mut(id)?;
        let previous = std::mem::replace(slot, Entry::Closed(closed));
        match &previous {
            Entry::Open(hold) => {
                self.expiries.remove(&(hold.expires_at, hold.expiry_seq));
                self.forget
                    .push_back((now.saturating_add(self.retention_ms), id.clone()));
            }
            // Already scheduled when it expired; keep the original forget time.
            Entry::Closed(_) => {}
        }
        Some(previous)
    }

    pub(super) fn renew(&mut self, id: &ReservationId, expires_at: i64) -> bool {
        let Some(Entry::Open(hold)) = self.entries.get(id) else {
            return false;
        };
        let indexed = (hold.expires_at, hold.expiry_seq);
        self.expiries.remove(&indexed);
        let seq = self.index_expiry(expires_at, id);
        if let Some(Entry::Open(hold)) = self.entries.get_mut(id) {
            hold.expires_at = expires_at;
            hold.expiry_seq = seq;
        }
        true
    }

    /// The id of an open hold whose lease ended at or before `now`, if any.
    pub(super) fn next_expired(&self, now: i64) -> Option<ReservationId> {
        self.expiries
            .first_key_value()
            .filter(|((expires_at, _), _)| *expires_at <= now)
            .map(|(_, id)| id.clone())
    }

    /// Forget closed entries past their retention; how many.
    pub(super) fn forget_old(&mut self, now: i64) -> usize {
        let mut forgotten = 0;
        while let Some((at, _)) = self.forget.front() {
            if *at > now {
                break;
            }
            if let Some((_, id)) = self.forget.pop_front()
                && matches!(self.entries.get(&id), Some(Entry::Closed(_)))
            {
                self.entries.remove(&id);
                forgotten += 1;
            }
        }
        forgotten
    }

    /// Open holds on `scope`, for explain (a scan: an admin call, not the request path).
    pub(super) fn open_on(&self, scope: &crate::Scope, max: usize) -> Vec<OpenReservation> {
        let mut found: Vec<OpenReservation> = self
            .entries
            .iter()
            .filter_map(|(id, entry)| match entry {
                Entry::Open(hold) if hold.budgets.iter().any(|spec| spec.scope == *scope) => {
                    Some(OpenReservation {
                        id: id.clone(),
                        amount: NanoUsd(hold.amount),
                        expires_at_ms: hold.expires_at,
                    })
                }
                _ => None,
            })
            .collect();
        found.sort_by(|a, b| (a.expires_at_ms, &a.id).cmp(&(b.expires_at_ms, &b.id)));
        found.truncate(max);
        found
    }
}

impl OpenHold {
    pub(super) fn reservation(&self, id: &ReservationId) -> Reservation {
        Reservation {
            id: id.clone(),
            amount: NanoUsd(self.amount),
            expires_at_ms: self.expires_at,
        }
    }
}

impl Book {
    /// Overwrite what a closed entry remembers (an expired hold's specs once its amount is
    /// freed) without touching its forget time.
    pub(super) fn set_closed(&mut self, id: &ReservationId, closed: Closed) {
        if let Some(slot @ Entry::Closed(_)) = self.entries.get_mut(id) {
            *slot = Entry::Closed(closed);
        }
    }
}
