//! Gemini `GenerateContentResponse` objects, whole and as stream chunks.

use serde::Serialize;
use serde_json::Value;

use crate::reply::{Answer, Finish, Reply};
use crate::tokens::word_pieces;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GenerateResponse<'a> {
    candidates: Vec<Candidate<'a>>,
    usage_metadata: UsageMetadata,
    model_version: &'a str,
    response_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Candidate<'a> {
    content: Content<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    finish_reason: Option<&'static str>,
    index: u64,
}

#[derive(Serialize)]
struct Content<'a> {
    parts: Vec<Part<'a>>,
    role: &'static str,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Part<'a> {
    Text {
        text: &'a str,
    },
    Call {
        #[serde(rename = "functionCall")]
        function_call: FunctionCall<'a>,
    },
}

#[derive(Serialize)]
struct FunctionCall<'a> {
    name: &'a str,
    args: Value,
}

/// Zero counts are omitted, as protobuf JSON does; parsers must default them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UsageMetadata {
    prompt_token_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    candidates_token_count: Option<u64>,
    total_token_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    cached_content_token_count: Option<u64>,
    prompt_tokens_details: [ModalityCount; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    thoughts_token_count: Option<u64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ModalityCount {
    modality: &'static str,
    token_count: u64,
}

fn finish_reason(finish: Finish) -> &'static str {
    match finish {
        Finish::Length => "MAX_TOKENS",
        // A turn that produced a functionCall still reports STOP.
        Finish::Stop | Finish::ToolCalls => "STOP",
    }
}

/// Usage after `output` candidate tokens per candidate; `done` adds the final-only counts.
fn usage(reply: &Reply, output: u64, done: bool) -> UsageMetadata {
    let u = &reply.usage;
    let candidates = output * u.choices;
    let thoughts = if done { u.reasoning } else { 0 };
    UsageMetadata {
        prompt_token_count: u.prompt,
        candidates_token_count: (candidates > 0).then_some(candidates),
        total_token_count: u.prompt + candidates + thoughts,
        cached_content_token_count: (u.cached > 0).then_some(u.cached),
        prompt_tokens_details: [ModalityCount {
            modality: "TEXT",
            token_count: u.prompt,
        }],
        thoughts_token_count: (thoughts > 0).then_some(thoughts),
    }
}

fn candidates<'a>(
    reply: &'a Reply,
    parts: impl Fn() -> Vec<Part<'a>>,
    finish: Option<&'static str>,
) -> Vec<Candidate<'a>> {
    (0..reply.usage.choices)
        .map(|index| Candidate {
            content: Content {
                parts: parts(),
                role: "model",
            },
            finish_reason: finish,
            index,
        })
        .collect()
}

fn answer_parts(answer: &Answer) -> Vec<Part<'_>> {
    match answer {
        Answer::Text(text) => vec![Part::Text { text }],
        Answer::ToolCall { name, arguments } => vec![Part::Call {
            function_call: FunctionCall {
                name,
                args: serde_json::from_str(arguments).unwrap_or(Value::Null),
            },
        }],
    }
}

pub(crate) fn response<'a>(
    reply: &'a Reply,
    model: &'a str,
    response_id: &'a str,
) -> GenerateResponse<'a> {
    GenerateResponse {
        candidates: candidates(
            reply,
            || answer_parts(&reply.answer),
            Some(finish_reason(reply.finish)),
        ),
        usage_metadata: usage(reply, reply.usage.output, true),
        model_version: model,
        response_id,
    }
}

/// Stream chunks: one per word (a tool call is one chunk), each with running usage; the last
/// carries `finishReason` and the final usage.
pub(crate) fn chunks<'a>(
    reply: &'a Reply,
    model: &'a str,
    response_id: &'a str,
) -> Vec<GenerateResponse<'a>> {
    let pieces = match &reply.answer {
        Answer::Text(text) => word_pieces(text),
        Answer::ToolCall { .. } => Vec::new(),
    };
    if pieces.len() <= 1 {
        return vec![response(reply, model, response_id)];
    }
    let last = pieces.len() - 1;
    pieces
        .iter()
        .enumerate()
        .map(|(i, piece)| {
            let done = i == last;
            let output = if done {
                reply.usage.output
            } else {
                i as u64 + 1
            };
            GenerateResponse {
                candidates: candidates(
                    reply,
                    || vec![Part::Text { text: piece }],
                    done.then(|| finish_reason(reply.finish)),
                ),
                usage_metadata: usage(reply, output, done),
                model_version: model,
                response_id,
            }
        })
        .collect()
}
