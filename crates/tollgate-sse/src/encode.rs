//! SSE encoders for the events Tollgate writes to its clients.
//!
//! Data is split at every line ending (`\n`, `\r\n`, `\r`) into several `data:` lines: a raw
//! line ending inside one `data:` line would end the field early or even the event on the
//! client side. A decoder joins the lines back with `\n`, so `\r\n` in data comes out as `\n`.

use bytes::{BufMut, Bytes, BytesMut};
use memchr::memchr2;

/// `data: ...\n\n`.
pub fn encode_data(data: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(encoded_lines_len(b"data: ", data) + 1);
    put_lines(&mut out, b"data: ", data);
    out.put_u8(b'\n');
    out.freeze()
}

/// `event: name\ndata: ...\n\n`. Line endings in `name` would break the framing, so they are
/// replaced by spaces (event names are chosen by Tollgate, never by a caller).
pub fn encode_event(name: &str, data: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(
        b"event: \n".len() + name.len() + encoded_lines_len(b"data: ", data) + 1,
    );
    out.put_slice(b"event: ");
    for &byte in name.as_bytes() {
        out.put_u8(if byte == b'\r' || byte == b'\n' {
            b' '
        } else {
            byte
        });
    }
    out.put_u8(b'\n');
    put_lines(&mut out, b"data: ", data);
    out.put_u8(b'\n');
    out.freeze()
}

/// `: text\n\n`, one `: ` line per line of `text`. Clients ignore comments, which makes them
/// the usual keep-alive.
pub fn encode_comment(text: &str) -> Bytes {
    let text = text.as_bytes();
    let mut out = BytesMut::with_capacity(encoded_lines_len(b": ", text) + 1);
    put_lines(&mut out, b": ", text);
    out.put_u8(b'\n');
    out.freeze()
}

/// Upper bound of what [`put_lines`] writes, so each encoder allocates once.
fn encoded_lines_len(prefix: &[u8], text: &[u8]) -> usize {
    let line_endings = memchr::memchr2_iter(b'\n', b'\r', text).count();
    text.len() + (line_endings + 1) * (prefix.len() + 1)
}

/// Writes `prefix line\n` for every line of `text` (at least one, possibly empty).
fn put_lines(out: &mut BytesMut, prefix: &[u8], mut text: &[u8]) {
    loop {
        out.put_slice(prefix);
        let Some(end) = memchr2(b'\n', b'\r', text) else {
            out.put_slice(text);
            out.put_u8(b'\n');
            return;
        };
        out.put_slice(&text[..end]);
        out.put_u8(b'\n');
        let ending_len = if text[end..].starts_with(b"\r\n") {
            2
        } else {
            1
        };
        text = &text[end + ending_len..];
    }
}

#[cfg(test)]
mod tests;
