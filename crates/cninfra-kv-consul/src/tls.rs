//! The HTTP client: time limits and TLS (CA, client certificate, skip-verify) from the
//! config.

use std::path::Path;

use crate::config::ConsulConfig;
use crate::error::ConsulError;

fn read(field: &'static str, path: &Path) -> Result<Vec<u8>, ConsulError> {
    std::fs::read(path).map_err(|source| ConsulError::TlsFile {
        field,
        path: path.to_owned(),
        source: Box::new(source),
    })
}

/// A client with the dial timeout and, for HTTPS, the configured certificates.
pub(crate) fn http_client(config: &ConsulConfig) -> Result<reqwest::Client, ConsulError> {
    let tls = &config.tls;
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .connect_timeout(config.dial_timeout);
    if let Some(path) = &tls.ca_file {
        let pem = read("ca-file", path)?;
        let certs =
            reqwest::Certificate::from_pem_bundle(&pem).map_err(|err| ConsulError::TlsFile {
                field: "ca-file",
                path: path.clone(),
                source: Box::new(err),
            })?;
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    match (&tls.cert_file, &tls.key_file) {
        (Some(cert), Some(key)) => {
            let mut pem = read("cert-file", cert)?;
            pem.extend(read("key-file", key)?);
            let identity =
                reqwest::Identity::from_pem(&pem).map_err(|err| ConsulError::TlsFile {
                    field: "cert-file",
                    path: cert.clone(),
                    source: Box::new(err),
                })?;
            builder = builder.identity(identity);
        }
        (None, None) => {}
        (Some(_), None) => {
            return Err(ConsulError::InvalidConfig {
                field: "tls.key-file",
                value: String::new(),
                reason: "`tls.cert-file` is set, so the matching key file is needed",
            });
        }
        (None, Some(_)) => {
            return Err(ConsulError::InvalidConfig {
                field: "tls.cert-file",
                value: String::new(),
                reason: "`tls.key-file` is set, so the matching certificate file is needed",
            });
        }
    }
    if tls.insecure_skip_verify {
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
