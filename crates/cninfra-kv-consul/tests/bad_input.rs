//! Bad input: an unreachable or silent agent fails the start within the time limits and
//! names its URL, a wrong token and a missing TLS file are named, a value over Consul's
//! limit names its key, and a value the typed broker cannot decode names its key while
//! the watch goes on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cninfra_core::tls::TlsConfigError;
use cninfra_kv::{JsonBroker, KvStore, PutOptions, TypedEvent};
use cninfra_kv_consul::testserver::{ConsulTestServer, TestServerOptions};
use cninfra_kv_consul::{ConsulConfig, ConsulError, ConsulStore};
use cninfra_testsupport::error_chain;
use futures::StreamExt;

fn quick(address: String) -> ConsulConfig {
    ConsulConfig {
        dial_timeout: Duration::from_millis(300),
        request_timeout: Duration::from_millis(300),
        ..ConsulConfig::new(address)
    }
}

#[tokio::test]
async fn a_refused_address_fails_at_once_naming_it() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let err = ConsulStore::connect(&quick(format!("127.0.0.1:{port}")), |_| None)
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        matches!(&err, ConsulError::Unreachable { source, .. } if source.is_retryable()),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains(&format!("http://127.0.0.1:{port}")),
        "{err}"
    );
}

#[tokio::test]
async fn a_silent_agent_fails_within_the_time_limit() {
    // Accepts TCP connections (the kernel's backlog) but never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = silent.local_addr().unwrap().to_string();
    let started = Instant::now();
    let err = ConsulStore::connect(&quick(address.clone()), |_| None)
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(2),
        "took {took:?}"
    );
    let text = format!(
        "{err} / {:?}",
        std::error::Error::source(&err).map(ToString::to_string)
    );
    assert!(
        text.contains(&address) && text.contains("timed out"),
        "{text}"
    );
}

#[tokio::test]
async fn the_address_and_token_come_from_the_environment() {
    let server = ConsulTestServer::start_with(TestServerOptions::default().with_token("s3cret"))
        .await
        .unwrap();
    let address = server.address().to_string();
    let env = |name: &str| match name {
        "CONSUL_HTTP_ADDR" => Some(address.clone()),
        "CONSUL_HTTP_TOKEN" => Some("s3cret".to_owned()),
        _ => None,
    };
    let store = ConsulStore::connect(&ConsulConfig::default(), env)
        .await
        .unwrap();
    store
        .put("k", "v".into(), PutOptions::default())
        .await
        .unwrap();

    let wrong = ConsulConfig {
        token: "wrong".into(),
        ..ConsulConfig::new(address)
    };
    let err = ConsulStore::connect(&wrong, |_| None).await.unwrap_err();
    let text = error_chain(&err);
    assert!(
        text.contains("403") && text.contains("ACL not found"),
        "{text}"
    );
    assert!(!text.contains("wrong"), "the token leaks: {text}");
}

#[tokio::test]
async fn a_missing_tls_file_is_named() {
    let mut config = ConsulConfig::new("https://127.0.0.1:8501");
    config.tls.ca_file = Some("/nonexistent/consul/ca.pem".into());
    let err = ConsulStore::connect(&config, |_| None).await.unwrap_err();
    assert!(
        matches!(
            err,
            ConsulError::TlsFile(TlsConfigError::Read {
                field: "tls.ca-file",
                ..
            })
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("/nonexistent/consul/ca.pem"),
        "{err}"
    );
}

#[tokio::test]
async fn a_value_over_the_limit_names_its_key_and_ttls_are_refused() {
    let server = ConsulTestServer::start().await.unwrap();
    let store = ConsulStore::connect(&ConsulConfig::new(server.address().to_string()), |_| None)
        .await
        .unwrap();
    let big = vec![b'x'; 600 * 1024];
    let err = store
        .put("/big/value", big.into(), PutOptions::default())
        .await
        .unwrap_err();
    let text = format!(
        "{err}: {:?}",
        std::error::Error::source(&err).map(ToString::to_string)
    );
    assert!(text.contains("413") && text.contains("big/value"), "{text}");

    let ttl = PutOptions::default().with_ttl(Duration::from_secs(5));
    let err = store.put("/ttl", "v".into(), ttl).await.unwrap_err();
    assert!(
        err.is_unsupported() && err.to_string().contains("ttl"),
        "{err}"
    );
    assert!(
        server.keys().is_empty(),
        "nothing was written: {:?}",
        server.keys()
    );
}

#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Route {
    dst: String,
    metric: u32,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undecodable_value_names_its_key_and_the_watch_goes_on() {
    let server = ConsulTestServer::start().await.unwrap();
    let store = ConsulStore::connect(&ConsulConfig::new(server.address().to_string()), |_| None)
        .await
        .unwrap();
    let store: Arc<dyn KvStore> = Arc::new(store);
    let routes: JsonBroker<Route> = JsonBroker::new(Arc::clone(&store));
    let mut watch = routes.watch(&["/route/"], None).await.unwrap();

    store
        .put("/route/bad", "{not json".into(), PutOptions::default())
        .await
        .unwrap();
    let err = routes.get("/route/bad").await.unwrap_err();
    assert!(
        err.is_codec() && err.to_string().contains("/route/bad"),
        "{err}"
    );
    let first = tokio::time::timeout(Duration::from_secs(10), watch.next())
        .await
        .unwrap();
    let err = first.expect("an item").unwrap_err();
    assert!(err.to_string().contains("/route/bad"), "{err}");

    let good = Route {
        dst: "10.0.0.0/8".into(),
        metric: 5,
    };
    routes.put("/route/good", &good).await.unwrap();
    let second = tokio::time::timeout(Duration::from_secs(10), watch.next())
        .await
        .unwrap();
    match second.expect("the watch goes on").unwrap() {
        TypedEvent::Change(change) => assert_eq!(
            (change.key.as_str(), change.value),
            ("/route/good", Some(good))
        ),
        other => panic!("expected the good route, got {other:?}"),
    }
}
