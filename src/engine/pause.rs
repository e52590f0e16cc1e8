//! Waiting between attempts: the retry delay, or a release of the resource, whichever comes
//! first.

use super::outcome::{cancelled, Cancel};
use super::Engine;
use crate::algo::retry::next_delay;
use crate::algo::settings::Settings;
use crate::signals::Wait;

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

    /// Subscribes the nodes to release announcements, once, when a first caller has to wait.
    pub(super) fn watch_releases(&self) {
        self.watching.call_once(|| {
            for n in &self.nodes {
                n.watch_releases(&self.signals);
            }
        });
    }
}
