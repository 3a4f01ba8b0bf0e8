//! HTTPS towards the agent: the in-test server serves TLS with certificates made here;
//! the config's CA file makes it trusted, a wrong CA fails with a clear error, and
//! `insecure-skip-verify` accepts any certificate.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cninfra_kv::KvStore;
use cninfra_kv::testkit::{self, Outcome};
use cninfra_kv_consul::testserver::{ConsulTestServer, TestServerOptions};
use cninfra_kv_consul::{ConsulConfig, ConsulError, ConsulStore};
use cninfra_testsupport::TlsFiles;

/// The test PKI (a CA that signed the server's certificate for `127.0.0.1`, and a CA that
/// did not) with Consul helpers.
struct Pki(TlsFiles);

impl Pki {
    fn new() -> Self {
        Self(TlsFiles::temp())
    }

    async fn server(&self) -> ConsulTestServer {
        let cert = std::fs::read(&self.0.server_cert).unwrap();
        let key = std::fs::read(&self.0.server_key).unwrap();
        let options = TestServerOptions::default().with_tls(cert, key);
        ConsulTestServer::start_with(options).await.unwrap()
    }

    /// `https://` to `server`, trusting `ca`.
    fn config(&self, server: &ConsulTestServer, ca: &Path) -> ConsulConfig {
        let mut config = ConsulConfig::new(format!("https://{}", server.address()));
        config.tls.ca_file = Some(ca.to_owned());
        config.dial_timeout = Duration::from_secs(3);
        config
    }
}

/// Writes, lists and watches (blocking queries) over HTTPS: the kit's watch check,
/// which does all three.
async fn round_trip(store: &ConsulStore) {
    let store: Arc<dyn KvStore> = Arc::new(store.clone());
    let outcome = testkit::watch_converges(&store, "tls/")
        .await
        .unwrap_or_else(|failure| panic!("{failure}"));
    assert_eq!(outcome, Outcome::Passed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connects_over_https_with_the_configured_ca() {
    let pki = Pki::new();
    let server = pki.server().await;
    let store = ConsulStore::connect(&pki.config(&server, &pki.0.ca), |_| None)
        .await
        .unwrap();
    round_trip(&store).await;
    assert!(
        server.keys().is_empty(),
        "the check cleans up: {:?}",
        server.keys()
    );

    // Plain HTTP to the HTTPS port gets no answer it understands.
    let plain = ConsulConfig::new(format!("http://{}", server.address()));
    let err = ConsulStore::connect(&plain, |_| None).await.unwrap_err();
    assert!(matches!(err, ConsulError::Unreachable { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_ca_fails_with_a_certificate_error_naming_the_url() {
    let pki = Pki::new();
    let server = pki.server().await;
    let config = pki.config(&server, &pki.0.other_ca);
    let err = ConsulStore::connect(&config, |_| None).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ConsulError::Tls { .. }), "{err:?}");
    let url = format!("https://{}", server.address());
    assert!(
        text.contains(&url) && text.contains("tls.ca-file"),
        "{text}"
    );
    assert!(text.contains("certificate"), "{text}");

    let mut insecure = config;
    insecure.tls.skip_verify = true;
    let store = ConsulStore::connect(&insecure, |_| None).await.unwrap();
    round_trip(&store).await;
}
