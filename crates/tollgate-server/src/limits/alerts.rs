//! Budget alerts: settled spend reached a budget's threshold (raised once per window by the
//! counters). Always a log event; also a JSON POST to the configured webhook, off the request
//! path, best effort (a webhook that is down does not slow or fail calls).

use std::time::Duration;

use tokio_util::task::TaskTracker;
use tollgate_limits::BudgetAlert;
use tollgate_providers::UpstreamClient;

const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Default)]
pub struct AlertSink {
    webhook: Option<(String, UpstreamClient)>,
}

impl AlertSink {
    pub fn new(webhook: Option<String>) -> Self {
        AlertSink {
            webhook: webhook.map(|url| (url, UpstreamClient::new(WEBHOOK_TIMEOUT))),
        }
    }

    pub fn raise(&self, alert: &BudgetAlert, tracker: &TaskTracker) {
        tracing::warn!(
            target: "tollgate::budget_alert",
            scope = %alert.scope,
            limit_usd = %alert.limit,
            spent_usd = %alert.spent,
            threshold_percent = alert.threshold_percent,
            period = alert.period.as_str(),
            "budget alert: spend reached the alert threshold"
        );
        let Some((url, client)) = &self.webhook else {
            return;
        };
        let body = serde_json::json!({
            "type": "budget.threshold_reached",
            "scope": alert.scope.kind(),
            "scope_id": alert.scope.id(),
            "limit_usd": alert.limit.to_string(),
            "spent_usd": alert.spent.to_string(),
            "threshold_percent": alert.threshold_percent,
            "period": alert.period.as_str(),
            "window_start_ms": alert.window_start_ms,
        });
        let Ok(request) =
            tollgate_providers::http::json_post(url, &[], &[], body.to_string().into_bytes())
        else {
            return;
        };
        let client = client.clone();
        let url = url.clone();
        tracker.spawn(async move {
            match client.send(request, WEBHOOK_TIMEOUT).await {
                Ok(response) if response.status().is_success() => {}
                Ok(response) => {
                    tracing::warn!(%url, status = %response.status(), "budget alert webhook refused")
                }
                Err(error) => tracing::warn!(%url, %error, "budget alert webhook failed"),
            }
        });
    }
}
