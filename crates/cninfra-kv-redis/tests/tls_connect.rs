//! TLS against a real `redis-server` serving only `--tls-port`, with certificates made
//! here: the config's CA file, mutual TLS with a client certificate, a wrong CA (a clear
//! error), and `skip-verify`.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cninfra_kv::KvStore;
use cninfra_kv::testkit::{self, Outcome};
use cninfra_kv_redis::{RedisConfig, RedisError, RedisStore};
use cninfra_testsupport::TlsFiles;
use support::RedisServer;
use support::ServerConfig as _;

/// The test PKI (CA, server and client certificates, a second CA) with Redis helpers.
struct Pki(TlsFiles);

impl Pki {
    fn new() -> Self {
        Self(TlsFiles::temp())
    }

    /// A TLS-only server; with `clients` it demands client certificates.
    fn server(&self, clients: bool) -> RedisServer {
        let arg = |path: &Path| path.to_str().unwrap().to_owned();
        let (cert, key, ca) = (
            arg(&self.0.server_cert),
            arg(&self.0.server_key),
            arg(&self.0.ca),
        );
        let auth = if clients { "yes" } else { "no" };
        RedisServer::start_tls(&[
            "--tls-cert-file",
            &cert,
            "--tls-key-file",
            &key,
            "--tls-ca-cert-file",
            &ca,
            "--tls-auth-clients",
            auth,
            "--notify-keyspace-events",
            "KA",
        ])
    }

    /// The server's config with TLS on and `ca` as the CA file (a dial timeout long enough
    /// for a handshake on a loaded machine; a certificate error still comes back at once).
    fn config(&self, server: &RedisServer, ca: &Path) -> RedisConfig {
        let mut config = server.config();
        config.tls.enabled = true;
        config.tls.ca_file = Some(ca.to_owned());
        config.dial_timeout = Duration::from_secs(10);
        config
    }
}

/// Writes, lists and watches over the TLS connections (the watch has its own): the
/// kit's watch check, which does all three.
async fn round_trip(store: &RedisStore) {
    let store: Arc<dyn KvStore> = Arc::new(store.clone());
    let outcome = testkit::watch_converges(&store, &support::unique_prefix("tls"))
        .await
        .unwrap_or_else(|failure| panic!("{failure}"));
    assert_eq!(outcome, Outcome::Passed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connects_over_tls_with_the_configured_ca() {
    let pki = Pki::new();
    let server = pki.server(false);
    let config = pki.config(&server, &pki.0.ca);
    let store = RedisStore::connect(&config).await.unwrap();
    round_trip(&store).await;

    // The plain protocol on the TLS port gets nowhere.
    let plain = RedisStore::connect(&RedisConfig {
        dial_timeout: Duration::from_secs(1),
        ..server.config()
    })
    .await;
    assert!(plain.is_err(), "plain connection to a TLS port: {plain:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_sends_the_client_certificate() {
    let pki = Pki::new();
    let server = pki.server(true);
    let mut config = pki.config(&server, &pki.0.ca);
    let anonymous = RedisStore::connect(&config).await;
    assert!(
        matches!(anonymous, Err(RedisError::Tls { .. })),
        "no client certificate: {anonymous:?}"
    );
    config.tls.cert_file = Some(pki.0.client_cert.clone());
    config.tls.key_file = Some(pki.0.client_key.clone());
    let store = RedisStore::connect(&config).await.unwrap();
    round_trip(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_ca_fails_with_a_certificate_error_naming_the_endpoint() {
    let pki = Pki::new();
    let server = pki.server(false);
    let config = pki.config(&server, &pki.0.other_ca);
    let started = std::time::Instant::now();
    let err = RedisStore::connect(&config).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, RedisError::Tls { .. }), "{err:?}");
    assert!(
        text.contains(&server.endpoint()) && text.contains("tls.ca-file"),
        "{text}"
    );
    assert!(text.to_lowercase().contains("certificate"), "{text}");
    assert!(
        started.elapsed() < config.dial_timeout,
        "failed fast: {text}"
    );

    // skip-verify accepts the certificate no configured CA signed.
    let mut insecure = config.clone();
    insecure.tls.skip_verify = true;
    let store = RedisStore::connect(&insecure).await.unwrap();
    round_trip(&store).await;
}
