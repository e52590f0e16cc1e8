//! Waiting between attempts: the retry delay, or a release of the resource, whichever comes
//! first.

use super::outcome::{cancelled, Cancel};
use super::Engine;
use crate::algo::retry::next_delay;
use crate::algo::settings::Settings;
use crate::signals::Wait;
use std::sync::Arc;

impl Engine {
    /// Sleeps the retry delay; `false` if cancelled meanwhile.
    pub(super) async fn pause_before_retry(
        settings: &Settings,
        cancel: &mut Option<Cancel>,
    ) -> bool {
        let d = next_delay(settings.retry_delay_ms, settings.retry_jitter_ms);
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = cancelled(cancel) => false,
        }
    }

    /// Waits for the retry: the delay, or — when the resource was held by another owner — its
    /// next release (announced by a node, or made by this process), whichever comes first;
    /// `false` if cancelled. A release wakes one waiter of this process, the longest-waiting
    /// one, which retries at once.
    pub(super) async fn wait_before_retry(
        &self,
        settings: &Settings,
        cancel: &mut Option<Cancel>,
        wait: Option<Wait>,
    ) -> bool {
        let Some(wait) = wait else {
            return Self::pause_before_retry(settings, cancel).await;
        };
        let d = next_delay(settings.retry_delay_ms, settings.retry_jitter_ms);
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = wait => true,
            _ = cancelled(cancel) => false,
        }
    }

    /// A caller waits for a release of `resources` (registered already): the nodes get a
    /// waiting marker, so their releases are announced (see `Backend::mark_waiting`), unless a
    /// recent one covers this wait. In the background: it only speeds up the wake-up. A node
    /// where a key is already gone was released before its marker landed, unannounced: that
    /// wakes a waiter as the announcement would have (at worst one attempt too early).
    pub(super) fn mark_waiting(&self, resources: &Arc<[String]>, settings: &Settings) {
        use std::time::Duration;
        let wait = Duration::from_millis(
            settings
                .retry_delay_ms
                .saturating_add(settings.retry_jitter_ms),
        );
        let ttl = (wait * 2).clamp(Duration::from_secs(1), Duration::from_secs(60));
        if !self.signals.should_mark(resources, wait, ttl) {
            return;
        }
        let ttl_ms = ttl.as_millis() as u64;
        let marks: Vec<_> = self
            .nodes
            .iter()
            .filter_map(|n| n.mark_waiting(resources.clone(), ttl_ms))
            .collect();
        if marks.is_empty() {
            return;
        }
        let (signals, resources) = (self.signals.clone(), resources.clone());
        tokio::spawn(async move {
            // Bounded: an answer later than this is of no use to the waiter.
            let all = futures_util::future::join_all(marks);
            let Ok(held) = tokio::time::timeout(ttl, all).await else {
                return;
            };
            if held.iter().any(|h| matches!(h, Ok(false))) {
                for r in resources.iter() {
                    signals.missed(r);
                }
            }
        });
    }

    /// Subscribes the nodes to release announcements, once, when a first caller has to wait.
    pub(super) fn watch_releases(&self) {
        self.watching.call_once(|| {
            for n in &self.nodes {
                n.watch_releases(&self.signals);
            }
        });
    }
}
