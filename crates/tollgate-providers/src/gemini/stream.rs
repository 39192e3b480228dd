//! Gemini `streamGenerateContent?alt=sse` → canonical stream events (providers.md §3.3).
//!
//! Each SSE event is a partial `GenerateContentResponse`: no event names, no `[DONE]`, EOF ends
//! the stream. Gemini sends function calls whole, so each becomes a `ToolCallStart` and one
//! `ToolCallDelta` carrying all of its arguments. `usageMetadata` may come on several events;
//! each becomes a `Usage` snapshot and the last one holds the final counts.

use futures_util::{Stream, StreamExt};
use http::HeaderMap;
use tollgate_sse::SseEvent;
use tollgate_types::{ErrorKind, FinishReason, GatewayError, StreamEvent};

use super::errors::from_error_body;
use super::response::{finish_reason, response_id, tool_call, usage};
use super::wire::GenerateContentResponse;
use crate::ChatStream;
use crate::http::unreadable_body;

/// Turns decoded SSE events into canonical events; ends after the first error.
pub fn canonical_stream(
    events: impl Stream<Item = Result<SseEvent, GatewayError>> + Send + 'static,
    mut state: StreamState,
) -> ChatStream {
    Box::pin(async_stream::stream! {
        let mut events = std::pin::pin!(events);
        let mut out = Vec::with_capacity(4);
        while let Some(event) = events.next().await {
            let result = match event {
                Ok(event) => state.on_event(&event.data, &mut out),
                Err(error) => Err(error),
            };
            for event in out.drain(..) {
                yield event;
            }
            if let Err(error) = result {
                yield StreamEvent::Error(error);
                return;
            }
        }
        if let Err(error) = state.on_end() {
            yield StreamEvent::Error(error);
        }
    })
}

/// What the converter remembers between events.
#[derive(Debug)]
pub struct StreamState {
    provider: String,
    upstream_model: String,
    api_key: Option<String>,
    started: bool,
    /// Per choice seen so far (Gemini allows at most a handful of candidates).
    choices: Vec<ChoiceState>,
}

#[derive(Debug, Clone, Copy)]
struct ChoiceState {
    index: u32,
    tool_calls: u32,
    finished: bool,
}

impl StreamState {
    pub fn new(provider: &str, upstream_model: &str, api_key: Option<&str>) -> Self {
        StreamState {
            provider: provider.to_string(),
            upstream_model: upstream_model.to_string(),
            api_key: api_key.map(str::to_string),
            started: false,
            choices: Vec::new(),
        }
    }

    /// Converts one SSE event's data; an error object or unreadable data ends the stream.
    pub fn on_event(&mut self, data: &str, out: &mut Vec<StreamEvent>) -> Result<(), GatewayError> {
        if data.trim().is_empty() {
            return Ok(());
        }
        let mut chunk: GenerateContentResponse =
            serde_json::from_str(data).map_err(|error| unreadable_body(&self.provider, error))?;
        if let Some(error) = chunk.error.take() {
            // A failure after the stream began, in Google's error envelope.
            let status = error.code.unwrap_or(500);
            let headers = HeaderMap::new();
            let api_key = self.api_key.as_deref();
            return Err(from_error_body(
                &self.provider,
                status,
                &headers,
                error,
                api_key,
            ));
        }
        if !self.started {
            self.started = true;
            out.push(StreamEvent::Start {
                id: response_id(chunk.response_id),
                model: chunk
                    .model_version
                    .unwrap_or_else(|| self.upstream_model.clone()),
            });
        }
        let blocked = chunk
            .prompt_feedback
            .is_some_and(|feedback| feedback.block_reason.is_some());
        if chunk.candidates.is_empty() && blocked {
            self.finish(0, FinishReason::ContentFilter, out);
        }
        for (position, candidate) in chunk.candidates.into_iter().enumerate() {
            let choice = candidate.index.unwrap_or(position as u32);
            // Registered now so EOF notices a choice that never reported a finish reason.
            self.choice(choice);
            for part in candidate.content.into_iter().flat_map(|c| c.parts) {
                if let Some(call) = part.function_call {
                    let call = tool_call(call);
                    let index = self.choice(choice).tool_calls;
                    self.choice(choice).tool_calls += 1;
                    out.push(StreamEvent::ToolCallStart {
                        choice,
                        index,
                        id: call.id,
                        name: call.name,
                    });
                    out.push(StreamEvent::ToolCallDelta {
                        choice,
                        index,
                        arguments: call.arguments,
                    });
                } else if let Some(text) = part.text.filter(|text| !text.is_empty()) {
                    out.push(if part.thought {
                        StreamEvent::ReasoningDelta { choice, text }
                    } else {
                        StreamEvent::TextDelta { choice, text }
                    });
                }
            }
            if let Some(reason) = candidate.finish_reason.as_deref() {
                let has_calls = self.choice(choice).tool_calls > 0;
                self.finish(choice, finish_reason(Some(reason), has_calls), out);
            }
        }
        if let Some(meta) = chunk.usage_metadata {
            out.push(StreamEvent::Usage(usage(&meta)));
        }
        Ok(())
    }

    /// At EOF. Gemini has no end marker besides each candidate's `finishReason`, so a choice
    /// left without one means the answer was cut short (a proxy closed the body cleanly), and the
    /// caller must not take it for a whole one.
    pub fn on_end(&self) -> Result<(), GatewayError> {
        if !self.started {
            return Err(unreadable_body(
                &self.provider,
                "the stream ended before any event",
            ));
        }
        if self.choices.iter().any(|choice| !choice.finished) {
            return Err(GatewayError::upstream(
                ErrorKind::UpstreamError,
                "The upstream stream ended before its last event.",
            )
            .with_code("upstream_connection_error"));
        }
        Ok(())
    }

    fn finish(&mut self, choice: u32, reason: FinishReason, out: &mut Vec<StreamEvent>) {
        let state = self.choice(choice);
        if !state.finished {
            state.finished = true;
            out.push(StreamEvent::Finish { choice, reason });
        }
    }

    fn choice(&mut self, index: u32) -> &mut ChoiceState {
        let position = match self.choices.iter().position(|c| c.index == index) {
            Some(position) => position,
            None => {
                self.choices.push(ChoiceState {
                    index,
                    tool_calls: 0,
                    finished: false,
                });
                self.choices.len() - 1
            }
        };
        &mut self.choices[position]
    }
}
