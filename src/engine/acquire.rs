//! Acquire: every key set on a quorum of nodes within validity. A failed attempt is rolled
//! back everywhere; while another owner holds the resource, the next attempt waits for its
//! release (or the retry delay), queued behind this process's earlier waiters.

use super::attempt::Policy;
use super::outcome::{Cancel, Granted, LockSpec};
use super::round::{Ask, Round};
use super::rules::RollbackRule;
use super::Engine;
use crate::algo::quorum::FailReason;
use crate::algo::settings::Settings;
use crate::backend::{Backend, NodeError, Vote};
use crate::signals::Wait;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub(super) struct Acquire<'a> {
    engine: &'a Engine,
    spec: &'a LockSpec,
    ttl_ms: u64,
    settings: &'a Settings,
    node_timeout: Duration,
    /// From the second attempt on, registered before the round, so a release during it is
    /// not missed.
    wait: Option<Wait>,
    /// A fenced acquire's counters of the current attempt (`fence.rs`).
    counters: Option<super::fence::Counters>,
}

impl<'a> Acquire<'a> {
    pub(super) fn new(
        engine: &'a Engine,
        spec: &'a LockSpec,
        ttl_ms: u64,
        settings: &'a Settings,
    ) -> Self {
        Acquire {
            engine,
            spec,
            ttl_ms,
            settings,
            node_timeout: engine.node_timeout(settings, ttl_ms),
            wait: None,
            counters: None,
        }
    }
}

#[derive(Clone)]
pub(super) struct AskAcquire {
    ttl_ms: u64,
    fresh: bool,
    /// A fenced acquire: where each granting node's counter goes.
    fence: Option<super::fence::Counters>,
    /// `Settings::restart_guard_ms`.
    guard: Option<u64>,
}

impl Ask for AskAcquire {
    fn send(
        self,
        node: Arc<dyn Backend>,
        resources: Arc<[String]>,
        value: Arc<str>,
    ) -> impl Future<Output = Result<Vote, NodeError>> + Send + 'static {
        let f = node.acquire(resources, value, self.ttl_ms, self.fresh);
        async move { Ok(super::rules::guarded(&*node, f.await?, self.guard)) }
    }

    fn send_to(
        self,
        i: usize,
        node: Arc<dyn Backend>,
        resources: Arc<[String]>,
        value: Arc<str>,
    ) -> impl Future<Output = Result<Vote, NodeError>> + Send + 'static {
        use futures_util::future::Either;
        let guard = self.guard;
        match self.fence.clone() {
            None => Either::Left(self.send(node, resources, value)),
            // The restart guard applies to a fenced grant as to a plain one (its counter then
            // stays out of the token: `fence::token` reads only counted grants).
            Some(c) => {
                let n = node.clone();
                let f = super::fence::send(i, c, node, resources, value, self.ttl_ms);
                Either::Right(async move { Ok(super::rules::guarded(&*n, f.await?, guard)) })
            }
        }
    }
}

impl Policy for Acquire<'_> {
    type Output = Granted;
    type Ask = AskAcquire;

    fn ask(&self) -> AskAcquire {
        AskAcquire {
            ttl_ms: self.ttl_ms,
            fresh: self.spec.fresh,
            fence: self.counters.clone(),
            guard: self.settings.restart_guard_ms,
        }
    }

    fn node_timeout(&self) -> Duration {
        self.node_timeout
    }

    async fn before(
        &mut self,
        attempt: u64,
        cancel: &mut Option<Cancel>,
    ) -> Result<(), FailReason> {
        let (engine, resources) = (self.engine, &self.spec.resources);
        if self.spec.fence {
            self.counters = Some(super::fence::counters(engine.nodes.len()));
        }
        if attempt > 1 {
            self.wait = Some(engine.signals.wait(resources));
            return Ok(());
        }
        // Someone in this process already waits for the resource, so it is held: queue behind
        // them (FIFO, woken by a release) rather than jump the queue with an attempt that can
        // only fail and then win the race against the waiter that was woken.
        let may_wait = self.settings.max_attempts().is_none_or(|m| m > 1);
        if may_wait && engine.signals.has_waiters(resources) {
            let wait = engine.signals.wait(resources);
            if !engine
                .wait_before_retry(self.settings, cancel, Some(wait))
                .await
            {
                return Err(FailReason::Cancelled);
            }
        }
        Ok(())
    }

    fn judge(&mut self, round: &Round, attempt: u64) -> Result<Granted, FailReason> {
        let rules = &self.engine.rules;
        let mut g = round
            .grant(rules, self.ttl_ms, self.settings.drift_factor, attempt)
            .map_err(|(reason, _)| reason)?;
        if let Some(c) = &self.counters {
            g.fencing_token = Some(super::fence::token(&round.votes, c));
        }
        Ok(g)
    }

    fn write_back(&self, g: &Granted) -> Option<super::fence::WriteBack> {
        let token = g.fencing_token?;
        self.engine
            .rules
            .write_back
            .then_some(super::fence::WriteBack {
                token,
                expires_at: g.expires_at,
            })
    }

    fn written_back(&self, g: &mut Granted, validity: Duration) {
        g.validity = validity;
    }

    fn rollback(&self) -> Option<RollbackRule> {
        Some(self.engine.rules.rollback)
    }

    async fn retry(
        &mut self,
        reason: FailReason,
        attempt: u64,
        cancel: &mut Option<Cancel>,
    ) -> Result<(), FailReason> {
        let registered = self.wait.take();
        let exhausted = self.settings.max_attempts().is_some_and(|m| attempt >= m);
        if reason == FailReason::Cancelled || exhausted {
            return Err(reason);
        }
        let wait = match reason {
            FailReason::Held => {
                self.engine.watch_releases();
                let signals = &self.engine.signals;
                let wait = registered.unwrap_or_else(|| signals.wait(&self.spec.resources));
                self.engine
                    .mark_waiting(&self.spec.resources, self.settings);
                Some(wait)
            }
            _ => None,
        };
        if self
            .engine
            .wait_before_retry(self.settings, cancel, wait)
            .await
        {
            Ok(())
        } else {
            Err(FailReason::Cancelled)
        }
    }
}
