//! Anthropic's named-event stream: `message_start` → block start/deltas/stop → `message_delta`
//! (cumulative `output_tokens`) → `message_stop`, with `ping`s in between as the real API sends.
//! Payloads are written by hand so `"type"` comes first, as on the real wire.

use crate::anthropic::{MessageOut, UsageOut, output_tokens, stop_reason};
use crate::reply::{ANTHROPIC_TOOL_USE_ID, Answer, Reply};
use crate::respond::to_bytes;
use crate::sse::SseItem;
use crate::tokens::{halves, word_pieces};

/// A ping after every this many text deltas (and one right after the block starts).
const PING_EVERY: usize = 3;

/// A JSON string literal.
fn quote(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

fn ping() -> SseItem {
    SseItem::named("ping", r#"{"type": "ping"}"#.to_owned(), false)
}

fn delta(delta: String) -> String {
    format!(r#"{{"type":"content_block_delta","index":0,"delta":{delta}}}"#)
}

pub(crate) fn items(id: &str, model: &str, reply: &Reply) -> Vec<SseItem> {
    let start = MessageOut {
        id,
        kind: "message",
        role: "assistant",
        model,
        content: Vec::new(),
        stop_reason: None,
        stop_sequence: None,
        // Output starts at 1; only `message_delta` carries the real (cumulative) count.
        usage: UsageOut::new(&reply.usage, 1),
    };
    let message_start = format!(
        r#"{{"type":"message_start","message":{}}}"#,
        String::from_utf8_lossy(&to_bytes(&start))
    );
    let mut items = vec![SseItem::named("message_start", message_start, false)];

    match &reply.answer {
        Answer::Text(text) => {
            let start = r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#;
            items.push(SseItem::named(
                "content_block_start",
                start.to_owned(),
                false,
            ));
            items.push(ping());
            for (i, piece) in word_pieces(text).into_iter().enumerate() {
                if i > 0 && i % PING_EVERY == 0 {
                    items.push(ping());
                }
                let data = delta(format!(
                    r#"{{"type":"text_delta","text":{}}}"#,
                    quote(piece)
                ));
                items.push(SseItem::named("content_block_delta", data, true));
            }
        }
        Answer::ToolCall { name, arguments } => {
            let start = format!(
                r#"{{"type":"content_block_start","index":0,"content_block":{{"type":"tool_use","id":"{ANTHROPIC_TOOL_USE_ID}","name":{},"input":{{}}}}}}"#,
                quote(name)
            );
            items.push(SseItem::named("content_block_start", start, false));
            items.push(ping());
            // The real API opens a tool block with an empty fragment; decoders must accept it.
            let (first, second) = halves(arguments);
            for (fragment, content) in [("", false), (first, true), (second, true)] {
                let data = delta(format!(
                    r#"{{"type":"input_json_delta","partial_json":{}}}"#,
                    quote(fragment)
                ));
                items.push(SseItem::named("content_block_delta", data, content));
            }
        }
    }

    let stop = r#"{"type":"content_block_stop","index":0}"#;
    items.push(SseItem::named("content_block_stop", stop.to_owned(), false));
    let message_delta = format!(
        r#"{{"type":"message_delta","delta":{{"stop_reason":"{}","stop_sequence":null}},"usage":{{"output_tokens":{}}}}}"#,
        stop_reason(reply.finish),
        output_tokens(&reply.usage)
    );
    items.push(SseItem::named("message_delta", message_delta, false));
    items.push(SseItem::named(
        "message_stop",
        r#"{"type":"message_stop"}"#.to_owned(),
        false,
    ));
    items
}
