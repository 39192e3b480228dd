//! The mock model's deterministic answer: the same request always gets the same words, so demos
//! are predictable and benchmarks measure the gateway rather than the "model".

use std::borrow::Cow;

use tollgate_types::{ChatRequest, ContentPart, FinishReason, Role, Tool, ToolChoice, Usage};

use crate::MockSettings;

const PREAMBLE: &str = "This is Tollgate's built-in mock model. You said:";
/// Pads answers up to the configured length.
const FILLER: [&str; 8] = [
    "lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipiscing",
    "elit",
];
/// How much of the caller's text the answer quotes.
const QUOTE_CHARS: usize = 200;

/// What the mock answers to one request.
#[derive(Debug, Clone, PartialEq)]
pub struct MockAnswer {
    pub reply: MockReply,
    pub finish_reason: FinishReason,
    /// For all choices together.
    pub usage: Usage,
    /// Choices to produce (the request's `n`), each with the same reply.
    pub choices: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum MockReply {
    /// Words separated by single spaces.
    Text(String),
    ToolCall {
        name: String,
        arguments: String,
    },
}

pub fn answer(request: &ChatRequest, settings: &MockSettings) -> MockAnswer {
    let choices = request.n.unwrap_or(1).max(1);
    let input_tokens = request
        .text_parts()
        .map(|text| text.split_whitespace().count() as u64)
        .sum::<u64>()
        .max(1);
    let user_text = last_user_text(request);
    let (reply, finish_reason, output_words) = match tool_to_call(request) {
        Some(tool) => {
            let arguments = serde_json::json!({ "input": user_text.as_ref() }).to_string();
            let words = arguments.split_whitespace().count().max(1) as u64;
            let reply = MockReply::ToolCall {
                name: tool.name.clone(),
                arguments,
            };
            (reply, FinishReason::ToolCalls, words)
        }
        None => {
            let wanted = settings.output_tokens;
            let allowed = request.max_tokens.map_or(wanted, |max| max.min(wanted));
            let finish_reason = if allowed < wanted {
                FinishReason::Length
            } else {
                FinishReason::Stop
            };
            let text = answer_text(&user_text, allowed as usize);
            (MockReply::Text(text), finish_reason, u64::from(allowed))
        }
    };
    MockAnswer {
        reply,
        finish_reason,
        usage: Usage {
            input_tokens,
            output_tokens: output_words.saturating_mul(u64::from(choices)),
            ..Usage::default()
        },
        choices,
    }
}

/// Calls a tool when the caller declared some, did not forbid them, and the user spoke last
/// (after a tool result, the mock answers in text, as a real model would).
fn tool_to_call(request: &ChatRequest) -> Option<&Tool> {
    let user_spoke_last = request
        .messages
        .last()
        .is_some_and(|m| m.role == Role::User);
    if !user_spoke_last {
        return None;
    }
    match &request.tool_choice {
        Some(ToolChoice::None) => None,
        Some(ToolChoice::Named(name)) => request
            .tools
            .iter()
            .find(|tool| &tool.name == name)
            .or(request.tools.first()),
        _ => request.tools.first(),
    }
}

/// The text of the last user message, borrowed when it is one part (the usual case).
fn last_user_text(request: &ChatRequest) -> Cow<'_, str> {
    let Some(message) = request.messages.iter().rev().find(|m| m.role == Role::User) else {
        return Cow::Borrowed("");
    };
    let mut texts = message.content.iter().filter_map(|part| match part {
        ContentPart::Text { text } => Some(text.as_str()),
        ContentPart::Image { .. } => None,
    });
    match (texts.next(), texts.next()) {
        (None, _) => Cow::Borrowed(""),
        (Some(only), None) => Cow::Borrowed(only),
        (Some(_), Some(_)) => Cow::Owned(message.joined_text()),
    }
}

/// Exactly `words` words: the preamble, the quoted user text, then filler.
pub fn answer_text(user_text: &str, words: usize) -> String {
    let quoted = truncate_chars(user_text, QUOTE_CHARS);
    let source = PREAMBLE
        .split_whitespace()
        .chain(quoted.split_whitespace())
        .chain(FILLER.iter().copied().cycle());
    // Enough for the preamble, the quote and any filler (at most 11 letters and a space each),
    // so the one allocation of the answer never grows.
    let filler_room = words.saturating_mul(12);
    let mut text = String::with_capacity(PREAMBLE.len() + 1 + quoted.len() + filler_room);
    for (position, word) in source.take(words).enumerate() {
        if position > 0 {
            text.push(' ');
        }
        text.push_str(word);
    }
    text
}

fn truncate_chars(text: &str, max_chars: usize) -> &str {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}
