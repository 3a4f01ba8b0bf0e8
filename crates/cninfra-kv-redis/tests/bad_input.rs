//! Bad input: unreachable or silent endpoints fail within the dial timeout, a wrong
//! password and a missing TLS file are named, and a value the typed broker cannot decode
//! names its key while the watch goes on.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use cninfra_core::tls::TlsConfigError;
use cninfra_kv::{JsonBroker, KvStore, KvStoreExt, PutOptions, TypedEvent};
use cninfra_kv_redis::{RedisConfig, RedisError, RedisStore};
use futures::StreamExt;
use support::RedisServer;
use support::ServerConfig as _;

fn with_dial_timeout(endpoint: String, timeout: Duration) -> RedisConfig {
    RedisConfig {
        dial_timeout: timeout,
        ..RedisConfig::node(endpoint)
    }
}

#[tokio::test]
async fn a_refused_endpoint_fails_at_once_naming_it() {
    let endpoint = format!("127.0.0.1:{}", support::free_port());
    let started = Instant::now();
    let err = RedisStore::connect(&with_dial_timeout(endpoint.clone(), Duration::from_secs(2)))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        matches!(
            err,
            RedisError::Connect { .. } | RedisError::DialTimeout { .. }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains(&endpoint), "{err}");
}

#[tokio::test]
async fn a_silent_endpoint_fails_within_the_dial_timeout() {
    // Accepts TCP connections (the kernel's backlog) but never answers a command.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = silent.local_addr().unwrap().to_string();
    let dial = Duration::from_millis(400);
    let started = Instant::now();
    let err = RedisStore::connect(&with_dial_timeout(endpoint.clone(), dial))
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(
        took >= dial && took < dial * 3,
        "took {took:?} with a {dial:?} dial timeout"
    );
    let text = err.to_string();
    assert!(
        text.contains(&endpoint) && text.contains("dial timeout"),
        "{text}"
    );
}

#[tokio::test]
async fn a_wrong_or_missing_password_is_reported_as_such() {
    let server = RedisServer::start(&["--requirepass", "right-password"]);
    let wrong = RedisConfig {
        password: "wrong-password".into(),
        ..server.config()
    };
    let err = RedisStore::connect(&wrong).await.unwrap_err();
    assert!(matches!(err, RedisError::Auth { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("password") && text.contains(&server.endpoint()),
        "{text}"
    );
    assert!(
        !text.contains("wrong-password"),
        "the password leaks: {text}"
    );

    let missing = RedisStore::connect(&server.config()).await.unwrap_err();
    assert!(matches!(missing, RedisError::Auth { .. }), "{missing:?}");

    let right = RedisConfig {
        password: "right-password".into(),
        ..server.config()
    };
    let store = RedisStore::connect(&right).await.unwrap();
    store.ping().await.unwrap();
}

#[tokio::test]
async fn a_missing_tls_file_is_named_before_any_connection() {
    let dir = tempfile::tempdir().unwrap();
    let present = dir.path().join("client.pem");
    std::fs::write(&present, "not really a certificate").unwrap();
    let missing = dir.path().join("client-key.pem");
    let mut config = RedisConfig::node(format!("127.0.0.1:{}", support::free_port()));
    config.tls.enabled = true;
    config.tls.cert_file = Some(present);
    config.tls.key_file = Some(missing.clone());
    let err = RedisStore::connect(&config).await.unwrap_err();
    assert!(
        matches!(
            err,
            RedisError::TlsFile(TlsConfigError::Read {
                field: "tls.key-file",
                ..
            })
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );
}

#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Route {
    dst: String,
    metric: u32,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undecodable_value_names_its_key_and_the_watch_goes_on() {
    let store = RedisStore::connect(&support::shared_config())
        .await
        .unwrap();
    let prefix = support::unique_prefix("decode");
    let view: Arc<dyn KvStore> = Arc::new(store.clone().with_prefix(prefix.clone()));
    let routes: JsonBroker<Route> = JsonBroker::new(Arc::clone(&view));
    let mut watch = routes.watch(&["route/"], None).await.unwrap();

    view.put("route/bad", "{not json".into(), PutOptions::default())
        .await
        .unwrap();
    let good = Route {
        dst: "10.0.0.0/8".into(),
        metric: 5,
    };
    routes.put("route/good", &good).await.unwrap();

    let err = routes.get("route/bad").await.unwrap_err();
    assert!(
        err.is_codec() && err.to_string().contains("route/bad"),
        "{err}"
    );

    let first = tokio::time::timeout(Duration::from_secs(10), watch.next())
        .await
        .unwrap();
    let err = first.expect("an item").unwrap_err();
    assert!(err.to_string().contains("route/bad"), "{err}");
    let second = tokio::time::timeout(Duration::from_secs(10), watch.next())
        .await
        .unwrap();
    match second.expect("the watch goes on").unwrap() {
        TypedEvent::Change(change) => {
            assert_eq!(change.key, "route/good");
            assert_eq!(change.value, Some(good));
        }
        other => panic!("expected the good route, got {other:?}"),
    }
    store
        .delete(&prefix, cninfra_kv::DeleteOptions::prefix())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_server_times_commands_out_and_then_recovers() {
    let server = RedisServer::start(&["--enable-debug-command", "yes"]);
    let config = RedisConfig {
        read_timeout: Duration::from_millis(150),
        write_timeout: Duration::from_millis(50),
        ..server.config()
    };
    let store = RedisStore::connect(&config).await.unwrap();
    let client = redis::Client::open(format!("redis://{}/", server.endpoint())).unwrap();
    let mut staller = client.get_multiplexed_async_connection().await.unwrap();
    let stall = tokio::spawn(async move {
        redis::cmd("DEBUG")
            .arg("SLEEP")
            .arg("1.5")
            .query_async::<()>(&mut staller)
            .await
    });
    // Until the server stalls, gets succeed; then one must time out.
    let deadline = Instant::now() + Duration::from_secs(5);
    let err = loop {
        let started = Instant::now();
        match store.get("k").await {
            Ok(_) => assert!(Instant::now() < deadline, "the server never stalled"),
            Err(err) => {
                assert!(
                    started.elapsed() < Duration::from_secs(1),
                    "{:?}",
                    started.elapsed()
                );
                break err;
            }
        }
    };
    assert!(err.is_timeout() && err.is_retryable(), "{err:?}");
    assert!(err.to_string().contains("`get`"), "{err}");
    // The staller's own client may give up waiting too; only the stall matters.
    let _ = stall.await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while store.ping().await.is_err() {
        assert!(Instant::now() < deadline, "the store did not recover");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
