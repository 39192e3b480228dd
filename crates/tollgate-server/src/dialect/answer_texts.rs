//! The texts of an answer that came back in the caller's own dialect (same-dialect passthrough),
//! read and, only when needed, rewritten — so output guardrails need no canonical round trip.
//!
//! Answers are read with a borrowed parse of just the text fields. When the guardrails change
//! none of them (the common case: nothing to redact, no placeholder to restore) the provider's
//! bytes go out untouched; in one run here the canonical round trip (parse the whole answer,
//! render it again) was a third of what guardrails cost a call. Only an answer with something
//! to rewrite is parsed into a JSON tree, its texts replaced and serialised again, which also
//! keeps every provider-specific field the canonical form would drop.
//!
//! The texts are the ones the canonical path scans: OpenAI `choices[].message.content` (when a
//! string) and Anthropic `content[]` blocks of type `text`.

use std::borrow::Cow;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::Value;
use tollgate_types::{Dialect, ErrorKind, GatewayError};

/// Calls `scan` on every answer text of `body` in order, and answers the body with each text
/// replaced by what `scan` returned for it: the very same bytes when no text changed.
pub fn map_answer_texts(
    dialect: Dialect,
    body: Bytes,
    mut scan: impl FnMut(&str) -> String,
) -> Result<Bytes, GatewayError> {
    let Some(texts) = borrowed_texts(dialect, &body) else {
        // A shape the borrowed reader does not expect (it never happens with real providers):
        // the tree walk below reads whatever texts are there.
        return rewrite(dialect, &body, &mut |text| Some(scan(text)));
    };
    let mut scanned = Vec::with_capacity(texts.len());
    let mut changed = false;
    for text in &texts {
        let out = scan(text);
        changed |= out != text.as_ref();
        scanned.push(out);
    }
    drop(texts);
    if !changed {
        return Ok(body);
    }
    let mut replacements = scanned.into_iter();
    rewrite(dialect, &body, &mut |_| replacements.next())
}

/// The texts, borrowed from `body` where they hold no escapes; `None` if `body` is not the
/// dialect's answer shape.
fn borrowed_texts(dialect: Dialect, body: &[u8]) -> Option<Vec<Cow<'_, str>>> {
    match dialect {
        Dialect::OpenAi => {
            let answer: OpenAiAnswer<'_> = serde_json::from_slice(body).ok()?;
            Some(
                answer
                    .choices
                    .into_iter()
                    .filter_map(|choice| choice.message?.content)
                    .collect(),
            )
        }
        Dialect::Anthropic => {
            let answer: AnthropicAnswer<'_> = serde_json::from_slice(body).ok()?;
            Some(
                answer
                    .content
                    .into_iter()
                    .filter(|block| block.kind.as_deref() == Some("text"))
                    .filter_map(|block| block.text)
                    .collect(),
            )
        }
    }
}

/// Parses `body` into a tree, replaces each text (in the order [`borrowed_texts`] reads them)
/// with what `next` gives for it (`None`: leave it), and serialises the tree again.
fn rewrite(
    dialect: Dialect,
    body: &[u8],
    next: &mut dyn FnMut(&str) -> Option<String>,
) -> Result<Bytes, GatewayError> {
    let mut tree: Value = serde_json::from_slice(body).map_err(|_| unreadable())?;
    for slot in text_slots(dialect, &mut tree) {
        if let Some(replacement) = next(slot) {
            *slot = replacement;
        }
    }
    serde_json::to_vec(&tree)
        .map(Bytes::from)
        .map_err(|_| unreadable())
}

fn text_slots(dialect: Dialect, tree: &mut Value) -> Vec<&mut String> {
    let (list, kind_filter) = match dialect {
        Dialect::OpenAi => ("choices", false),
        Dialect::Anthropic => ("content", true),
    };
    let Some(items) = tree.get_mut(list).and_then(Value::as_array_mut) else {
        return Vec::new();
    };
    items
        .iter_mut()
        .filter_map(|item| {
            if kind_filter {
                if item.get("type").and_then(Value::as_str) != Some("text") {
                    return None;
                }
                match item.get_mut("text") {
                    Some(Value::String(text)) => Some(text),
                    _ => None,
                }
            } else {
                match item.get_mut("message").and_then(|m| m.get_mut("content")) {
                    Some(Value::String(text)) => Some(text),
                    _ => None,
                }
            }
        })
        .collect()
}

fn unreadable() -> GatewayError {
    GatewayError::upstream(
        ErrorKind::UpstreamError,
        "The upstream's answer could not be read to apply the output guardrails.",
    )
}

#[derive(Deserialize)]
struct OpenAiAnswer<'a> {
    #[serde(borrow, default)]
    choices: Vec<OpenAiChoice<'a>>,
}

#[derive(Deserialize)]
struct OpenAiChoice<'a> {
    #[serde(borrow, default)]
    message: Option<OpenAiMessage<'a>>,
}

#[derive(Deserialize)]
struct OpenAiMessage<'a> {
    /// Chat answers' content is a string or null; anything else is no text to scan (the tree
    /// walk agrees: it replaces strings only).
    #[serde(borrow, default, deserialize_with = "string_or_none")]
    content: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct AnthropicAnswer<'a> {
    #[serde(borrow, default)]
    content: Vec<AnthropicBlock<'a>>,
}

#[derive(Deserialize)]
struct AnthropicBlock<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "string_or_none")]
    text: Option<Cow<'a, str>>,
}

/// A string (borrowed when it can be), or `None` for null or any other JSON value.
fn string_or_none<'de, D>(deserializer: D) -> Result<Option<Cow<'de, str>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text<'a> {
        Str(#[serde(borrow)] Cow<'a, str>),
        Other(serde::de::IgnoredAny),
    }
    Ok(match Text::deserialize(deserializer)? {
        Text::Str(text) => Some(text),
        Text::Other(_) => None,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn upper(text: &str) -> String {
        text.to_uppercase()
    }

    #[test]
    fn unchanged_texts_keep_the_providers_bytes() {
        let body = Bytes::from_static(
            br#"{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"HI"}}],"z":1}"#,
        );
        let out = map_answer_texts(Dialect::OpenAi, body.clone(), upper).unwrap();
        assert_eq!(out.as_ptr(), body.as_ptr(), "the same buffer, not a copy");
    }

    #[test]
    fn openai_texts_are_replaced_in_every_choice_and_other_fields_kept() {
        let body = Bytes::from_static(
            br#"{"id":"x","choices":[{"index":0,"message":{"content":"a\nb"}},{"index":1,"message":{"content":null,"tool_calls":[]}},{"index":2,"message":{"content":"c"}}],"service_tier":"default"}"#,
        );
        let mut seen = Vec::new();
        let out = map_answer_texts(Dialect::OpenAi, body, |text| {
            seen.push(text.to_string());
            upper(text)
        })
        .unwrap();
        assert_eq!(seen, ["a\nb", "c"]);
        let tree: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(tree["choices"][0]["message"]["content"], "A\nB");
        assert_eq!(tree["choices"][1]["message"]["content"], Value::Null);
        assert_eq!(tree["choices"][2]["message"]["content"], "C");
        assert_eq!(tree["service_tier"], "default");
    }

    #[test]
    fn anthropic_text_blocks_only() {
        let body = Bytes::from_static(
            br#"{"type":"message","content":[{"type":"thinking","thinking":"t","text":"not me"},{"type":"text","text":"x"},{"type":"tool_use","id":"t","input":{}},{"type":"text","text":"y"}]}"#,
        );
        let mut seen = Vec::new();
        let out = map_answer_texts(Dialect::Anthropic, body, |text| {
            seen.push(text.to_string());
            upper(text)
        })
        .unwrap();
        assert_eq!(seen, ["x", "y"]);
        let tree: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(tree["content"][0]["text"], "not me");
        assert_eq!(tree["content"][1]["text"], "X");
        assert_eq!(tree["content"][3]["text"], "Y");
    }

    #[test]
    fn odd_shapes_are_walked_as_a_tree_and_garbage_is_an_error() {
        // `choices` as an object: not the borrowed shape; nothing to scan, body unchanged in
        // content.
        let body = Bytes::from_static(br#"{"choices":{"message":"?"}}"#);
        let out = map_answer_texts(Dialect::OpenAi, body, upper).unwrap();
        let tree: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(tree["choices"]["message"], "?");
        assert!(
            map_answer_texts(Dialect::OpenAi, Bytes::from_static(b"{not json"), upper).is_err()
        );
    }
}
