use super::*;
use crate::{SseDecoder, decode_all};

#[test]
fn encodes_single_line_data() {
    assert_eq!(&encode_data(b"{\"a\":1}")[..], b"data: {\"a\":1}\n\n");
    assert_eq!(&encode_data(b"")[..], b"data: \n\n");
}

#[test]
fn splits_data_at_every_line_ending() {
    assert_eq!(
        &encode_data(b"a\nb\r\nc\rd\n")[..],
        b"data: a\ndata: b\ndata: c\ndata: d\ndata: \n\n"
    );
}

#[test]
fn encodes_named_event() {
    assert_eq!(
        &encode_event("message_stop", b"{}")[..],
        b"event: message_stop\ndata: {}\n\n"
    );
    assert_eq!(
        &encode_event("a\r\nb", b"x")[..],
        b"event: a  b\ndata: x\n\n"
    );
}

#[test]
fn encodes_comment() {
    assert_eq!(&encode_comment("keep-alive")[..], b": keep-alive\n\n");
    assert_eq!(&encode_comment("a\nb")[..], b": a\n: b\n\n");
}

#[test]
fn encoded_data_round_trips_through_the_decoder() {
    for data in [
        "plain",
        " leading space",
        "two\nlines",
        "",
        "\n",
        "crlf\r\nend",
        "a\n\nb",
    ] {
        let events = decode_all(&encode_event("e", data.as_bytes())).unwrap();
        let expected = data.replace("\r\n", "\n");
        assert_eq!(events.len(), 1, "{data:?}");
        assert_eq!(events[0].data, expected, "{data:?}");
        assert_eq!(events[0].event.as_deref(), Some("e"));
    }
}

#[test]
fn encoded_comment_is_a_keep_alive_for_the_decoder() {
    let mut decoder = SseDecoder::new();
    decoder.push(&encode_comment("ping")).unwrap();
    assert!(decoder.next_event().is_none());
    assert_eq!(decoder.comment_count(), 1);
}

#[test]
fn capacity_estimate_is_an_upper_bound() {
    for data in [&b""[..], b"x", b"\r\n\r\n", b"a\rb\nc\r\nd"] {
        let encoded = encode_data(data);
        assert!(encoded.len() <= encoded_lines_len(b"data: ", data) + 1);
    }
}
