//! HTTPS: the rustls server config built from `http.conf` (ring provider, TLS 1.2 and 1.3).

use std::sync::Arc;

use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::crypto::{CryptoProvider, ring};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig};

use super::config::HttpConfig;
use super::error::RestError;
use cninfra_core::tls::server::{self as server_tls, TlsFields};

const FIELDS: TlsFields = TlsFields {
    cert: "server-cert-file",
    key: "server-key-file",
    client_ca: "client-cert-files",
    protocol: "HTTPS",
};

/// The TLS acceptor for `config`, or `None` for plain HTTP.
pub(super) fn acceptor(config: &HttpConfig) -> Result<Option<TlsAcceptor>, RestError> {
    let on = FIELDS.requested(
        &config.server_cert_file,
        &config.server_key_file,
        config.client_cert_files.len(),
    )?;
    if !on {
        return Ok(None);
    }
    let provider = Arc::new(ring::default_provider());
    let (_, certs) = server_tls::read_certs(&config.server_cert_file, FIELDS.cert)?;
    let (_, key) = server_tls::read_key(&config.server_key_file, FIELDS.key)?;
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|err| server_tls::refused(FIELDS.cert, &config.server_cert_file, err))?;
    let builder = if config.client_cert_files.is_empty() {
        builder.with_no_client_auth()
    } else {
        builder.with_client_cert_verifier(client_verifier(config, provider)?)
    };
    let mut server = builder
        .with_single_cert(certs, key)
        .map_err(|err| server_tls::refused(FIELDS.key, &config.server_key_file, err))?;
    server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Some(TlsAcceptor::from(Arc::new(server))))
}

fn client_verifier(
    config: &HttpConfig,
    provider: Arc<CryptoProvider>,
) -> Result<Arc<dyn tokio_rustls::rustls::server::danger::ClientCertVerifier>, RestError> {
    let mut roots = RootCertStore::empty();
    for path in &config.client_cert_files {
        for cert in server_tls::read_certs(path, FIELDS.client_ca)?.1 {
            roots
                .add(cert)
                .map_err(|err| server_tls::refused(FIELDS.client_ca, path, err))?;
        }
    }
    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|err| RestError::InvalidConfig {
            field: FIELDS.client_ca,
            reason: err.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_without_files() {
        assert!(matches!(acceptor(&HttpConfig::default()), Ok(None)));
    }

    fn error_of(config: &HttpConfig) -> String {
        match acceptor(config) {
            Ok(_) => panic!("accepted {config:?}"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn a_lone_cert_or_ca_names_the_missing_field() {
        let lone_cert = HttpConfig {
            server_cert_file: "c.pem".into(),
            ..HttpConfig::default()
        };
        let err = error_of(&lone_cert);
        assert!(err.contains("`server-key-file`"), "{err}");

        let lone_ca = HttpConfig {
            client_cert_files: vec!["ca.pem".into()],
            ..HttpConfig::default()
        };
        let err = error_of(&lone_ca);
        assert!(err.contains("`client-cert-files`"), "{err}");
    }

    #[test]
    fn a_missing_file_is_named() {
        let config = HttpConfig {
            server_cert_file: "/nonexistent/c.pem".into(),
            server_key_file: "/nonexistent/k.pem".into(),
            ..HttpConfig::default()
        };
        let err = error_of(&config);
        assert!(
            err.contains("server-cert-file") && err.contains("/nonexistent/c.pem"),
            "{err}"
        );
    }
}
