//! TLS from `grpc.conf`: server certificate and key, optional client CAs (mutual TLS).

use std::path::Path;
use std::time::Duration;

use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tonic::transport::{Certificate, Identity, ServerTlsConfig};
use tracing::warn;

use crate::LOG;
use crate::config::GrpcConfig;
use crate::error::GrpcError;

const CERT_FIELD: &str = "cert-file";
const KEY_FIELD: &str = "key-file";
const CA_FIELD: &str = "ca-files";
/// Time limit of a TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The TLS settings for `config`, or `None` for plain text. The files are read and checked
/// here, so that a bad file fails `init` naming it.
pub(crate) fn server_tls(config: &GrpcConfig) -> Result<Option<ServerTlsConfig>, GrpcError> {
    let has_cert = !config.cert_file.as_os_str().is_empty();
    let has_key = !config.key_file.as_os_str().is_empty();
    if config.insecure_transport {
        if has_cert || has_key || !config.ca_files.is_empty() {
            warn!(target: LOG, "insecure-transport is set: certificate files are ignored");
        }
        return Ok(None);
    }
    match (has_cert, has_key) {
        (false, false) if config.ca_files.is_empty() => return Ok(None),
        (false, false) => {
            return Err(GrpcError::InvalidConfig {
                field: CA_FIELD,
                reason: format!("client certificates need TLS: set {CERT_FIELD} and {KEY_FIELD}"),
            });
        }
        (true, false) => return Err(missing(KEY_FIELD, CERT_FIELD)),
        (false, true) => return Err(missing(CERT_FIELD, KEY_FIELD)),
        (true, true) => {}
    }
    // tonic builds its rustls config with the process-wide provider; make it ring even if
    // another crate of the program enabled a second provider. An installed one is kept.
    let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
    let cert = read_certs(&config.cert_file, CERT_FIELD)?;
    let key = read(&config.key_file, KEY_FIELD)?;
    tokio_rustls::rustls::pki_types::PrivateKeyDer::from_pem_slice(&key)
        .map_err(|err| tls_error(KEY_FIELD, &config.key_file, err))?;
    let mut tls = ServerTlsConfig::new()
        .identity(Identity::from_pem(cert, key))
        .timeout(HANDSHAKE_TIMEOUT);
    if !config.ca_files.is_empty() {
        let mut roots = Vec::new();
        for path in &config.ca_files {
            roots.extend(read_certs(path, CA_FIELD)?);
            roots.push(b'\n');
        }
        tls = tls.client_ca_root(Certificate::from_pem(roots));
    }
    Ok(Some(tls))
}

/// The PEM text of a file holding at least one certificate.
fn read_certs(path: &Path, field: &'static str) -> Result<Vec<u8>, GrpcError> {
    let pem = read(path, field)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| tls_error(field, path, err))?;
    if certs.is_empty() {
        return Err(tls_error(field, path, "no PEM certificate in the file"));
    }
    Ok(pem)
}

fn read(path: &Path, field: &'static str) -> Result<Vec<u8>, GrpcError> {
    std::fs::read(path).map_err(|err| tls_error(field, path, err))
}

fn tls_error(field: &'static str, path: &Path, reason: impl ToString) -> GrpcError {
    GrpcError::Tls {
        field,
        path: path.to_owned(),
        reason: reason.to_string(),
    }
}

fn missing(field: &'static str, other: &str) -> GrpcError {
    GrpcError::InvalidConfig {
        field,
        reason: format!("{other} is set, so {field} must be set too (both turn on TLS)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(config: &GrpcConfig) -> String {
        match server_tls(config) {
            Ok(_) => panic!("accepted {config:?}"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn plain_text_without_files_or_when_insecure() {
        assert!(server_tls(&GrpcConfig::default()).unwrap().is_none());
        let insecure = GrpcConfig {
            insecure_transport: true,
            cert_file: "/nonexistent/c.pem".into(),
            key_file: "/nonexistent/k.pem".into(),
            ..GrpcConfig::default()
        };
        assert!(server_tls(&insecure).unwrap().is_none());
    }

    #[test]
    fn a_lone_file_names_the_missing_field() {
        let lone_cert = GrpcConfig {
            cert_file: "c.pem".into(),
            ..GrpcConfig::default()
        };
        assert!(error_of(&lone_cert).contains("`key-file`"));
        let lone_ca = GrpcConfig {
            ca_files: vec!["ca.pem".into()],
            ..GrpcConfig::default()
        };
        assert!(error_of(&lone_ca).contains("`ca-files`"));
    }

    #[test]
    fn a_missing_or_empty_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let missing = GrpcConfig {
            cert_file: "/nonexistent/c.pem".into(),
            key_file: empty.clone(),
            ..GrpcConfig::default()
        };
        let err = error_of(&missing);
        assert!(
            err.contains("cert-file") && err.contains("/nonexistent/c.pem"),
            "{err}"
        );
        let no_cert = GrpcConfig {
            cert_file: empty.clone(),
            key_file: empty,
            ..GrpcConfig::default()
        };
        assert!(error_of(&no_cert).contains("no PEM certificate"));
    }
}
