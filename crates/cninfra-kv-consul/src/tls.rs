//! The HTTP client: time limits and TLS (CA, client certificate, skip-verify) from the
//! config.

use cninfra_core::tls::{TlsConfigError, TlsKeys};

use crate::config::ConsulConfig;
use crate::error::ConsulError;

/// A client with the dial timeout and, for HTTPS, the configured certificates.
pub(crate) fn http_client(config: &ConsulConfig) -> Result<reqwest::Client, ConsulError> {
    let keys = TlsKeys::NESTED;
    let loaded = config.tls.load(keys)?;
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .connect_timeout(config.dial_timeout);
    if let (Some(pem), Some(path)) = (&loaded.ca_pem, &config.tls.ca_file) {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|err| TlsConfigError::refused(keys.ca_file, path, err))?;
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    if let (Some(identity), Some(path)) = (loaded.identity, &config.tls.cert_file) {
        let mut pem = identity.cert_pem;
        pem.extend(identity.key_pem);
        let identity = reqwest::Identity::from_pem(&pem)
            .map_err(|err| TlsConfigError::refused(keys.cert_file, path, err))?;
        builder = builder.identity(identity);
    }
    if loaded.skip_verify {
        builder = builder.danger_accept_invalid_certs(true);
    }
    builder.build().map_err(ConsulError::Client)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_tls_file_is_named() {
        let mut config = ConsulConfig::new("https://127.0.0.1:8501");
        config.tls.ca_file = Some("/nonexistent/consul-ca.pem".into());
        let err = http_client(&config).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("tls.ca-file") && text.contains("/nonexistent/consul-ca.pem"),
            "{text}"
        );
    }

    #[test]
    fn half_a_client_identity_is_refused() {
        let mut config = ConsulConfig::new("https://127.0.0.1:8501");
        config.tls.cert_file = Some("/tmp/cert.pem".into());
        let err = http_client(&config).unwrap_err();
        assert!(err.to_string().contains("tls.key-file"), "{err}");
    }
}
