//! The built-in offline provider (`kind: mock`): no network, deterministic answers, configurable
//! latency and length (`MockSettings`).
//!
//! `tollgate serve` with no config answers with it, so a newcomer has a working gateway offline,
//! and the load benchmark uses it to measure the gateway alone. It therefore stays cheap: nothing
//! is allocated per request beyond the answer itself, and timers are only armed for a non-zero
//! delay.

mod answer;
mod embeddings;

#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tollgate_types::{
    AssistantMessage, ChatRequest, ChatResponse, Choice, EmbeddingRequest, EmbeddingResponse,
    GatewayError, StreamEvent, ToolCall,
};

use crate::{ChatReply, ChatStream, Provider, ProviderKind, ProviderSpec, Target};
use answer::{MockAnswer, MockReply};

pub struct MockProvider {
    spec: ProviderSpec,
    /// Numbers response ids, so they are unique without a random source.
    next_id: AtomicU64,
}

impl MockProvider {
    pub fn new(spec: ProviderSpec) -> Self {
        MockProvider {
            spec,
            next_id: AtomicU64::new(1),
        }
    }

    fn next_number(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }
}

#[async_trait::async_trait]
impl Provider for MockProvider {
    fn name(&self) -> &str {
        &self.spec.name
    }

    fn kind(&self) -> ProviderKind {
        self.spec.kind
    }

    async fn chat(
        &self,
        request: &ChatRequest,
        target: &Target,
    ) -> Result<ChatReply, GatewayError> {
        let number = self.next_number();
        let answer = answer::answer(request, &self.spec.mock);
        sleep_unless_zero(self.spec.mock.latency).await;
        Ok(ChatReply::Canonical(chat_response(
            answer,
            number,
            &target.upstream_model,
        )))
    }

    async fn chat_stream(
        &self,
        request: &ChatRequest,
        target: &Target,
    ) -> Result<ChatStream, GatewayError> {
        let number = self.next_number();
        let answer = answer::answer(request, &self.spec.mock);
        let latency = self.spec.mock.latency;
        let chunk_delay = self.spec.mock.chunk_delay;
        let model = target.upstream_model.clone();
        // Latency is time to the first event, as with a real upstream whose headers come at once.
        Ok(Box::pin(async_stream::stream! {
            sleep_unless_zero(latency).await;
            yield StreamEvent::Start { id: format!("mock-{number}"), model };
            let MockAnswer { reply, finish_reason, usage, choices } = answer;
            match reply {
                MockReply::Text(text) => {
                    for (position, word) in text.split(' ').filter(|w| !w.is_empty()).enumerate() {
                        if position > 0 {
                            sleep_unless_zero(chunk_delay).await;
                        }
                        for choice in 0..choices {
                            let text = if position == 0 { word.to_string() } else { format!(" {word}") };
                            yield StreamEvent::TextDelta { choice, text };
                        }
                    }
                }
                MockReply::ToolCall { name, arguments } => {
                    for choice in 0..choices {
                        let id = tool_call_id(number, choice);
                        yield StreamEvent::ToolCallStart { choice, index: 0, id, name: name.clone() };
                        yield StreamEvent::ToolCallDelta { choice, index: 0, arguments: arguments.clone() };
                    }
                }
            }
            for choice in 0..choices {
                yield StreamEvent::Finish { choice, reason: finish_reason.clone() };
            }
            yield StreamEvent::Usage(usage);
        }))
    }

    async fn embed(
        &self,
        request: &EmbeddingRequest,
        target: &Target,
    ) -> Result<EmbeddingResponse, GatewayError> {
        let response = embeddings::embed(request, &target.upstream_model)?;
        sleep_unless_zero(self.spec.mock.latency).await;
        Ok(response)
    }
}

fn chat_response(answer: MockAnswer, number: u64, model: &str) -> ChatResponse {
    let MockAnswer {
        reply,
        finish_reason,
        usage,
        choices,
    } = answer;
    // The last choice takes the reply itself: with the usual single choice nothing is copied.
    let mut reply = Some(reply);
    let choices = (0..choices)
        .filter_map(|index| {
            let reply = if index + 1 == choices {
                reply.take()
            } else {
                reply.clone()
            }?;
            Some(Choice {
                index,
                message: assistant_message(reply, number, index),
                finish_reason: finish_reason.clone(),
            })
        })
        .collect();
    ChatResponse {
        id: format!("mock-{number}"),
        model: model.to_string(),
        created: unix_now(),
        choices,
        usage,
        provider_cost: None,
        system_fingerprint: None,
    }
}

fn assistant_message(reply: MockReply, number: u64, choice: u32) -> AssistantMessage {
    match reply {
        MockReply::Text(text) => AssistantMessage {
            content: Some(text),
            ..AssistantMessage::default()
        },
        MockReply::ToolCall { name, arguments } => AssistantMessage {
            tool_calls: vec![ToolCall {
                id: tool_call_id(number, choice),
                name,
                arguments,
            }],
            ..AssistantMessage::default()
        },
    }
}

fn tool_call_id(number: u64, choice: u32) -> String {
    format!("call_mock_{number}_{choice}")
}

async fn sleep_unless_zero(delay: Duration) {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
