//! Incremental SSE decoder.
//!
//! Follows the WHATWG event-stream rules that matter to a proxy: events end at a blank line,
//! lines may end in `\n`, `\r\n` or `\r`, `:` starts a comment, `data:` lines join with `\n`,
//! one space after the colon is dropped, `id:`/`retry:` are ignored (a gateway never
//! reconnects on a client's behalf), and a block without any `data:` line dispatches nothing.
//! One deliberate extension: [`SseDecoder::finish`] dispatches a final event that the upstream
//! forgot to terminate with a blank line, because some servers close the stream that way.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use memchr::{memchr, memchr2};

/// Largest event the decoder buffers unless told otherwise. Real provider events are a few KiB;
/// this only stops a broken or hostile upstream from growing a buffer without bound.
pub const DEFAULT_MAX_EVENT_SIZE: usize = 16 * 1024 * 1024;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, if the block had a non-empty one (SSE's default name is `message`).
    pub event: Option<String>,
    /// All `data:` lines joined with `\n` (invalid UTF-8 is replaced, as browsers do).
    pub data: String,
    /// The exact bytes of the event block, comments included, up to and including the blank
    /// line that ended it. For an event completed by [`SseDecoder::finish`] the missing line
    /// ending(s) are added as `\n` so the bytes still form a well-terminated event.
    pub raw: Bytes,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    /// An event grew past the configured limit before its blank line arrived.
    #[error("server-sent event larger than {limit} bytes")]
    EventTooLarge { limit: usize },
}

/// Fields gathered from the lines of the event in progress.
#[derive(Debug, Default)]
struct PendingEvent {
    name: Option<String>,
    data: String,
    has_data: bool,
}

/// Incremental decoder: [`push`](Self::push) bytes as they arrive, then take the completed
/// events with [`next_event`](Self::next_event) (or [`drain`](Self::drain)); call
/// [`finish`](Self::finish) at end of stream.
///
/// Events are parsed as their lines complete, so each byte is scanned once; `raw` shares the
/// decoder's buffer (no copy). Completed events wait in a queue, so one `push` of a large chunk
/// holding many events is fine.
#[derive(Debug)]
pub struct SseDecoder {
    /// Bytes of the event in progress, from its first byte (complete events are split off).
    buf: BytesMut,
    /// Offset in `buf` of the first line not yet applied to `pending`.
    scan_pos: usize,
    pending: PendingEvent,
    ready: VecDeque<SseEvent>,
    max_event_size: usize,
    comments: u64,
    /// A UTF-8 byte-order mark is only meaningful at the very start of the stream.
    at_stream_start: bool,
    /// Set once an event overflowed: the rest of the stream cannot be framed reliably.
    failed: bool,
}

impl Default for SseDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl SseDecoder {
    pub fn new() -> Self {
        Self::with_max_event_size(DEFAULT_MAX_EVENT_SIZE)
    }

    /// A decoder that fails with [`SseError::EventTooLarge`] once one event exceeds
    /// `max_event_size` bytes (counting its raw bytes, line endings included).
    pub fn with_max_event_size(max_event_size: usize) -> Self {
        Self {
            buf: BytesMut::new(),
            scan_pos: 0,
            pending: PendingEvent::default(),
            ready: VecDeque::new(),
            max_event_size,
            comments: 0,
            at_stream_start: true,
            failed: false,
        }
    }

    /// Feeds the next bytes of the stream. Completed events become available from
    /// [`next_event`](Self::next_event). After an error the decoder stays failed: the stream
    /// should be abandoned.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), SseError> {
        self.check_not_failed()?;
        self.buf.extend_from_slice(chunk);
        if self.at_stream_start && !self.skip_bom() {
            return Ok(());
        }
        self.scan(false)
    }

    /// Marks the end of the stream: a final event without its blank line is dispatched (see
    /// [`SseEvent::raw`]); a partial block without `data:` is dropped. The decoder is then
    /// ready for a new stream (the comment count is kept).
    pub fn finish(&mut self) -> Result<(), SseError> {
        self.check_not_failed()?;
        if self.at_stream_start {
            // Only an empty stream or a cut-off BOM leaves us here: nothing to decode.
            self.buf.clear();
        }
        // At EOF a trailing '\r' is a complete line ending: nothing can follow it.
        self.scan(true)?;
        let mut missing_terminator: &[u8] = b"\n";
        if self.scan_pos < self.buf.len() {
            let line = &self.buf[self.scan_pos..];
            apply_line(&mut self.pending, &mut self.comments, line);
            missing_terminator = b"\n\n";
        }
        if self.pending.has_data {
            let mut raw = self.buf.split();
            raw.extend_from_slice(missing_terminator);
            self.emit(raw.freeze());
        }
        self.buf.clear();
        self.scan_pos = 0;
        self.pending = PendingEvent::default();
        self.at_stream_start = true;
        Ok(())
    }

    /// The next completed event, oldest first.
    pub fn next_event(&mut self) -> Option<SseEvent> {
        self.ready.pop_front()
    }

    /// Takes every completed event, oldest first.
    pub fn drain(&mut self) -> impl Iterator<Item = SseEvent> + '_ {
        self.ready.drain(..)
    }

    /// Comment lines seen so far (keep-alives such as `: OPENROUTER PROCESSING`), for callers
    /// that want to notice an upstream that is alive but silent.
    pub fn comment_count(&self) -> u64 {
        self.comments
    }

    /// Bytes held for the event in progress.
    pub fn buffered_len(&self) -> usize {
        self.buf.len()
    }

    fn check_not_failed(&self) -> Result<(), SseError> {
        if self.failed {
            return Err(SseError::EventTooLarge {
                limit: self.max_event_size,
            });
        }
        Ok(())
    }

    /// Drops a leading BOM. Returns false while too few bytes have arrived to decide.
    fn skip_bom(&mut self) -> bool {
        if self.buf.len() < UTF8_BOM.len() && UTF8_BOM.starts_with(&self.buf) {
            return false;
        }
        if self.buf.starts_with(UTF8_BOM) {
            let _ = self.buf.split_to(UTF8_BOM.len());
        }
        self.at_stream_start = false;
        true
    }

    /// Applies every complete line in `buf`, dispatching at blank lines.
    fn scan(&mut self, at_eof: bool) -> Result<(), SseError> {
        while let Some(offset) = memchr2(b'\n', b'\r', &self.buf[self.scan_pos..]) {
            let line_end = self.scan_pos + offset;
            let next_line = if self.buf[line_end] == b'\n' {
                line_end + 1
            } else {
                match self.buf.get(line_end + 1) {
                    Some(b'\n') => line_end + 2,
                    Some(_) => line_end + 1,
                    None if at_eof => line_end + 1,
                    // The '\n' of a "\r\n" may be in the next chunk; deciding now would turn
                    // one line ending into two, i.e. a spurious blank line.
                    None => break,
                }
            };
            if line_end == self.scan_pos {
                let raw = self.buf.split_to(next_line).freeze();
                self.scan_pos = 0;
                if raw.len() > self.max_event_size {
                    return Err(self.fail());
                }
                if self.pending.has_data {
                    self.emit(raw);
                } else {
                    // A block of comments or id/retry fields only: nothing to dispatch.
                    self.pending = PendingEvent::default();
                }
            } else {
                let line = &self.buf[self.scan_pos..line_end];
                apply_line(&mut self.pending, &mut self.comments, line);
                self.scan_pos = next_line;
            }
        }
        if self.buf.len() > self.max_event_size {
            return Err(self.fail());
        }
        Ok(())
    }

    fn emit(&mut self, raw: Bytes) {
        let pending = std::mem::take(&mut self.pending);
        self.ready.push_back(SseEvent {
            event: pending.name,
            data: pending.data,
            raw,
        });
    }

    fn fail(&mut self) -> SseError {
        self.failed = true;
        self.buf = BytesMut::new();
        self.scan_pos = 0;
        self.pending = PendingEvent::default();
        SseError::EventTooLarge {
            limit: self.max_event_size,
        }
    }
}

/// Applies one non-empty line (without its line ending) to the event in progress.
fn apply_line(pending: &mut PendingEvent, comments: &mut u64, line: &[u8]) {
    if line.first() == Some(&b':') {
        *comments += 1;
        return;
    }
    let (field, value) = match memchr(b':', line) {
        Some(colon) => {
            let value = &line[colon + 1..];
            (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
        }
        // A line without a colon is a field name with an empty value.
        None => (line, &[][..]),
    };
    match field {
        b"data" => {
            if pending.has_data {
                pending.data.push('\n');
            }
            pending.has_data = true;
            pending.data.push_str(&String::from_utf8_lossy(value));
        }
        b"event" => {
            pending.name = if value.is_empty() {
                None
            } else {
                Some(String::from_utf8_lossy(value).into_owned())
            };
        }
        // `id`, `retry` and unknown fields: a gateway never reconnects for its client.
        _ => {}
    }
}

/// Decodes a whole, already-received stream (for example a recorded fixture), including a
/// final event without its blank line.
pub fn decode_all(input: &[u8]) -> Result<Vec<SseEvent>, SseError> {
    let mut decoder = SseDecoder::new();
    decoder.push(input)?;
    decoder.finish()?;
    Ok(decoder.drain().collect())
}

#[cfg(test)]
mod tests;
