//! Connecting: one server, a Redis Cluster (one voter), or a master found through Sentinel.
//! Timeouts and the reconnect policy are set explicitly: the crate's defaults (500 ms response
//! timeout, 6 reconnect tries ≈ 9.5 s on a dead port) are wrong for a lock. The engine enforces
//! the per-node timeout on top.

use super::config::NodeConfig;
use super::{sentinel, tls};
use crate::backend::NodeError;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::cluster_async::ClusterConnection;
use redis::ConnectionAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;

/// A connection handle: one server, or a Redis Cluster (one voter) connected on first use.
#[derive(Clone)]
pub(super) enum Handle {
    Single(ConnectionManager),
    Cluster(Arc<ClusterClient>, Arc<OnceCell<ClusterConnection>>),
    /// The master's connection, found through the sentinels on first use and found again
    /// after a failure (a failover moves the master).
    Sentinel(Arc<tokio::sync::Mutex<Option<ConnectionManager>>>),
}

/// A ready connection of either kind.
#[derive(Clone)]
pub(super) enum AnyConn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl Handle {
    /// The handle for `config`, with nothing connected yet, and for a single server a client
    /// for the release listener's Pub/Sub connection. Must run inside a tokio runtime.
    pub(super) fn new(config: &NodeConfig) -> Result<(Handle, Option<redis::Client>), NodeError> {
        if !config.cluster.is_empty() {
            return Ok((cluster_handle(config)?, None));
        }
        if config.sentinel.is_some() {
            return Ok((Handle::Sentinel(Arc::default()), None));
        }
        let client = tls::single_client(config)?;
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), manager_config(config))
            .map_err(|e| config.sanitize(e))?;
        Ok((Handle::Single(conn), Some(client)))
    }

    /// A connection to send on, connecting (Cluster) or finding the master (Sentinel) first.
    pub(super) async fn ready(&self, config: &NodeConfig) -> Result<AnyConn, NodeError> {
        match self {
            Handle::Single(c) => Ok(AnyConn::Single(c.clone())),
            Handle::Cluster(client, cell) => {
                let c = cell
                    .get_or_try_init(|| client.get_async_connection())
                    .await
                    .map_err(|e| config.sanitize(e))?;
                Ok(AnyConn::Cluster(c.clone()))
            }
            Handle::Sentinel(slot) => {
                let mut guard = slot.lock().await;
                if let Some(c) = guard.as_ref() {
                    return Ok(AnyConn::Single(c.clone()));
                }
                let master = sentinel::find_master(config).await?;
                let c = ConnectionManager::new_lazy_with_config(master, manager_config(config))
                    .map_err(|e| config.sanitize(e))?;
                *guard = Some(c.clone());
                Ok(AnyConn::Single(c))
            }
        }
    }

    /// After a failed call, a Sentinel-found master is looked up again next time.
    pub(super) fn forget_master(&self) {
        if let Handle::Sentinel(slot) = self {
            if let Ok(mut g) = slot.try_lock() {
                g.take();
            }
        }
    }
}

fn manager_config(config: &NodeConfig) -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_millis(config.connect_timeout_ms)))
        // The engine enforces the per-node timeout; this only bounds stray requests.
        .set_response_timeout(Some(Duration::from_secs(30)))
        // Reconnect quickly after a restart, give up quickly on a dead port; the next
        // command starts a new reconnect cycle.
        .set_number_of_retries(1)
        .set_min_delay(Duration::from_millis(20))
        .set_max_delay(Duration::from_millis(500))
}

fn cluster_handle(config: &NodeConfig) -> Result<Handle, NodeError> {
    let seeds: Vec<ConnectionAddr> = config
        .cluster
        .iter()
        .map(|(h, p)| ConnectionAddr::Tcp(h.clone(), *p))
        .collect();
    let mut b = ClusterClientBuilder::new(seeds)
        .connection_timeout(Duration::from_millis(config.connect_timeout_ms))
        .response_timeout(Duration::from_secs(30))
        .retries(2);
    if let Some(u) = &config.username {
        b = b.username(u);
    }
    if let Some(p) = &config.password {
        b = b.password(p);
    }
    if config.tls {
        let mode = if config.tls_options.reject_unauthorized {
            redis::TlsMode::Secure
        } else {
            redis::TlsMode::Insecure
        };
        b = b.tls(mode);
        if let Some(certs) = tls::certificates(&config.tls_options)? {
            b = b.certs(certs);
        }
    }
    let client = b.build().map_err(|e| config.sanitize(e))?;
    Ok(Handle::Cluster(Arc::new(client), Arc::new(OnceCell::new())))
}

impl redis::aio::ConnectionLike for AnyConn {
    fn req_packed_command<'a>(
        &'a mut self,
        cmd: &'a redis::Cmd,
    ) -> redis::RedisFuture<'a, redis::Value> {
        match self {
            AnyConn::Single(c) => c.req_packed_command(cmd),
            AnyConn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        match self {
            AnyConn::Single(c) => c.req_packed_commands(pipeline, offset, count),
            AnyConn::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            AnyConn::Single(c) => c.get_db(),
            AnyConn::Cluster(c) => c.get_db(),
        }
    }
}
