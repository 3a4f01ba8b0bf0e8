//! HTTPS: the rustls server config built from `http.conf` (ring provider, TLS 1.2 and 1.3).

use std::path::Path;
use std::sync::Arc;

use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::crypto::{CryptoProvider, ring};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig};

use super::config::HttpConfig;
use super::error::RestError;

const CERT_FIELD: &str = "server-cert-file";
const KEY_FIELD: &str = "server-key-file";
const CLIENT_CA_FIELD: &str = "client-cert-files";

/// The TLS acceptor for `config`, or `None` for plain HTTP.
pub(super) fn acceptor(config: &HttpConfig) -> Result<Option<TlsAcceptor>, RestError> {
    let has_cert = !config.server_cert_file.as_os_str().is_empty();
    let has_key = !config.server_key_file.as_os_str().is_empty();
    match (has_cert, has_key) {
        (false, false) if config.client_cert_files.is_empty() => return Ok(None),
        (false, false) => {
            return Err(RestError::InvalidConfig {
                field: CLIENT_CA_FIELD,
                reason: format!("client certificates need HTTPS: set {CERT_FIELD} and {KEY_FIELD}"),
            });
        }
        (true, false) => return Err(missing(KEY_FIELD, CERT_FIELD)),
        (false, true) => return Err(missing(CERT_FIELD, KEY_FIELD)),
        (true, true) => {}
    }
    let provider = Arc::new(ring::default_provider());
    let certs = read_certs(&config.server_cert_file, CERT_FIELD)?;
    let key = read_key(&config.server_key_file)?;
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|err| tls_error(CERT_FIELD, &config.server_cert_file, err))?;
    let builder = if config.client_cert_files.is_empty() {
        builder.with_no_client_auth()
    } else {
        builder.with_client_cert_verifier(client_verifier(config, provider)?)
    };
    let mut server = builder
        .with_single_cert(certs, key)
        .map_err(|err| tls_error(KEY_FIELD, &config.server_key_file, err))?;
    server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Some(TlsAcceptor::from(Arc::new(server))))
}

fn client_verifier(
    config: &HttpConfig,
    provider: Arc<CryptoProvider>,
) -> Result<Arc<dyn tokio_rustls::rustls::server::danger::ClientCertVerifier>, RestError> {
    let mut roots = RootCertStore::empty();
    for path in &config.client_cert_files {
        for cert in read_certs(path, CLIENT_CA_FIELD)? {
            roots
                .add(cert)
                .map_err(|err| tls_error(CLIENT_CA_FIELD, path, err))?;
        }
    }
    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|err| RestError::InvalidConfig {
            field: CLIENT_CA_FIELD,
            reason: err.to_string(),
        })
}

fn read_certs(path: &Path, field: &'static str) -> Result<Vec<CertificateDer<'static>>, RestError> {
    let pem = read(path, field)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| tls_error(field, path, err))?;
    if certs.is_empty() {
        return Err(tls_error(field, path, "no PEM certificate in the file"));
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, RestError> {
    let pem = read(path, KEY_FIELD)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|err| tls_error(KEY_FIELD, path, err))
}

fn read(path: &Path, field: &'static str) -> Result<Vec<u8>, RestError> {
    std::fs::read(path).map_err(|err| tls_error(field, path, err))
}

fn tls_error(field: &'static str, path: &Path, reason: impl ToString) -> RestError {
    RestError::Tls {
        field,
        path: path.to_owned(),
        reason: reason.to_string(),
    }
}

fn missing(field: &'static str, other: &str) -> RestError {
    RestError::InvalidConfig {
        field,
        reason: format!("{other} is set, so {field} must be set too (both turn on HTTPS)"),
    }
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
