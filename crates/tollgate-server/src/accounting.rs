//! Settling what a call cost and recording it: one spend-log row per authenticated request.
//!
//! Cost is the provider's own statement when it makes one (OpenRouter `usage.cost`, a cost
//! header), else the deployment's price × the usage it reported; when neither exists the call is
//! `unpriced` (never recorded as $0). Rows go to the batched `SpendWriter`, so the request path
//! never waits on a database write.

use std::time::{Duration, Instant};

use tollgate_pricing::ModelPrice;
use tollgate_router::Attempt;
use tollgate_store::{SpendCostSource, SpendRecord, Timestamp};
use tollgate_types::{Cost, CostSource, GatewayError, NanoUsd, Usage};

use crate::auth::Principal;
use crate::state::AppState;

/// The cost of a finished (or broken-off) call.
pub fn settle(
    usage: &Usage,
    provider_cost: Option<NanoUsd>,
    price: Option<&ModelPrice>,
) -> Option<Cost> {
    if let Some(usd) = provider_cost {
        return Some(Cost {
            usd,
            source: CostSource::Provider,
        });
    }
    price.map(|price| Cost {
        usd: tollgate_pricing::cost(usage, price),
        source: CostSource::Catalog,
    })
}

/// Status recorded for a caller that went away before its stream ended (nginx's convention).
pub const CLIENT_CLOSED: u16 = 499;

/// What is known about one request so far; becomes its spend-log row.
#[derive(Debug)]
pub struct CallRecord {
    request_id: String,
    client_request_id: Option<String>,
    started: Instant,
    created_at: Timestamp,
    org_id: Option<String>,
    team_id: Option<String>,
    user_id: Option<String>,
    key_id: Option<String>,
    tags: Vec<String>,
    pub requested_model: String,
    pub end_user: Option<String>,
    pub provider: Option<String>,
    pub deployment: Option<String>,
    pub attempts: u32,
    pub usage: Usage,
    pub cost: Option<Cost>,
    pub time_to_first_token: Option<Duration>,
    pub status: u16,
    pub error_class: Option<String>,
    /// What the guardrails found (types and counts, scores, rules; never the values).
    pub guardrails: Option<serde_json::Value>,
    /// The organization pays from prepaid credits: the row's cost is also a ledger entry.
    pub charge_credits: bool,
}

impl CallRecord {
    /// A call with Tollgate's (unique) request id and the caller's own id, if it sent one.
    pub fn new(request_id: &str, client_request_id: Option<&str>, principal: &Principal) -> Self {
        let key = principal.key();
        CallRecord {
            request_id: request_id.to_string(),
            client_request_id: client_request_id.map(str::to_string),
            started: Instant::now(),
            created_at: Timestamp::now(),
            org_id: key.and_then(|k| k.org_id.clone()),
            team_id: key.and_then(|k| k.team_id.clone()),
            user_id: key.and_then(|k| k.user_id.clone()),
            key_id: key.map(|k| k.id.clone()),
            tags: key.map(|k| k.tags()).unwrap_or_default(),
            requested_model: String::new(),
            end_user: None,
            provider: None,
            deployment: None,
            attempts: 0,
            usage: Usage::default(),
            cost: None,
            time_to_first_token: None,
            status: 200,
            error_class: None,
            guardrails: None,
            charge_credits: false,
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Where the call went, from the router's attempts.
    pub fn attempts(&mut self, attempts: &[Attempt]) {
        self.attempts = u32::try_from(attempts.len()).unwrap_or(u32::MAX);
        if let Some(last) = attempts.last() {
            self.deployment = Some(last.deployment.clone());
        }
    }

    pub fn fail(&mut self, error: &GatewayError) {
        self.status = error.status;
        self.error_class = Some(
            error
                .code
                .clone()
                .unwrap_or_else(|| error.kind.as_label().to_string()),
        );
    }

    pub fn into_row(self) -> SpendRecord {
        let (cost, cost_source) = match self.cost {
            Some(cost) => (Some(cost.usd), SpendCostSource::from(cost.source)),
            None if self.usage == Usage::default() && self.provider.is_none() => {
                // Nothing reached a provider: nothing to price, and nothing was spent.
                (Some(NanoUsd::ZERO), SpendCostSource::Catalog)
            }
            None => (None, SpendCostSource::Unpriced),
        };
        SpendRecord {
            request_id: self.request_id,
            client_request_id: self.client_request_id,
            created_at: self.created_at,
            org_id: self.org_id,
            team_id: self.team_id,
            user_id: self.user_id,
            key_id: self.key_id,
            end_user: self.end_user,
            requested_model: self.requested_model,
            deployment: self.deployment,
            provider: self.provider,
            attempts: self.attempts,
            usage: self.usage,
            cost,
            cost_source,
            latency_ms: Some(millis(self.started.elapsed())),
            ttft_ms: self.time_to_first_token.map(millis),
            status: self.status,
            error_class: self.error_class,
            tags: self.tags,
            guardrails: self.guardrails,
            charge_credits: self.charge_credits,
        }
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Hands a finished record to the spend writer (never blocks).
pub fn record(state: &AppState, record: CallRecord) {
    let row = record.into_row();
    state.metrics().observe(&row);
    if let Some(writer) = state.spend_writer()
        && let Err(error) = writer.record(row)
    {
        // Only after shutdown began; the row is in the error and in the log.
        tracing::error!(?error, "spend row refused: the writer is closed");
    }
}
