//! Where and how to reach one node: the configuration, URL parsing, labels, and redaction (no
//! password in `Debug`, URLs or errors).

use crate::algo::settings::ArgError;
use crate::backend::NodeError;
use redis::{ConnectionAddr, ConnectionInfo, IntoConnectionInfo, RedisConnectionInfo};
use std::fmt;

pub const DEFAULT_HOST: &str = "127.0.0.1";
pub const DEFAULT_PORT: u16 = 6379;
pub const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 1000;

/// Where and how to connect to one node. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct NodeConfig {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    pub db: i64,
    pub tls: bool,
    pub connect_timeout_ms: u64,
    /// Prepended to every resource (ioredis' `keyPrefix`); empty = none.
    pub key_prefix: String,
    pub tls_options: TlsOptions,
    /// Seed nodes of a Redis Cluster that votes as one node; empty for a single server
    /// (`host`/`port` are then the first seed).
    pub cluster: Vec<(String, u16)>,
    /// A master found through Redis Sentinel; `host`/`port` are then the first sentinel.
    pub sentinel: Option<SentinelConfig>,
}

/// Sentinels to ask for the address of the master called `name`.
#[derive(Clone, PartialEq, Eq)]
pub struct SentinelConfig {
    pub nodes: Vec<(String, u16)>,
    pub name: String,
    pub username: Option<String>,
    pub password: Option<String>,
}

/// TLS material in PEM (`ca`: trusted roots instead of the system store; `cert`/`key`: a client
/// certificate) and `reject_unauthorized: false` to skip server verification (unsafe).
#[derive(Clone, PartialEq, Eq)]
pub struct TlsOptions {
    pub ca: Option<Vec<u8>>,
    pub cert: Option<Vec<u8>>,
    pub key: Option<Vec<u8>>,
    pub reject_unauthorized: bool,
}

impl Default for TlsOptions {
    fn default() -> Self {
        TlsOptions {
            ca: None,
            cert: None,
            key: None,
            reject_unauthorized: true,
        }
    }
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            host: DEFAULT_HOST.into(),
            port: DEFAULT_PORT,
            username: None,
            password: None,
            db: 0,
            tls: false,
            connect_timeout_ms: DEFAULT_CONNECT_TIMEOUT_MS,
            key_prefix: String::new(),
            tls_options: TlsOptions::default(),
            cluster: Vec::new(),
            sentinel: None,
        }
    }
}

impl fmt::Debug for NodeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted_url())
    }
}

impl NodeConfig {
    /// Parses `redis://[user[:password]@]host[:port][/db]` (or `rediss://`). The error says
    /// what is wrong but never repeats the URL: a malformed one may still hold a password.
    pub fn from_url(url: &str) -> Result<NodeConfig, ArgError> {
        let lower = url.to_ascii_lowercase();
        let why = if lower.starts_with("redis://") || lower.starts_with("rediss://") {
            "it could not be parsed (a bad host, port or database number?)"
        } else if lower.contains("://") {
            "it has another scheme"
        } else {
            "it has no redis:// or rediss:// scheme"
        };
        let bad = || {
            ArgError::type_error(format!(
                "url must be a redis:// or rediss:// URL (redis://[[user]:password@]host[:port][/db]); \
                 {why}."
            ))
        };
        if !(lower.starts_with("redis://") || lower.starts_with("rediss://")) {
            return Err(bad());
        }
        let info = url.into_connection_info().map_err(|_| bad())?;
        let (host, port, tls) = match info.addr() {
            ConnectionAddr::Tcp(h, p) => (h.clone(), *p, false),
            ConnectionAddr::TcpTls { host, port, .. } => (host.clone(), *port, true),
            _ => return Err(bad()),
        };
        let r = info.redis_settings();
        Ok(NodeConfig {
            host: if host.is_empty() {
                DEFAULT_HOST.into()
            } else {
                host
            },
            port,
            username: r.username().map(str::to_string).filter(|s| !s.is_empty()),
            password: r.password().map(str::to_string).filter(|s| !s.is_empty()),
            db: r.db(),
            tls,
            ..NodeConfig::default()
        })
    }

    /// `host:port`, for messages (IPv6 hosts in brackets; `cluster host:port` for a Cluster).
    pub fn label(&self) -> String {
        let hp = if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        };
        if let Some(s) = &self.sentinel {
            format!("sentinel {hp} ({})", s.name)
        } else if self.cluster.is_empty() {
            hp
        } else {
            format!("cluster {hp}")
        }
    }

    /// The URL with any password replaced by `***`.
    pub fn redacted_url(&self) -> String {
        let scheme = if self.tls { "rediss" } else { "redis" };
        // Percent-encoded: a username holding ':' or '@' must not read as `user:password@`.
        let user = |u: &str| -> String {
            u.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect()
        };
        let auth = match (&self.username, &self.password) {
            (Some(u), Some(_)) => format!("{}:***@", user(u)),
            (Some(u), None) => format!("{}@", user(u)),
            (None, Some(_)) => ":***@".to_string(),
            (None, None) => String::new(),
        };
        let db = if self.db != 0 {
            format!("/{}", self.db)
        } else {
            String::new()
        };
        format!("{scheme}://{auth}{}{db}", self.label())
    }

    /// Two configs are one failure domain when they reach the same server and database.
    pub fn same_target(&self, other: &NodeConfig) -> bool {
        let norm = |h: &str| match h.to_ascii_lowercase().as_str() {
            "localhost" | "::1" | "[::1]" => "127.0.0.1".to_string(),
            h => h.to_string(),
        };
        norm(&self.host) == norm(&other.host) && self.port == other.port && self.db == other.db
    }

    /// The redis crate's description of this single server (credentials, db, TLS mode).
    pub(super) fn connection_info(&self) -> ConnectionInfo {
        let addr = if self.tls {
            ConnectionAddr::TcpTls {
                host: self.host.clone(),
                port: self.port,
                insecure: !self.tls_options.reject_unauthorized,
                tls_params: None,
            }
        } else {
            ConnectionAddr::Tcp(self.host.clone(), self.port)
        };
        let mut redis = RedisConnectionInfo::default().set_db(self.db);
        if let Some(u) = &self.username {
            redis = redis.set_username(u);
        }
        if let Some(p) = &self.password {
            redis = redis.set_password(p);
        }
        addr.into_connection_info()
            .expect("a TCP address always converts")
            .set_redis_settings(redis)
    }

    /// A redis error as text without credentials (the crate does not print them, but a server
    /// error could echo input; strip the password wherever it appears).
    pub(super) fn sanitize(&self, e: redis::RedisError) -> NodeError {
        if e.kind() == redis::ErrorKind::AuthenticationFailed {
            // The client library drops the server's reason ("Password authentication failed -
            // AuthenticationFailed"); say what the caller can check instead.
            let who = match &self.username {
                Some(u) if !u.is_empty() => format!("user \"{u}\""),
                _ => "the default user".into(),
            };
            let given = if self.password.as_deref().is_some_and(|p| !p.is_empty()) {
                "a password was sent"
            } else {
                "no password was sent"
            };
            return NodeError(format!(
                "authentication failed for {who} ({given}): the password is wrong, the ACL user \
                 does not exist or is disabled, or the server has no password set"
            ));
        }
        let mut s = e.to_string();
        if let Some(p) = self.password.as_deref().filter(|p| !p.is_empty()) {
            s = s.replace(p, "***");
        }
        NodeError(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_and_redact() {
        let c = NodeConfig::from_url("redis://alice:s3cret@example.com:6390/2").unwrap();
        assert_eq!((c.host.as_str(), c.port, c.db), ("example.com", 6390, 2));
        assert_eq!(c.username.as_deref(), Some("alice"));
        assert_eq!(c.password.as_deref(), Some("s3cret"));
        assert_eq!(c.redacted_url(), "redis://alice:***@example.com:6390/2");
        assert!(!format!("{c:?}").contains("s3cret"));
        let c = NodeConfig::from_url("rediss://:pw@10.0.0.1").unwrap();
        assert!(c.tls);
        assert_eq!(c.port, 6379);
        assert_eq!(c.redacted_url(), "rediss://:***@10.0.0.1:6379");
        // A username that looks like a URL (found by the fuzz suite) stays one username.
        let c = NodeConfig {
            username: Some("redis://[::1".into()),
            ..NodeConfig::default()
        };
        assert_eq!(
            c.redacted_url(),
            "redis://redis%3A%2F%2F%5B%3A%3A1@127.0.0.1:6379"
        );
        for bad in ["http://x", "redis://:pw@[bad", "", "not a url", "pw@host"] {
            let e = NodeConfig::from_url(bad).unwrap_err();
            assert!(!e.message.contains("pw"), "{}", e.message);
        }
        let e = NodeConfig::from_url("7901").unwrap_err();
        assert!(
            e.message.contains("no redis:// or rediss:// scheme"),
            "{}",
            e.message
        );
        let e = NodeConfig::from_url("redis://h:notaport").unwrap_err();
        assert!(e.message.contains("could not be parsed"), "{}", e.message);
    }

    #[test]
    fn same_target_is_host_port_and_db() {
        let a = NodeConfig {
            port: 7000,
            ..NodeConfig::default()
        };
        let b = NodeConfig {
            host: "localhost".into(),
            port: 7000,
            ..NodeConfig::default()
        };
        let c = NodeConfig {
            port: 7000,
            db: 1,
            ..NodeConfig::default()
        };
        assert!(a.same_target(&b));
        assert!(!a.same_target(&c));
        assert_eq!(a.label(), "127.0.0.1:7000");
    }

    #[test]
    fn errors_never_show_the_password() {
        let c = NodeConfig::from_url("redis://:hunter2@127.0.0.1:6390").unwrap();
        let e = redis::RedisError::from((
            redis::ErrorKind::Io,
            "refused",
            "AUTH hunter2 failed".to_string(),
        ));
        let s = c.sanitize(e).0;
        assert!(!s.contains("hunter2"), "{s}");
        assert!(s.contains("***"), "{s}");
    }
}
