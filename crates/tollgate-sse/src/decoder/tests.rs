use super::*;

/// Decodes `input` fed as the given chunks, finishing at the end.
fn decode_chunks<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Vec<SseEvent> {
    let mut decoder = SseDecoder::new();
    let mut events = Vec::new();
    for chunk in chunks {
        decoder.push(chunk).unwrap();
        events.extend(decoder.drain());
    }
    decoder.finish().unwrap();
    events.extend(decoder.drain());
    events
}

fn summary(events: &[SseEvent]) -> Vec<(Option<&str>, &str)> {
    events
        .iter()
        .map(|e| (e.event.as_deref(), e.data.as_str()))
        .collect()
}

/// A stream exercising every framing rule at once: BOM, all three line endings (including
/// `\r\n` and lone `\r` next to each other), comments inside and between events, multi-line
/// data, no space and two spaces after the colon, id/retry fields, a data-less block, a
/// colon-less field, non-ASCII text, and a final event without its blank line.
const MIXED: &[u8] = b"\xEF\xBB\xBF: hello\n\n\
event: message_start\r\ndata: {\"a\":1}\r\n\r\n\
data: line one\rdata: line two\r\r\
: keep-alive\n\
id: 7\nretry: 100\n\n\
event: delta\n: inline comment\ndata:no-space\ndata:  two spaces\n\n\
data\n\n\
event: only-name\n\n\
data: caf\xC3\xA9 \xE2\x9C\x93\r\n\r\n\
data: [DONE]";

fn mixed_expected() -> Vec<(Option<&'static str>, &'static str)> {
    vec![
        (Some("message_start"), "{\"a\":1}"),
        (None, "line one\nline two"),
        (Some("delta"), "no-space\n two spaces"),
        (None, ""),
        (None, "caf\u{e9} \u{2713}"),
        (None, "[DONE]"),
    ]
}

#[test]
fn decodes_mixed_stream_in_one_chunk() {
    let events = decode_all(MIXED).unwrap();
    assert_eq!(summary(&events), mixed_expected());
    assert_eq!(
        &events[0].raw[..],
        b"event: message_start\r\ndata: {\"a\":1}\r\n\r\n"
    );
    assert_eq!(&events[1].raw[..], b"data: line one\rdata: line two\r\r");
    assert_eq!(
        &events[2].raw[..],
        b"event: delta\n: inline comment\ndata:no-space\ndata:  two spaces\n\n"
    );
    // Completed at EOF: the missing line ending and blank line are added.
    assert_eq!(&events[5].raw[..], b"data: [DONE]\n\n");
}

#[test]
fn every_split_position_yields_identical_events() {
    let whole = decode_chunks([MIXED]);
    for split in 0..=MIXED.len() {
        let (a, b) = MIXED.split_at(split);
        assert_eq!(decode_chunks([a, b]), whole, "split at byte {split}");
    }
    for first in 0..=MIXED.len() {
        for second in first..=MIXED.len() {
            let chunks = [&MIXED[..first], &MIXED[first..second], &MIXED[second..]];
            assert_eq!(
                decode_chunks(chunks),
                whole,
                "splits at {first} and {second}"
            );
        }
    }
}

#[test]
fn one_byte_chunks_yield_identical_events() {
    let whole = decode_chunks([MIXED]);
    assert_eq!(decode_chunks(MIXED.chunks(1)), whole);
    for size in 2..8 {
        assert_eq!(decode_chunks(MIXED.chunks(size)), whole, "chunks of {size}");
    }
}

#[test]
fn raw_bytes_reassemble_a_stream_without_dropped_blocks() {
    let stream: &[u8] = b"event: a\r\ndata: 1\r\n\r\n: note\ndata: 2\n\ndata: 3\r\r";
    let events = decode_chunks(stream.chunks(3));
    let joined: Vec<u8> = events.iter().flat_map(|e| e.raw.iter().copied()).collect();
    assert_eq!(joined, stream);
}

#[test]
fn crlf_split_between_chunks_is_one_line_ending() {
    let mut decoder = SseDecoder::new();
    decoder.push(b"data: a\r").unwrap();
    assert!(decoder.next_event().is_none());
    decoder.push(b"\n\r").unwrap();
    // "\r" at the end may still be the start of "\r\n": no dispatch yet.
    assert!(decoder.next_event().is_none());
    decoder.push(b"\ndata: b\r\n\r\n").unwrap();
    let events: Vec<_> = decoder.drain().collect();
    assert_eq!(summary(&events), vec![(None, "a"), (None, "b")]);
    assert_eq!(&events[0].raw[..], b"data: a\r\n\r\n");
}

#[test]
fn lone_cr_at_end_dispatches_once_the_next_byte_arrives() {
    let mut decoder = SseDecoder::new();
    decoder.push(b"data: a\r\r").unwrap();
    assert!(decoder.next_event().is_none());
    decoder.push(b"d").unwrap();
    assert_eq!(decoder.next_event().map(|e| e.data), Some("a".to_owned()));
}

#[test]
fn comments_are_counted_not_dispatched() {
    let mut decoder = SseDecoder::new();
    decoder
        .push(b": OPENROUTER PROCESSING\n\n: again\n\ndata: x\n\n")
        .unwrap();
    let events: Vec<_> = decoder.drain().collect();
    assert_eq!(summary(&events), vec![(None, "x")]);
    assert_eq!(decoder.comment_count(), 2);
    // The dropped comment blocks are not glued onto the next event's bytes.
    assert_eq!(&events[0].raw[..], b"data: x\n\n");
}

#[test]
fn multi_line_data_joins_with_newline() {
    let events = decode_all(b"data: {\ndata: \"a\": 1\ndata: }\n\n").unwrap();
    assert_eq!(events[0].data, "{\n\"a\": 1\n}");
}

#[test]
fn event_name_applies_to_its_block_only() {
    let events = decode_all(b"event: ping\ndata: {}\n\ndata: next\n\n").unwrap();
    assert_eq!(summary(&events), vec![(Some("ping"), "{}"), (None, "next")]);
}

#[test]
fn trailing_event_at_eof_is_dispatched() {
    for (stream, raw) in [
        (&b"data: end"[..], &b"data: end\n\n"[..]),
        (b"data: end\n", b"data: end\n\n"),
        (b"data: end\r", b"data: end\r\n"),
        (b"data: end\r\n", b"data: end\r\n\n"),
    ] {
        let events = decode_all(stream).unwrap();
        assert_eq!(summary(&events), vec![(None, "end")], "{stream:?}");
        assert_eq!(&events[0].raw[..], raw, "{stream:?}");
    }
}

#[test]
fn eof_without_data_dispatches_nothing() {
    assert!(decode_all(b"").unwrap().is_empty());
    assert!(decode_all(b"\xEF\xBB").unwrap().is_empty());
    assert!(decode_all(b": bye").unwrap().is_empty());
    assert!(decode_all(b"event: x\n").unwrap().is_empty());
}

#[test]
fn decoder_is_reusable_after_finish() {
    let mut decoder = SseDecoder::new();
    decoder.push(b"data: one").unwrap();
    decoder.finish().unwrap();
    decoder.push(b"\xEF\xBB\xBFdata: two\n\n").unwrap();
    let data: Vec<_> = decoder.drain().map(|e| e.data).collect();
    assert_eq!(data, ["one", "two"]);
}

#[test]
fn oversize_event_is_an_error_not_growth() {
    let mut decoder = SseDecoder::with_max_event_size(32);
    decoder.push(b"data: small\n\n").unwrap();
    assert_eq!(
        decoder.next_event().map(|e| e.data),
        Some("small".to_owned())
    );
    decoder.push(b"data: 0123456789").unwrap();
    let err = decoder.push(b"0123456789012345678901234").unwrap_err();
    assert_eq!(err, SseError::EventTooLarge { limit: 32 });
    assert_eq!(decoder.buffered_len(), 0);
    // The stream cannot be framed any more: the decoder stays failed.
    assert!(decoder.push(b"\n\ndata: x\n\n").is_err());
    assert!(decoder.finish().is_err());
}

#[test]
fn oversize_complete_event_in_one_chunk_is_an_error() {
    let mut decoder = SseDecoder::with_max_event_size(16);
    let err = decoder
        .push(b"data: far more than sixteen bytes\n\n")
        .unwrap_err();
    assert_eq!(err, SseError::EventTooLarge { limit: 16 });
}

#[test]
fn event_at_the_limit_is_accepted() {
    let event = b"data: 12345678\n\n";
    let mut decoder = SseDecoder::with_max_event_size(event.len());
    decoder.push(event).unwrap();
    assert_eq!(
        decoder.next_event().map(|e| e.data),
        Some("12345678".to_owned())
    );
}

#[test]
fn many_events_in_one_chunk_share_the_buffer() {
    let mut stream = Vec::new();
    for i in 0..1000 {
        stream.extend_from_slice(format!("data: {i}\n\n").as_bytes());
    }
    let events = decode_all(&stream).unwrap();
    assert_eq!(events.len(), 1000);
    assert_eq!(events[999].data, "999");
}

#[test]
fn invalid_utf8_is_replaced() {
    let events = decode_all(b"data: a\xFFb\n\n").unwrap();
    assert_eq!(events[0].data, "a\u{FFFD}b");
}
