//! TLS: the rustls crypto provider, and PEM material from `TlsOptions` for the redis crate.

use super::config::{NodeConfig, TlsOptions};
use crate::backend::NodeError;
use std::sync::Once;

/// rustls needs one process-wide crypto provider before the first TLS connection.
pub(super) fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The certificates to use instead of the defaults; `None` when none were given.
pub(super) fn certificates(t: &TlsOptions) -> Result<Option<redis::TlsCertificates>, NodeError> {
    if t.ca.is_none() && t.cert.is_none() {
        return Ok(None);
    }
    let client_tls = match (&t.cert, &t.key) {
        (Some(c), Some(k)) => Some(redis::ClientTlsConfig {
            client_cert: c.clone(),
            client_key: k.clone(),
        }),
        (None, None) => None,
        _ => {
            return Err(NodeError(
                "tls.cert and tls.key must be given together".into(),
            ))
        }
    };
    Ok(Some(redis::TlsCertificates {
        client_tls,
        root_cert: t.ca.clone(),
    }))
}

/// A client for one server (`config.host`/`port`), with its TLS material when it uses TLS.
pub(super) fn single_client(config: &NodeConfig) -> Result<redis::Client, NodeError> {
    match certificates(&config.tls_options)? {
        Some(certs) if config.tls => redis::Client::build_with_tls(config.connection_info(), certs),
        _ => redis::Client::open(config.connection_info()),
    }
    .map_err(|e| config.sanitize(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_certificate_needs_its_key() {
        let only_cert = TlsOptions {
            cert: Some(b"cert".to_vec()),
            ..TlsOptions::default()
        };
        assert!(certificates(&only_cert).is_err());
        assert!(certificates(&TlsOptions::default()).unwrap().is_none());
        let ca = TlsOptions {
            ca: Some(b"ca".to_vec()),
            ..TlsOptions::default()
        };
        let c = certificates(&ca).unwrap().unwrap();
        assert!(c.client_tls.is_none());
        assert_eq!(c.root_cert.as_deref(), Some(&b"ca"[..]));
    }
}
