//! Cross-instance cache invalidation in scale-out mode (design.md §1 step 2): every admin
//! mutation on one instance (a revoked key, a changed budget, bought credits) is published on a
//! Redis channel, and every instance drops its key and tenant caches when it hears one. Without
//! it another instance would keep serving a revoked key until its cache entry aged out (30 s).
//!
//! Delivery is best effort, as Redis pub/sub is: a subscriber that loses its connection drops
//! its caches when it reconnects, since it may have missed a message while away.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tollgate_server::Auth;

const RECONNECT_AFTER: Duration = Duration::from_millis(500);

/// Publishes this instance's invalidations and applies everyone else's. Returns once the
/// subscription is live, so a change made right after start is not missed.
pub async fn start(url: &str, prefix: &str, auth: Auth) -> Result<(), String> {
    let client = redis::Client::open(url).map_err(|error| format!("bad Redis URL: {error}"))?;
    let channel = format!("{prefix}invalidate");
    // Each instance knows its own messages by this id and skips them (it invalidated already).
    let instance = uuid::Uuid::new_v4().to_string();

    let publisher = redis::aio::ConnectionManager::new(client.clone())
        .await
        .map_err(|error| format!("could not connect to Redis for invalidations: {error}"))?;
    let (wake, mut woken) = tokio::sync::mpsc::unbounded_channel::<()>();
    auth.on_invalidate(Arc::new(move || {
        let _ = wake.send(());
    }));
    {
        let (channel, instance) = (channel.clone(), instance.clone());
        tokio::spawn(async move {
            let mut connection = publisher;
            while woken.recv().await.is_some() {
                // Several invalidations queued up say the same thing: publish once.
                while woken.try_recv().is_ok() {}
                let published: Result<i64, _> = redis::cmd("PUBLISH")
                    .arg(&channel)
                    .arg(&instance)
                    .query_async(&mut connection)
                    .await;
                if let Err(error) = published {
                    tracing::warn!(%error, "could not publish a cache invalidation");
                }
            }
        });
    }

    let first = subscribe(&client, &channel).await?;
    tokio::spawn(listen(client, channel, instance, auth, first));
    Ok(())
}

async fn subscribe(client: &redis::Client, channel: &str) -> Result<redis::aio::PubSub, String> {
    let mut pubsub = client
        .get_async_pubsub()
        .await
        .map_err(|error| format!("could not subscribe to Redis: {error}"))?;
    pubsub
        .subscribe(channel)
        .await
        .map_err(|error| format!("could not subscribe to {channel}: {error}"))?;
    Ok(pubsub)
}

async fn listen(
    client: redis::Client,
    channel: String,
    instance: String,
    auth: Auth,
    first: redis::aio::PubSub,
) {
    let mut pubsub = Some(first);
    loop {
        let Some(mut current) = pubsub.take() else {
            tokio::time::sleep(RECONNECT_AFTER).await;
            match subscribe(&client, &channel).await {
                Ok(subscribed) => {
                    // Messages may have been missed while away.
                    auth.invalidate_local();
                    pubsub = Some(subscribed);
                }
                Err(error) => tracing::warn!(%error, "invalidation channel still down"),
            }
            continue;
        };
        {
            let mut messages = current.on_message();
            while let Some(message) = messages.next().await {
                let sender: String = message.get_payload().unwrap_or_default();
                if sender != instance {
                    auth.invalidate_local();
                }
            }
        }
        tracing::warn!("lost the Redis invalidation channel; reconnecting");
    }
}
