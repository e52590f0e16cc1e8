//! Redis Sentinel: which server is the master right now.

use super::config::NodeConfig;
use super::tls;
use crate::backend::NodeError;
use redis::{ConnectionAddr, IntoConnectionInfo, RedisConnectionInfo};
use std::time::Duration;

/// Asks each sentinel in turn for the master's address; returns a client for it (with the
/// node's credentials, db and TLS settings). Each sentinel gets the connect timeout.
pub(super) async fn find_master(config: &NodeConfig) -> Result<redis::Client, NodeError> {
    let s = config.sentinel.as_ref().expect("sentinel config");
    let t = Duration::from_millis(config.connect_timeout_ms);
    let mut last = NodeError(format!("no sentinel knows the master \"{}\"", s.name));
    for (h, p) in &s.nodes {
        let mut info = RedisConnectionInfo::default();
        if let Some(u) = &s.username {
            info = info.set_username(u);
        }
        if let Some(pw) = &s.password {
            info = info.set_password(pw);
        }
        let ci = ConnectionAddr::Tcp(h.clone(), *p)
            .into_connection_info()
            .expect("a TCP address always converts")
            .set_redis_settings(info);
        let ask = async {
            let client = redis::Client::open(ci)?;
            let mut c = client.get_multiplexed_async_connection().await?;
            redis::cmd("SENTINEL")
                .arg("get-master-addr-by-name")
                .arg(&s.name)
                .query_async::<Option<(String, u16)>>(&mut c)
                .await
        };
        match tokio::time::timeout(t, ask).await {
            Ok(Ok(Some((host, port)))) => {
                let master = NodeConfig {
                    host,
                    port,
                    sentinel: None,
                    ..config.clone()
                };
                return tls::single_client(&master);
            }
            Ok(Ok(None)) => {}
            Ok(Err(e)) => last = NodeError(format!("sentinel {h}:{p}: {}", config.sanitize(e))),
            Err(_) => last = NodeError(format!("sentinel {h}:{p}: timed out")),
        }
    }
    Err(last)
}
