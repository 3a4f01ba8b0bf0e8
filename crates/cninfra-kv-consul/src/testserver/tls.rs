//! Serving the test server over HTTPS (HTTP/1.1 on rustls), for the connector's TLS
//! tests: a real handshake with the certificate a test made.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// How long a client may take to finish its handshake.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// The server config for a certificate chain and key in PEM.
pub(super) fn server_config(cert_pem: &[u8], key_pem: &[u8]) -> std::io::Result<Arc<ServerConfig>> {
    let invalid = |err: &dyn std::fmt::Display| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, err.to_string())
    };
    let certs = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| invalid(&err))?;
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|err| invalid(&err))?;
    let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|err| invalid(&err))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|err| invalid(&err))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Accepts TLS connections and serves `app` on each until `stopped`; then the open
/// connections are dropped (the test server's stop is an outage, not a drain).
pub(super) async fn serve(
    listener: TcpListener,
    app: Router,
    config: Arc<ServerConfig>,
    mut stopped: oneshot::Receiver<()>,
) {
    let acceptor = TlsAcceptor::from(config);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(err) => {
                        tracing::warn!(error = %err, "consul test server: accept failed");
                        continue;
                    }
                };
                let (acceptor, app) = (acceptor.clone(), app.clone());
                connections.spawn(async move {
                    let tls = match tokio::time::timeout(HANDSHAKE, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => tls,
                        Ok(Err(err)) => {
                            tracing::debug!(error = %err, "consul test server: TLS handshake failed");
                            return;
                        }
                        Err(_) => return,
                    };
                    let service = TowerToHyperService::new(app);
                    let served = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                    if let Err(err) = served {
                        tracing::debug!(error = %err, "consul test server: connection ended");
                    }
                });
            }
        }
    }
}
