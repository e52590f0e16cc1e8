//! Extend: a new TTL on a quorum of nodes that still hold the value, within validity. Refused
//! locally once the lock has expired; retried only while nodes are unavailable (a quorum that
//! no longer holds the value means the lock is lost).

use super::attempt::Policy;
use super::outcome::{Cancel, Failure, Granted};
use super::round::{Ask, Round};
use super::Engine;
use crate::algo::quorum::FailReason;
use crate::algo::settings::Settings;
use crate::backend::{Backend, NodeError, Vote};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

pub(super) struct Extend<'a> {
    engine: &'a Engine,
    ttl_ms: u64,
    settings: &'a Settings,
    node_timeout: Duration,
    /// Until when the lock is valid.
    expires_at: Instant,
    /// Set once a failed attempt may have shortened the keys (see `Failure::capped`).
    capped: Option<Instant>,
}

impl<'a> Extend<'a> {
    pub(super) fn new(
        engine: &'a Engine,
        expires_at: Instant,
        ttl_ms: u64,
        settings: &'a Settings,
    ) -> Self {
        Extend {
            engine,
            ttl_ms,
            settings,
            node_timeout: engine.node_timeout(settings, ttl_ms),
            expires_at,
            capped: None,
        }
    }
}

#[derive(Clone, Copy)]
pub(super) struct AskExtend {
    ttl_ms: u64,
    /// `Settings::restart_guard_ms`.
    guard: Option<u64>,
}

impl Ask for AskExtend {
    fn send(
        self,
        node: Arc<dyn Backend>,
        resources: Arc<[String]>,
        value: Arc<str>,
    ) -> impl Future<Output = Result<Vote, NodeError>> + Send + 'static {
        let f = node.extend(resources, value, self.ttl_ms);
        async move {
            let v = if f.await? { Vote::Yes } else { Vote::No };
            Ok(super::rules::guarded(&*node, v, self.guard))
        }
    }
}

impl Policy for Extend<'_> {
    type Output = Granted;
    type Ask = AskExtend;

    fn ask(&self) -> AskExtend {
        AskExtend {
            ttl_ms: self.ttl_ms,
            guard: self.settings.restart_guard_ms,
        }
    }

    fn node_timeout(&self) -> Duration {
        self.node_timeout
    }

    async fn before(&mut self, _: u64, _: &mut Option<Cancel>) -> Result<(), FailReason> {
        if (self.engine.rules.lease_ended)(Instant::now(), self.expires_at) {
            return Err(FailReason::Expired);
        }
        Ok(())
    }

    fn judge(&mut self, round: &Round, attempt: u64) -> Result<Granted, FailReason> {
        let rules = &self.engine.rules;
        let result = round.grant(rules, self.ttl_ms, self.settings.drift_factor, attempt);
        let (Ok(granted) | Err((_, granted))) = &result;
        // Any node may have applied the new, shorter TTL even if the round fails: from now on
        // the lock can only be counted on until the earliest such end.
        if (rules.lowers_end)(granted.expires_at, self.expires_at) {
            self.expires_at = granted.expires_at;
            self.capped = Some(self.expires_at);
        }
        result.map_err(|(reason, _)| reason)
    }

    async fn retry(
        &mut self,
        reason: FailReason,
        attempt: u64,
        cancel: &mut Option<Cancel>,
    ) -> Result<(), FailReason> {
        let retry = reason == FailReason::Unavailable
            && self.settings.max_attempts().is_none_or(|m| attempt < m);
        if retry && Engine::pause_before_retry(self.settings, cancel).await {
            Ok(())
        } else {
            Err(reason)
        }
    }

    fn failed(&self, f: Failure) -> Failure {
        Failure {
            capped: self.capped,
            ..f
        }
    }
}
