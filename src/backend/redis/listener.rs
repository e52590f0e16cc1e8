//! The release listener: release announcements (Pub/Sub, published by the release script) wake
//! this process's waiters at once instead of at their next poll. A hint only: a lost message
//! costs a waiter one retry delay, never safety.

use super::config::NodeConfig;
use super::scripts;
use crate::signals::Signals;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The node's release-announcement listener (single servers only; Cluster and Sentinel
/// members leave their waiters to poll).
#[derive(Default)]
pub(super) struct Releases {
    /// A client for the Pub/Sub connection.
    client: Option<redis::Client>,
    watchers: Arc<Mutex<Vec<std::sync::Weak<Signals>>>>,
    started: std::sync::atomic::AtomicBool,
    closed: Arc<std::sync::atomic::AtomicBool>,
}

impl Releases {
    /// `client`: for the Pub/Sub connection; `None` (Cluster, Sentinel): never listens.
    pub(super) fn new(client: Option<redis::Client>) -> Self {
        Releases {
            client,
            ..Default::default()
        }
    }

    /// Stops the listener (it notices within a second).
    pub(super) fn close(&self) {
        self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Tells `signals` about releases seen here, starting the listener on the first call.
    pub(super) fn watch(&self, config: &NodeConfig, signals: &Arc<Signals>) {
        use std::sync::atomic::Ordering::SeqCst;
        {
            let mut w = self.watchers.lock().unwrap_or_else(|e| e.into_inner());
            w.retain(|s| s.strong_count() > 0);
            if !w
                .iter()
                .any(|s| std::ptr::eq(s.as_ptr(), Arc::as_ptr(signals)))
            {
                w.push(Arc::downgrade(signals));
            }
        }
        let Some(client) = self.client.clone() else {
            return;
        };
        if self.started.swap(true, SeqCst) {
            return;
        }
        let (watchers, closed) = (self.watchers.clone(), self.closed.clone());
        let prefix = format!("{}{}", scripts::RELEASED_PREFIX, config.key_prefix);
        tokio::spawn(async move {
            use futures_util::StreamExt;
            let mut backoff = Duration::from_millis(100);
            let alive = |w: &Mutex<Vec<std::sync::Weak<Signals>>>| {
                !closed.load(SeqCst)
                    && w.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .iter()
                        .any(|s| s.strong_count() > 0)
            };
            while alive(&watchers) {
                if let Ok(mut ps) = client.get_async_pubsub().await {
                    if ps.psubscribe(scripts::RELEASED_PATTERN).await.is_ok() {
                        backoff = Duration::from_millis(100);
                        let mut messages = ps.into_on_message();
                        while alive(&watchers) {
                            // Wake up now and then to notice quit() and dropped Redlocks.
                            match tokio::time::timeout(Duration::from_secs(1), messages.next())
                                .await
                            {
                                Ok(Some(msg)) => {
                                    let channel = msg.get_channel_name();
                                    if let Some(resource) = channel.strip_prefix(prefix.as_str()) {
                                        // Older releasers announce without a tag ("").
                                        let tag: String = msg.get_payload().unwrap_or_default();
                                        let w = watchers.lock().unwrap_or_else(|e| e.into_inner());
                                        for s in w.iter().filter_map(|s| s.upgrade()) {
                                            s.released(resource, &tag);
                                        }
                                    }
                                }
                                Ok(None) => break, // the connection is gone: reconnect
                                Err(_) => {}
                            }
                        }
                    }
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
        });
    }
}
