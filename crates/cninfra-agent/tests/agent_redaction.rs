//! Nothing secret in the agent's log or debug views: the agent starts at debug level with
//! a secret in every config that takes one (etcd user and password on an etcd with auth,
//! Redis password, Consul token, REST basic auth, users and sign key, gRPC password and
//! token, cryptodata private keys) and takes an encrypted memif secret from etcd; then its
//! log and every `/scheduler/` debug view (the parts of `cninfra-ctl report`) are grepped
//! for each secret. (Kafka's SASL password is covered by the config's `Debug` test: the
//! test broker has no SASL.)

mod support;

use cninfra_kv_consul::testserver::{ConsulTestServer, TestServerOptions};
use serde_json::json;
use support::crypto::{make_keys, py_encrypt};
use support::{AgentProcess, EtcdServer, RedisServer, free_port};

const ETCD_PASSWORD: &str = "etcd-pw-9f3a1c";
const REDIS_PASSWORD: &str = "redis-pw-51be07";
const CONSUL_TOKEN: &str = "consul-token-7d2e44";
const BASIC_PASSWORD: &str = "basic-pw-0c9d12";
const SIGN_KEY: &str = "sign-key-e81f3b";
const USER_PASSWORD: &str = "user-pw-44a0de";
const GRPC_PASSWORD: &str = "grpc-pw-a73c55";
const GRPC_TOKEN: &str = "grpc-token-2b6f90";
const MEMIF_SECRET: &str = "memif-secret-c4d1e8";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_of_any_config_or_value_reaches_the_log_or_the_debug_views() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    let write = |name: &str, text: String| {
        std::fs::write(dir.path().join(name), text).unwrap();
        path(name)
    };

    let etcd = EtcdServer::start().await;
    etcd.etcdctl(&[
        "user",
        "add",
        &format!("root:{ETCD_PASSWORD}"),
        "--interactive=false",
    ]);
    etcd.etcdctl(&["auth", "enable"]);
    let redis = RedisServer::start(&["--requirepass", REDIS_PASSWORD]);
    let consul =
        ConsulTestServer::start_with(TestServerOptions::default().with_token(CONSUL_TOKEN))
            .await
            .unwrap();
    make_keys(dir.path(), 1);
    let private_key = std::fs::read_to_string(dir.path().join("key0.pem")).unwrap();

    let etcd_conf = write(
        "etcd.conf",
        format!(
            "endpoints: [{}]\nusername: root\npassword: {ETCD_PASSWORD}\n",
            etcd.endpoint()
        ),
    );
    let redis_conf = write(
        "redis.conf",
        format!(
            "endpoint: {}\npassword: {REDIS_PASSWORD}\n",
            redis.endpoint()
        ),
    );
    let consul_conf = write(
        "consul.conf",
        format!("address: {}\ntoken: {CONSUL_TOKEN}\n", consul.address()),
    );
    let http_conf = write(
        "http.conf",
        format!(
            "client-basic-auth: ['admin:{BASIC_PASSWORD}']\nsign-key: {SIGN_KEY}\n\
             users:\n  - name: op\n    password: {USER_PASSWORD}\n    permissions: []\n"
        ),
    );
    let grpc_conf = write(
        "grpc.conf",
        format!(
            "endpoint: 127.0.0.1:{}\nauth: {{username: op, password: {GRPC_PASSWORD}, token: {GRPC_TOKEN}}}\n",
            free_port()
        ),
    );
    let crypto_conf = write(
        "cryptodata.conf",
        format!("private-key-files: [{}]\n", path("key0.pem")),
    );

    let label = format!("redaction-{}", std::process::id());
    let mut agent = AgentProcess::spawn(
        &[
            "--etcd-config",
            &etcd_conf,
            "--redis-config",
            &redis_conf,
            "--consul-config",
            &consul_conf,
            "--http-config",
            &http_conf,
            "--grpc-config",
            &grpc_conf,
            "--cryptodata-config",
            &crypto_conf,
        ],
        &[("MICROSERVICE_LABEL", &label), ("INITIAL_LOGLVL", "debug")],
    );
    let mut headers = reqwest::header::HeaderMap::new();
    let mut basic = reqwest::header::HeaderValue::from_str(&format!(
        "Basic {}",
        support::crypto::base64(&format!("admin:{BASIC_PASSWORD}"))
    ))
    .unwrap();
    basic.set_sensitive(true);
    headers.insert(reqwest::header::AUTHORIZATION, basic);
    agent.client = reqwest::Client::builder()
        .default_headers(headers)
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .unwrap();
    agent.wait_ready().await;

    // An encrypted memif secret through etcd (with the etcd user's credentials).
    let encrypted = py_encrypt(&dir.path().join("key0.pub.pem"), MEMIF_SECRET);
    let interface = format!("/vnf-agent/{label}/config/vpp/v2/interfaces/memif1");
    let value = json!({"name": "memif1", "type": "MEMIF", "enabled": true,
                       "memif": {"master": true, "secret": encrypted}});
    etcd.etcdctl(&[
        "--user",
        &format!("root:{ETCD_PASSWORD}"),
        "put",
        &interface,
        &value.to_string(),
    ]);
    agent
        .wait_json(
            "the memif interface in the scheduler",
            "/scheduler/dump?key-prefix=config/vpp/v2/interfaces/&view=cached",
            |v| {
                v.as_array().is_some_and(|kvs| {
                    kvs.iter()
                        .any(|kv| kv["value"]["memif"]["secret"] == "<redacted>")
                })
            },
        )
        .await;

    let mut views = String::new();
    for path in [
        "/scheduler/txn-history",
        "/scheduler/txn-history?format=text",
        "/scheduler/dump?key-prefix=&view=NB",
        "/scheduler/dump?key-prefix=&view=SB",
        "/scheduler/dump?key-prefix=&view=cached",
        "/scheduler/status",
        "/scheduler/graph?format=dot",
        "/scheduler/graph-snapshot",
        "/scheduler/stats",
        "/scheduler/key-timeline?key=config/vpp/v2/interfaces/memif1",
    ] {
        let response = agent.client.get(agent.url(path)).send().await.unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        views.push_str(&response.text().await.unwrap());
    }
    let log = agent.output();
    assert!(
        log.contains("DEBUG") || log.contains("debug"),
        "debug logs on: {log}"
    );
    let key_lines: Vec<&str> = private_key
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    for (what, text) in [("log", &log), ("debug views", &views)] {
        for secret in [
            ETCD_PASSWORD,
            REDIS_PASSWORD,
            CONSUL_TOKEN,
            BASIC_PASSWORD,
            SIGN_KEY,
            USER_PASSWORD,
            GRPC_PASSWORD,
            GRPC_TOKEN,
            MEMIF_SECRET,
            &encrypted,
        ]
        .into_iter()
        .chain(key_lines.iter().copied())
        {
            assert!(!text.contains(secret), "{what} holds `{secret}`:\n{text}");
        }
    }
    agent.stop();
    consul.stop().await;
}
