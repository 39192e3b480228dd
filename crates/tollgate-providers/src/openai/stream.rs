//! Streamed answers: each upstream SSE event becomes zero or more canonical [`StreamEvent`]s.
//!
//! Two mappers: [`ChunkMapper`] translates every chunk (the caller spoke another dialect), and
//! [`NativeMapper`] forwards the upstream's frames verbatim (the caller spoke OpenAI too) and only
//! parses the few chunks that carry usage, cost, a finish reason or an error, found with a byte
//! scan rather than a JSON parse.

use memchr::memmem;
use tollgate_sse::SseEvent;
use tollgate_types::{ErrorKind, FinishReason, GatewayError, StreamEvent};

use super::errors::ErrorScope;
use super::response::{cost_from_wire, new_call_id, usage_from_wire};
use super::wire::{self, ChunkIn, ChunkProbeIn, ToolCallDeltaIn, UsageIn};

/// Whether the stream goes on after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Continue,
    /// `[DONE]` or a terminal error: nothing more will be emitted.
    End,
}

pub(crate) trait EventMapper: Send + 'static {
    fn map(&mut self, event: SseEvent, out: &mut Vec<StreamEvent>) -> Step;

    /// The body ended cleanly without `[DONE]`. Some servers never send it, so a stream whose
    /// choices all finished is whole; one that never reported a finish reason was cut short (a
    /// proxy closed the body), and the caller must not take it for a whole answer.
    fn at_end_of_body(&self) -> Option<GatewayError>;
}

fn ended_early(finished_choices: &[u32]) -> Option<GatewayError> {
    finished_choices.is_empty().then(|| {
        GatewayError::upstream(
            ErrorKind::UpstreamError,
            "The upstream stream ended before its last event.",
        )
        .with_code("upstream_connection_error")
    })
}

/// Translates OpenAI chunks into canonical events.
pub(crate) struct ChunkMapper {
    scope: ErrorScope,
    started: bool,
    /// Tool calls announced so far: (choice, canonical index, upstream id).
    tool_calls: Vec<(u32, u32, String)>,
    finished_choices: Vec<u32>,
}

impl ChunkMapper {
    pub fn new(scope: ErrorScope) -> Self {
        ChunkMapper {
            scope,
            started: false,
            tool_calls: Vec::new(),
            finished_choices: Vec::new(),
        }
    }

    fn tool_call_fragment(
        &mut self,
        choice: u32,
        fragment: ToolCallDeltaIn,
        out: &mut Vec<StreamEvent>,
    ) {
        let announced_in_choice = self.tool_calls.iter().filter(|c| c.0 == choice).count();
        let announced_in_choice = u32::try_from(announced_in_choice).unwrap_or(u32::MAX);
        let id = fragment.id.filter(|id| !id.is_empty());
        let mut index = match fragment.index {
            Some(index) => index,
            // No index (some servers): a fragment with an id opens the next call, one without
            // continues the last.
            None if id.is_some() => announced_in_choice,
            None => announced_in_choice.saturating_sub(1),
        };
        let known = self
            .tool_calls
            .iter()
            .find(|c| c.0 == choice && c.1 == index);
        // A different id at a known index is a new call from a server that never counts up.
        if let (Some(known), Some(id)) = (known, id.as_deref())
            && known.2 != id
        {
            index = announced_in_choice;
        }
        let is_new = !self
            .tool_calls
            .iter()
            .any(|c| c.0 == choice && c.1 == index);
        let function = fragment.function;
        if is_new {
            let id = id.unwrap_or_else(new_call_id);
            let name = function
                .as_ref()
                .and_then(|f| f.name.clone())
                .unwrap_or_default();
            self.tool_calls.push((choice, index, id.clone()));
            out.push(StreamEvent::ToolCallStart {
                choice,
                index,
                id,
                name,
            });
        }
        let arguments =
            wire::arguments_text(function.as_ref().and_then(|f| f.arguments.as_deref()));
        if !arguments.is_empty() {
            out.push(StreamEvent::ToolCallDelta {
                choice,
                index,
                arguments,
            });
        }
    }

    fn finish(&mut self, choice: u32, reason: &str, out: &mut Vec<StreamEvent>) {
        if !self.finished_choices.contains(&choice) {
            self.finished_choices.push(choice);
            out.push(StreamEvent::Finish {
                choice,
                reason: FinishReason::from_openai(reason),
            });
        }
    }
}

impl EventMapper for ChunkMapper {
    fn map(&mut self, event: SseEvent, out: &mut Vec<StreamEvent>) -> Step {
        let data = event.data.trim();
        if data == "[DONE]" {
            return Step::End;
        }
        if data.is_empty() {
            return Step::Continue;
        }
        if event.event.as_deref() == Some("error") {
            out.push(named_error_event(&self.scope, data));
            return Step::End;
        }
        let chunk: ChunkIn = match serde_json::from_str(data) {
            Ok(chunk) => chunk,
            Err(error) => {
                out.push(StreamEvent::Error(self.scope.unreadable(error)));
                return Step::End;
            }
        };
        if let Some(error) = chunk.error.as_ref().filter(|e| !e.is_null()) {
            out.push(StreamEvent::Error(self.scope.inline_error(error)));
            return Step::End;
        }
        if !self.started && opens_message(chunk.id.as_deref(), !chunk.choices.is_empty()) {
            self.started = true;
            out.push(StreamEvent::Start {
                id: chunk.id.unwrap_or_default(),
                model: chunk.model.unwrap_or_default(),
            });
        }
        for (position, choice_in) in chunk.choices.into_iter().enumerate() {
            let choice = choice_in
                .index
                .unwrap_or_else(|| u32::try_from(position).unwrap_or(u32::MAX));
            if let Some(delta) = choice_in.delta {
                if let Some(text) = delta.reasoning_content.or(delta.reasoning)
                    && !text.is_empty()
                {
                    out.push(StreamEvent::ReasoningDelta { choice, text });
                }
                if let Some(text) = delta.content
                    && !text.is_empty()
                {
                    out.push(StreamEvent::TextDelta { choice, text });
                }
                for fragment in delta.tool_calls {
                    self.tool_call_fragment(choice, fragment, out);
                }
            }
            if let Some(reason) = choice_in.finish_reason.as_deref() {
                self.finish(choice, reason, out);
            }
        }
        let usage = chunk.usage.or(chunk.x_groq.and_then(|extras| extras.usage));
        push_usage(usage.as_ref(), out);
        Step::Continue
    }

    fn at_end_of_body(&self) -> Option<GatewayError> {
        ended_early(&self.finished_choices)
    }
}

/// Forwards OpenAI frames to an OpenAI caller as they are.
///
/// The usage-only chunk is not forwarded: it becomes `Usage` (and `ProviderCost`), because the
/// caller's encoder writes the final usage chunk itself, with Tollgate's cost in it. A chunk with
/// both choices and usage (Groq, Mistral) is forwarded and also reported as `Usage`. `[DONE]` is
/// dropped for the same reason as the usage chunk.
pub(crate) struct NativeMapper {
    scope: ErrorScope,
    started: bool,
    finished_choices: Vec<u32>,
}

impl NativeMapper {
    pub fn new(scope: ErrorScope) -> Self {
        NativeMapper {
            scope,
            started: false,
            finished_choices: Vec::new(),
        }
    }
}

impl EventMapper for NativeMapper {
    fn map(&mut self, event: SseEvent, out: &mut Vec<StreamEvent>) -> Step {
        let data = event.data.trim().as_bytes();
        if data == b"[DONE]" {
            return Step::End;
        }
        if data.is_empty() {
            return Step::Continue;
        }
        if event.event.as_deref() == Some("error") {
            out.push(named_error_event(&self.scope, &event.data));
            return Step::End;
        }
        let worth_parsing = !self.started
            || has_non_null_member(data, b"\"usage\"")
            || has_non_null_member(data, b"\"finish_reason\"")
            || has_non_null_member(data, b"\"error\"");
        if !worth_parsing {
            out.push(StreamEvent::Native(event.raw));
            return Step::Continue;
        }
        let probe: ChunkProbeIn = match serde_json::from_slice(data) {
            Ok(probe) => probe,
            Err(error) => {
                out.push(StreamEvent::Error(self.scope.unreadable(error)));
                return Step::End;
            }
        };
        if let Some(error) = probe.error.as_ref().filter(|e| !e.is_null()) {
            out.push(StreamEvent::Error(self.scope.inline_error(error)));
            return Step::End;
        }
        let choices = probe.choices.unwrap_or_default();
        if !self.started && opens_message(probe.id.as_deref(), !choices.is_empty()) {
            self.started = true;
            out.push(StreamEvent::Start {
                id: probe.id.unwrap_or_default(),
                model: probe.model.unwrap_or_default(),
            });
        }
        let usage = probe.usage.or(probe.x_groq.and_then(|extras| extras.usage));
        // A chunk without choices carries nothing a caller can use (Azure's first chunk holds
        // only prompt filter results; SDK code reading `choices[0]` would break on it), and the
        // usage-only chunk is rewritten by the caller's encoder.
        if !choices.is_empty() {
            out.push(StreamEvent::Native(event.raw));
        }
        for (position, choice_in) in choices.into_iter().enumerate() {
            if let Some(reason) = choice_in.finish_reason.as_deref() {
                let choice = choice_in
                    .index
                    .unwrap_or_else(|| u32::try_from(position).unwrap_or(u32::MAX));
                if !self.finished_choices.contains(&choice) {
                    self.finished_choices.push(choice);
                    out.push(StreamEvent::Finish {
                        choice,
                        reason: FinishReason::from_openai(reason),
                    });
                }
            }
        }
        push_usage(usage.as_ref(), out);
        Step::Continue
    }

    fn at_end_of_body(&self) -> Option<GatewayError> {
        ended_early(&self.finished_choices)
    }
}

/// Whether a chunk can open the message: Azure first sends a chunk with an empty id, no choices
/// and only its prompt filter results, whose id would be useless to the caller.
fn opens_message(id: Option<&str>, has_choices: bool) -> bool {
    has_choices || id.is_some_and(|id| !id.is_empty())
}

fn push_usage(usage: Option<&UsageIn>, out: &mut Vec<StreamEvent>) {
    if let Some(usage) = usage {
        out.push(StreamEvent::Usage(usage_from_wire(usage)));
        if let Some(cost) = cost_from_wire(usage) {
            out.push(StreamEvent::ProviderCost(cost));
        }
    }
}

/// `event: error` with a JSON body (some servers name their error events).
fn named_error_event(scope: &ErrorScope, data: &str) -> StreamEvent {
    let value = serde_json::from_str::<serde_json::Value>(data)
        .unwrap_or_else(|_| serde_json::Value::String(data.to_string()));
    let error = value.get("error").unwrap_or(&value);
    StreamEvent::Error(scope.inline_error(error))
}

/// Whether `key` (quoted) occurs as an object member whose value is not `null`.
///
/// Text inside JSON strings has its quotes escaped, so `"usage"` followed by a colon can only be a
/// member name: a match is never a false alarm from the content, only (rarely) a nested member,
/// which costs one needless parse.
pub(crate) fn has_non_null_member(data: &[u8], key: &[u8]) -> bool {
    memmem::find_iter(data, key).any(|at| {
        let rest = skip_whitespace(&data[at + key.len()..]);
        match rest.strip_prefix(b":") {
            Some(value) => skip_whitespace(value)
                .first()
                .is_some_and(|&first| first != b'n'),
            None => false,
        }
    })
}

fn skip_whitespace(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}
