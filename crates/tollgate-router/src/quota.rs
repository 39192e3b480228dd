//! A deployment's own provider quota (`rpm_limit`, `tpm_limit`): the router takes one request and
//! the call's worst-case tokens before calling it, and skips it, like one cooling down, when the
//! quota is spent. The unused tokens go back once the call's usage is known.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::Stream;
use tollgate_limits::{RateCheck, RateError, RateGrant, RateLimited, RateLimiter, Scope};
use tollgate_providers::ChatStream;
use tollgate_types::{
    ChatRequest, EmbeddingInput, EmbeddingRequest, ErrorKind, ErrorSource, GatewayError,
    StreamEvent,
};

use crate::route::Deployment;

/// Output tokens reserved against a `tpm_limit` when the request sets no `max_tokens`; the
/// unused part is given back when the answer's usage arrives.
pub const DEFAULT_MAX_OUTPUT_TOKENS: u64 = 1024;

/// A provider's rate limits on one deployment, per minute; `None` = not limited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeploymentLimits {
    pub rpm: Option<u64>,
    pub tpm: Option<u64>,
}

impl DeploymentLimits {
    pub fn is_limited(&self) -> bool {
        self.rpm.is_some() || self.tpm.is_some()
    }
}

/// The worst-case tokens of a call, computed only if a deployment with a `tpm_limit` asks.
pub(crate) struct TokenEstimate<'a> {
    compute: &'a (dyn Fn() -> u64 + Sync),
    value: Option<u64>,
}

impl<'a> TokenEstimate<'a> {
    pub(crate) fn new(compute: &'a (dyn Fn() -> u64 + Sync)) -> Self {
        TokenEstimate {
            compute,
            value: None,
        }
    }

    fn get(&mut self) -> u64 {
        *self.value.get_or_insert_with(self.compute)
    }
}

/// Estimated prompt tokens (an upper bound, see `tollgate_pricing`) plus `max_tokens`.
pub(crate) fn chat_tokens(request: &ChatRequest) -> u64 {
    let tools: usize = request
        .tools
        .iter()
        .map(|tool| {
            tool.name.len()
                + tool.description.as_ref().map_or(0, String::len)
                + tool.parameters.to_string().len()
        })
        .sum();
    let text: usize = request.text_parts().map(str::len).sum::<usize>() + tools;
    let input = tollgate_pricing::estimate_chat_input_tokens(text, request.messages.len());
    let output = request
        .max_tokens
        .map_or(DEFAULT_MAX_OUTPUT_TOKENS, u64::from);
    input.saturating_add(output)
}

pub(crate) fn embedding_tokens(request: &EmbeddingRequest) -> u64 {
    match &request.input {
        EmbeddingInput::Texts(texts) => texts
            .iter()
            .map(|text| tollgate_pricing::estimate_input_tokens(text.len()))
            .fold(0, u64::saturating_add),
        EmbeddingInput::Tokens(lists) => lists
            .iter()
            .map(|ids| u64::try_from(ids.len()).unwrap_or(u64::MAX))
            .fold(0, u64::saturating_add),
    }
}

/// What an admitted attempt took from its deployment's quota.
pub(crate) struct QuotaHold {
    grant: RateGrant,
}

/// Takes one request and the call's tokens from the deployment's quota. `Ok(None)`: the
/// deployment has no quota (or the counters failed: the provider enforces its own quota anyway,
/// so failing open costs at most one of its 429s).
pub(crate) async fn take(
    limiter: &dyn RateLimiter,
    deployment: &Deployment,
    tokens: &mut TokenEstimate<'_>,
) -> Result<Option<QuotaHold>, Box<RateLimited>> {
    let limits = deployment.limits;
    if !limits.is_limited() {
        return Ok(None);
    }
    let mut checks = Vec::with_capacity(2);
    if let Some(rpm) = limits.rpm {
        checks.push(RateCheck::requests(
            Scope::Deployment(deployment.id.clone()),
            rpm,
        ));
    }
    if let Some(tpm) = limits.tpm {
        checks.push(RateCheck::tokens(
            Scope::Deployment(deployment.id.clone()),
            tpm,
            tokens.get(),
        ));
    }
    match limiter.acquire(checks).await {
        Ok(grant) => Ok(Some(QuotaHold { grant })),
        Err(RateError::Limited(limited)) => Err(limited),
        Err(RateError::Failed(error)) => {
            tracing::warn!(deployment = %deployment.id, %error, "deployment quota unavailable; not enforced for this call");
            Ok(None)
        }
    }
}

/// Gives back the reserved tokens the call did not use (`used`: its total tokens; 0 for an
/// attempt that failed).
pub(crate) async fn settle(limiter: &dyn RateLimiter, hold: QuotaHold, used: u64) {
    if let Some(refund) = hold.grant.into_refund(used)
        && let Err(error) = limiter.refund(refund).await
    {
        tracing::warn!(%error, "deployment quota refund failed");
    }
}

/// The answer when every deployment the plan could use is over its provider quota: 429
/// `rate_limit_exceeded`, with the soonest wait after which one of them has room.
pub(crate) fn all_over_quota(model: &str, refusals: &[Box<RateLimited>]) -> GatewayError {
    let soonest = refusals.iter().filter_map(|r| r.retry_after_ms).min();
    let message = match soonest {
        Some(ms) => format!(
            "Every deployment of `{model}` is at its provider rate limit. Please try again in {}.",
            tollgate_limits::go_duration(ms)
        ),
        None => {
            format!("The request is too large for the rate limit of every deployment of `{model}`.")
        }
    };
    GatewayError::new(ErrorKind::RateLimited, ErrorSource::Upstream, message)
        .with_code("rate_limit_exceeded")
        .with_retry_after(soonest.map(std::time::Duration::from_millis))
}

/// Passes a stream through and, when it ends or is dropped, gives back the reserved tokens its
/// last usage report did not use (nothing if it never reported usage).
pub(crate) fn refund_after_stream(
    stream: ChatStream,
    hold: QuotaHold,
    limiter: Arc<dyn RateLimiter>,
) -> ChatStream {
    Box::pin(RefundingStream {
        inner: stream,
        hold: Some(hold),
        used: None,
        limiter,
    })
}

struct RefundingStream {
    inner: ChatStream,
    hold: Option<QuotaHold>,
    used: Option<u64>,
    limiter: Arc<dyn RateLimiter>,
}

impl RefundingStream {
    fn settle(&mut self) {
        let (Some(hold), Some(used)) = (self.hold.take(), self.used) else {
            return;
        };
        let Some(refund) = hold.grant.into_refund(used) else {
            return;
        };
        let limiter = self.limiter.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(error) = limiter.refund(refund).await {
                    tracing::warn!(%error, "deployment quota refund failed");
                }
            });
        }
    }
}

impl Stream for RefundingStream {
    type Item = StreamEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<StreamEvent>> {
        let polled = self.inner.as_mut().poll_next(cx);
        match &polled {
            Poll::Ready(Some(StreamEvent::Usage(usage))) => self.used = Some(usage.total_tokens()),
            Poll::Ready(None) => self.settle(),
            _ => {}
        }
        polled
    }
}

impl Drop for RefundingStream {
    fn drop(&mut self) {
        self.settle();
    }
}
