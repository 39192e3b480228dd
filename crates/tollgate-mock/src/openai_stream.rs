//! OpenAI Chat Completions streams: one chunk per word, interleaved across choices, a finish
//! chunk per choice, the usage chunk only when asked for, then `[DONE]`.

use crate::openai_wire::{
    Chunk, ChunkChoice, Delta, Dialect, FunctionDelta, Meta, SYSTEM_FINGERPRINT, ToolCallDelta,
    UsageOut, azure_prompt_filter_results, finish_reason,
};
use crate::reply::{Answer, OPENAI_TOOL_CALL_ID, Reply};
use crate::respond::to_bytes;
use crate::sse::SseItem;
use crate::tokens::{halves, word_pieces};

const OPENROUTER_COMMENT: &str = " OPENROUTER PROCESSING";

pub(crate) fn items(
    meta: &Meta,
    reply: &Reply,
    include_usage: bool,
    null_usage_choices: bool,
) -> Vec<SseItem> {
    let mut items = Vec::new();
    match meta.dialect {
        Dialect::OpenRouter => items.push(SseItem::Comment(OPENROUTER_COMMENT)),
        // Azure opens with a chunk that has no choices, empty id and model: only the prompt's
        // content-filter results. Gateways that assume `choices[0]` exists break on it.
        Dialect::Azure => {
            let filter = serde_json::json!({
                "choices": [], "created": 0, "id": "", "model": "", "object": "",
                "prompt_filter_results": azure_prompt_filter_results(),
            });
            items.push(SseItem::data(filter.to_string()));
        }
        Dialect::OpenAi => {}
    }
    let chunk = |choices: Option<Vec<ChunkChoice<'_>>>| -> String {
        let chunk = Chunk {
            id: &meta.id,
            object: "chat.completion.chunk",
            created: meta.created,
            model: &meta.model,
            provider: meta.provider(),
            system_fingerprint: SYSTEM_FINGERPRINT,
            choices,
            usage: include_usage.then_some(None),
        };
        String::from_utf8_lossy(&to_bytes(&chunk)).into_owned()
    };
    let choice = |index, delta, finish| choice(meta, index, delta, finish);
    let n = reply.usage.choices;

    match &reply.answer {
        Answer::Text(text) => {
            for index in 0..n {
                let delta = Delta {
                    role: Some("assistant"),
                    content: Some(Some("")),
                    refusal: Some(None),
                    ..Delta::default()
                };
                items.push(SseItem::data(chunk(Some(vec![choice(index, delta, None)]))));
            }
            for (i, piece) in word_pieces(text).into_iter().enumerate() {
                for index in 0..n {
                    let delta = Delta {
                        content: Some(Some(piece)),
                        ..Delta::default()
                    };
                    items.push(SseItem::content(chunk(Some(vec![choice(
                        index, delta, None,
                    )]))));
                }
                // OpenRouter keeps sending processing comments while a stream is open.
                if i == 1 && meta.dialect == Dialect::OpenRouter {
                    items.push(SseItem::Comment(OPENROUTER_COMMENT));
                }
            }
        }
        Answer::ToolCall { name, arguments } => {
            for index in 0..n {
                let delta = Delta {
                    role: Some("assistant"),
                    content: Some(None),
                    tool_calls: Some(vec![ToolCallDelta {
                        index: 0,
                        id: Some(OPENAI_TOOL_CALL_ID),
                        kind: Some("function"),
                        function: FunctionDelta {
                            name: Some(name),
                            arguments: "",
                        },
                    }]),
                    ..Delta::default()
                };
                items.push(SseItem::data(chunk(Some(vec![choice(index, delta, None)]))));
            }
            let (first, second) = halves(arguments);
            for fragment in [first, second] {
                for index in 0..n {
                    let delta = Delta {
                        tool_calls: Some(vec![ToolCallDelta {
                            index: 0,
                            id: None,
                            kind: None,
                            function: FunctionDelta {
                                name: None,
                                arguments: fragment,
                            },
                        }]),
                        ..Delta::default()
                    };
                    items.push(SseItem::content(chunk(Some(vec![choice(
                        index, delta, None,
                    )]))));
                }
            }
        }
    }

    let finish = finish_reason(reply.finish);
    for index in 0..n {
        let last = choice(index, Delta::default(), Some(finish));
        items.push(SseItem::data(chunk(Some(vec![last]))));
    }
    if include_usage {
        let usage = Chunk {
            id: &meta.id,
            object: "chat.completion.chunk",
            created: meta.created,
            model: &meta.model,
            provider: meta.provider(),
            system_fingerprint: SYSTEM_FINGERPRINT,
            choices: if null_usage_choices {
                None
            } else {
                Some(Vec::new())
            },
            usage: Some(Some(UsageOut::new(&reply.usage, meta.dialect))),
        };
        items.push(SseItem::data(
            String::from_utf8_lossy(&to_bytes(&usage)).into_owned(),
        ));
    }
    items.push(SseItem::data("[DONE]".to_owned()));
    items
}

fn choice<'a>(
    meta: &Meta,
    index: u64,
    delta: Delta<'a>,
    finish: Option<&'static str>,
) -> ChunkChoice<'a> {
    ChunkChoice {
        index,
        delta,
        logprobs: None,
        finish_reason: finish,
        native_finish_reason: finish.filter(|_| meta.dialect == Dialect::OpenRouter),
        content_filter_results: meta.content_filter(),
    }
}
