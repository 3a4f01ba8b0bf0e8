//! Bad input gives clear errors: an unreachable endpoint (within the dial timeout), a wrong
//! password, a missing TLS file, and a stored value that a typed broker cannot decode
//! (the error names the key and the watch goes on).

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;

use cninfra_core::tls::TlsConfigError;
use cninfra_kv::{JsonBroker, KvError, KvStore, PutOptions, TypedEvent};
use cninfra_kv_etcd::{EtcdConfig, EtcdError, EtcdStore};
use support::EtcdServer;

#[tokio::test]
async fn unreachable_endpoint_fails_within_the_dial_timeout_naming_it() {
    let endpoint = format!("127.0.0.1:{}", support::free_port());
    let config = EtcdConfig {
        dial_timeout: Duration::from_millis(500),
        ..EtcdConfig::with_endpoints([endpoint.as_str()])
    };
    let started = Instant::now();
    let err = EtcdStore::connect(&config).await.unwrap_err();
    let took = started.elapsed();
    assert!(took < Duration::from_millis(900), "took {took:?}");
    assert!(matches!(err, EtcdError::Unreachable { .. }), "{err:?}");
    assert!(err.is_retryable());
    let text = err.to_string();
    assert!(
        text.contains(&endpoint) && text.contains("dial-timeout"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_refused_naming_the_user() {
    let server = EtcdServer::start().await;
    server.etcdctl(&["user", "add", "root:right-pw", "--interactive=false"]);
    server.etcdctl(&["auth", "enable"]);
    let login = |password: &str| EtcdConfig {
        username: Some("root".into()),
        password: Some(password.into()),
        ..support::quick_config(&server.endpoint())
    };

    let err = EtcdStore::connect(&login("wrong-pw")).await.unwrap_err();
    assert!(matches!(err, EtcdError::Auth { .. }), "{err:?}");
    assert!(!err.is_retryable());
    let text = err.to_string();
    assert!(
        text.contains("`root`") && text.contains(&server.endpoint()),
        "{text}"
    );
    assert!(
        !text.contains("wrong-pw"),
        "the password is not shown: {text}"
    );

    let store = EtcdStore::connect(&login("right-pw")).await.unwrap();
    let revision = store
        .put("/auth/a", "1".into(), PutOptions::default())
        .await
        .unwrap();
    assert_eq!(
        store.get("/auth/a").await.unwrap().map(|v| v.revision),
        Some(revision)
    );

    let anonymous = EtcdStore::connect(&support::quick_config(&server.endpoint()))
        .await
        .unwrap();
    let err = anonymous.get("/auth/a").await.unwrap_err();
    assert!(!err.is_retryable(), "{err}");
}

#[tokio::test]
async fn missing_tls_file_is_named_with_its_setting() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("ca.pem");
    let config = EtcdConfig {
        ca_file: Some(missing.clone()),
        ..EtcdConfig::with_endpoints(["127.0.0.1:2379"])
    };
    let err = EtcdStore::connect(&config).await.unwrap_err();
    let EtcdError::TlsFile(TlsConfigError::Read { field, path, .. }) = &err else {
        panic!("expected a TLS file error, got {err:?}")
    };
    assert_eq!((*field, path), ("ca-file", &missing));
    let text = err.to_string();
    assert!(
        text.contains("ca-file") && text.contains("ca.pem"),
        "{text}"
    );

    std::fs::write(&missing, "not checked before the key is read").unwrap();
    let config = EtcdConfig {
        cert_file: Some(dir.path().join("client.pem")),
        key_file: Some(dir.path().join("client.key")),
        ..config
    };
    let err = EtcdStore::connect(&config).await.unwrap_err().to_string();
    assert!(
        err.contains("cert-file") && err.contains("client.pem"),
        "{err}"
    );
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Route {
    dst: String,
    metric: u32,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_value_names_the_key_and_the_watch_goes_on() {
    let store = support::shared_store().await;
    let prefix = support::unique_prefix("decode");
    let routes: JsonBroker<Route> = JsonBroker::new(Arc::new(store.clone()));
    let mut watch = routes.watch(&[&prefix], None).await.unwrap();

    let bad_key = format!("{prefix}r/1");
    store
        .put(&bad_key, "{not json".into(), PutOptions::default())
        .await
        .unwrap();
    let good = Route {
        dst: "10.0.0.0/8".into(),
        metric: 7,
    };
    routes.put(&format!("{prefix}r/2"), &good).await.unwrap();

    let first = tokio::time::timeout(Duration::from_secs(10), watch.next())
        .await
        .unwrap();
    let err = first.expect("an item").unwrap_err();
    let KvError::Decode { key, source } = &err else {
        panic!("expected a decode error, got {err}")
    };
    assert_eq!(key, &bad_key);
    assert!(
        source.message.contains("Route") && err.to_string().contains(&bad_key),
        "{err}"
    );

    let second = tokio::time::timeout(Duration::from_secs(10), watch.next())
        .await
        .unwrap();
    let Some(Ok(TypedEvent::Change(change))) = second else {
        panic!("the watch goes on after the bad value: {second:?}")
    };
    assert_eq!(change.value, Some(good));

    let err = routes.get(&bad_key).await.unwrap_err();
    assert!(
        err.is_codec() && err.to_string().contains(&bad_key),
        "{err}"
    );
    store
        .delete(&prefix, cninfra_kv::DeleteOptions::prefix())
        .await
        .unwrap();
}
