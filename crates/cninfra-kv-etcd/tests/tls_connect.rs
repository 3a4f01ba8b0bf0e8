//! TLS from the config files: a server that requires client certificates accepts the
//! configured ones, and refuses a client without them.

mod support;

use cninfra_kv::{KvStore, PutOptions};
use cninfra_kv_etcd::{EtcdConfig, EtcdError, EtcdStore};
use support::EtcdServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ca_and_client_certificate_from_the_config_connect() {
    let server = EtcdServer::start_tls().await;
    let tls = server.tls().expect("a TLS server");
    let config = EtcdConfig {
        ca_file: Some(tls.ca.clone()),
        cert_file: Some(tls.client_cert.clone()),
        key_file: Some(tls.client_key.clone()),
        ..support::quick_config(&server.endpoint())
    };
    assert!(config.uses_tls());
    let store = EtcdStore::connect(&config).await.unwrap();
    let revision = store
        .put("/tls/a", "1".into(), PutOptions::default())
        .await
        .unwrap();
    assert_eq!(
        store.get("/tls/a").await.unwrap().map(|v| v.revision),
        Some(revision)
    );

    let without_client_cert = EtcdConfig {
        cert_file: None,
        key_file: None,
        ..config
    };
    let err = EtcdStore::connect(&without_client_cert).await.unwrap_err();
    assert!(
        matches!(
            err,
            EtcdError::Unreachable { .. } | EtcdError::Connect { .. }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains(&server.endpoint()), "{err}");
}
