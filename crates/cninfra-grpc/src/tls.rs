//! TLS from `grpc.conf`: server certificate and key, optional client CAs (mutual TLS).

use std::time::Duration;

use cninfra_core::tls::server::{self as server_tls, TlsFields};
use tonic::transport::{Certificate, Identity, ServerTlsConfig};
use tracing::warn;

use crate::GrpcPlugin;
use crate::config::GrpcConfig;
use crate::error::GrpcError;

const FIELDS: TlsFields = TlsFields {
    cert: "cert-file",
    key: "key-file",
    client_ca: "ca-files",
    protocol: "TLS",
};
/// Time limit of a TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The TLS settings for `config`, or `None` for plain text. The files are read and checked
/// here, so that a bad file fails `init` naming it.
pub(crate) fn server_tls(config: &GrpcConfig) -> Result<Option<ServerTlsConfig>, GrpcError> {
    if config.insecure_transport {
        let given = !config.cert_file.as_os_str().is_empty()
            || !config.key_file.as_os_str().is_empty()
            || !config.ca_files.is_empty();
        if given {
            warn!(target: GrpcPlugin::NAME, "insecure-transport is set: certificate files are ignored");
        }
        return Ok(None);
    }
    if !FIELDS.requested(&config.cert_file, &config.key_file, config.ca_files.len())? {
        return Ok(None);
    }
    // tonic builds its rustls config with the process-wide provider; make it ring even if
    // another crate of the program enabled a second provider. An installed one is kept.
    let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
    let (cert, _) = server_tls::read_certs(&config.cert_file, FIELDS.cert)?;
    let (key, _) = server_tls::read_key(&config.key_file, FIELDS.key)?;
    let mut tls = ServerTlsConfig::new()
        .identity(Identity::from_pem(cert, key))
        .timeout(HANDSHAKE_TIMEOUT);
    if !config.ca_files.is_empty() {
        let mut roots = Vec::new();
        for path in &config.ca_files {
            roots.extend(server_tls::read_certs(path, FIELDS.client_ca)?.0);
            roots.push(b'\n');
        }
        tls = tls.client_ca_root(Certificate::from_pem(roots));
    }
    Ok(Some(tls))
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
