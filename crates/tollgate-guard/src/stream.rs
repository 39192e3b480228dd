//! Stream-aware output scanning.
//!
//! Chunks are appended to a buffer and scanned with the same detector as whole texts. Text is
//! emitted up to a cut point `len - HOLD_BACK` (moved to a char boundary); a value that starts
//! before the cut is either complete, and then emitted replaced whatever its length, or an
//! open-ended secret still streaming, and then held from its start until it ends.
//!
//! Why that equals scanning the whole text: every pattern matches at most `MAX_ENTITY_BYTES` and
//! validators look at most `RIGHT_CONTEXT` bytes past a match, so a match starting before the
//! cut ends, with its look-ahead, inside the buffer and is decided exactly as it would be on the
//! whole text; matches starting after the cut are simply not emitted yet. Already emitted text
//! is kept as left context (validators look back at most 32 bytes), and scanning resumes where
//! emission stopped, exactly where the whole-text scan would resume.
//!
//! A second stage restores reversible placeholders, holding back a trailing `<EMAI` until it
//! either completes or cannot be a placeholder.

use std::sync::Arc;

use crate::MAX_ENTITY_BYTES;
use crate::findings::Findings;
use crate::guard::Inner;
use crate::pii::Span;
use crate::redact::{Side, replace};
use crate::restore::{RestoreStage, Restorer};

/// Bytes validators may look past a match (boundary checks: a following digit, `.5`, `@`).
const RIGHT_CONTEXT: usize = 16;

/// Most bytes of ordinary text the PII stage holds back: the longest match plus its look-ahead,
/// plus slack for moving the cut to a char boundary.
pub const STREAM_HOLD_BACK_BYTES: usize = MAX_ENTITY_BYTES + RIGHT_CONTEXT + 16;

/// Emitted text kept as left context for the next scan.
const LEFT_CONTEXT: usize = 48;

/// Scans one stream of answer text (one choice's content, or one tool call's arguments).
pub struct OutputScanner {
    inner: Arc<Inner>,
    restorer: Restorer,
    /// Left context, then text not yet emitted (from `emitted`).
    buf: String,
    emitted: usize,
    spans: Vec<Span>,
    findings: Findings,
    restore: RestoreStage,
    scan: bool,
}

impl OutputScanner {
    pub(crate) fn new(inner: Arc<Inner>, restorer: Restorer) -> Self {
        let scan = inner.scans_output();
        Self {
            inner,
            restorer,
            buf: String::new(),
            emitted: 0,
            spans: Vec::new(),
            findings: Findings::default(),
            restore: RestoreStage::default(),
            scan,
        }
    }

    /// Takes the next chunk; returns the text that is safe to send now (possibly empty).
    pub fn push(&mut self, chunk: &str) -> String {
        if !self.scan {
            return self.restore.push(&self.restorer, chunk);
        }
        self.buf.push_str(chunk);
        let safe = self.process(false);
        self.restore.push(&self.restorer, &safe)
    }

    /// Ends the stream; returns everything still held.
    pub fn finish(&mut self) -> String {
        let mut out = if self.scan {
            let safe = self.process(true);
            self.restore.push(&self.restorer, &safe)
        } else {
            String::new()
        };
        out.push_str(&self.restore.finish(&self.restorer));
        out
    }

    /// What the answer contained so far (entities emitted, replaced or not).
    pub fn findings(&self) -> &Findings {
        &self.findings
    }

    /// Bytes currently held back (for tests and metrics).
    pub fn held_bytes(&self) -> usize {
        self.buf.len() - self.emitted
    }

    fn process(&mut self, last: bool) -> String {
        self.spans.clear();
        self.inner
            .pii
            .detect(&self.buf, self.emitted, &mut self.spans);
        let len = self.buf.len();
        let mut cut = if last {
            len
        } else {
            let mut c = len.saturating_sub(STREAM_HOLD_BACK_BYTES).max(self.emitted);
            while !self.buf.is_char_boundary(c) {
                c += 1;
            }
            c
        };
        let mut out = String::new();
        let mut pos = self.emitted;
        for span in &self.spans {
            if !last && span.match_start >= cut {
                break;
            }
            if !last && (span.open || span.start >= cut) {
                // A secret still streaming, or a value whose context word is already before the
                // cut: hold from the start of the match so the next scan sees all of it.
                cut = span.match_start.max(pos);
                break;
            }
            out.push_str(self.buf.get(pos..span.start).unwrap_or(""));
            let value = self.buf.get(span.start..span.end).unwrap_or("");
            let table = &self.inner.table;
            if replace(
                value,
                span,
                table,
                &mut self.restorer,
                Side::Answer,
                &mut out,
            ) {
                self.findings.modified = true;
            }
            self.findings.count_pii(&table.get(span.entity).name);
            pos = span.end;
            cut = cut.max(pos);
        }
        if cut > pos {
            out.push_str(self.buf.get(pos..cut).unwrap_or(""));
            pos = cut;
        }
        self.emitted = pos;
        self.trim_context();
        out
    }

    /// Drops emitted text beyond the left context the validators need.
    fn trim_context(&mut self) {
        let mut drop = self.emitted.saturating_sub(LEFT_CONTEXT);
        while drop > 0 && !self.buf.is_char_boundary(drop) {
            drop -= 1;
        }
        if drop > 0 {
            self.buf.drain(..drop);
            self.emitted -= drop;
        }
    }
}

/// Scans a streamed answer that may carry several choices (`n > 1`): one [`OutputScanner`] per
/// choice index, created on the choice's first chunk, so interleaved choices never mix. An
/// entity split across chunks of one choice is caught whatever the other choices send in
/// between, and each choice is held back at most [`STREAM_HOLD_BACK_BYTES`] (plus a pending
/// placeholder) on its own.
pub struct ChoiceScanners {
    inner: Arc<Inner>,
    restorer: Restorer,
    /// Open choices by index (few: a linear search beats a map).
    open: Vec<(u32, OutputScanner)>,
    /// Findings of the choices already finished.
    finished: Findings,
}

impl ChoiceScanners {
    pub(crate) fn new(inner: Arc<Inner>, restorer: Restorer) -> Self {
        Self {
            inner,
            restorer,
            open: Vec::new(),
            finished: Findings::default(),
        }
    }

    /// Takes the next chunk of `choice`; returns that choice's text safe to send now.
    pub fn push(&mut self, choice: u32, chunk: &str) -> String {
        let at = match self.open.iter().position(|(index, _)| *index == choice) {
            Some(at) => at,
            None => {
                let scanner = OutputScanner::new(Arc::clone(&self.inner), self.restorer.clone());
                self.open.push((choice, scanner));
                self.open.len() - 1
            }
        };
        match self.open.get_mut(at) {
            Some((_, scanner)) => scanner.push(chunk),
            None => String::new(),
        }
    }

    /// Ends `choice` (its finish event); returns everything still held for it.
    pub fn finish(&mut self, choice: u32) -> String {
        match self.open.iter().position(|(index, _)| *index == choice) {
            Some(at) => {
                let (_, mut scanner) = self.open.swap_remove(at);
                let rest = scanner.finish();
                self.finished.merge(scanner.findings());
                rest
            }
            None => String::new(),
        }
    }

    /// Ends the stream: what is still held per open choice, by choice index.
    pub fn finish_all(&mut self) -> Vec<(u32, String)> {
        let mut open = std::mem::take(&mut self.open);
        open.sort_by_key(|(index, _)| *index);
        open.into_iter()
            .map(|(index, mut scanner)| {
                let rest = scanner.finish();
                self.finished.merge(scanner.findings());
                (index, rest)
            })
            .collect()
    }

    /// What the answer contained so far, over every choice.
    pub fn findings(&self) -> Findings {
        let mut all = self.finished.clone();
        for (_, scanner) in &self.open {
            all.merge(scanner.findings());
        }
        all
    }
}
