//! The agent binary started as CN-Infra agents are, with Go-style flags (`-http-config
//! file`, `-microservice-label=x`) and upstream's own sample config files
//! (`tests/data/upstream/`, see its README): each is accepted and its settings take effect.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use cninfra::config::parse_lenient;
use cninfra::redis::{RedisConfig, Topology};
use cninfra_testsupport::{EtcdServer, TlsFiles};
use serde_json::json;
use support::{AGENT, AgentProcess, eventually, free_port, harness_server};

const ITEMS: &str = "/example/v1/items";

/// Upstream's sample `name` with `(from, to)` replaced (addresses, ports, paths).
fn sample(name: &str, replace: &[(&str, &str)]) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/upstream")
        .join(name);
    let mut text = std::fs::read_to_string(&path).unwrap();
    for (from, to) in replace {
        assert!(text.contains(from), "{name} has no {from:?}");
        text = text.replace(from, to);
    }
    text
}

/// Writes `text` into `dir/name` and returns the path as text.
fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// No line of the agent's log names an unknown config key.
fn assert_no_unknown_keys(agent: &AgentProcess) {
    let log = agent.output();
    assert!(!log.contains("unknown key"), "{log}");
}

/// `cninfra-agent hash-password <password> <cost>`.
fn hash_password(password: &str, cost: &str) -> String {
    let output = Command::new(AGENT)
        .args(["hash-password", password, cost])
        .env_clear()
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let hash = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert!(hash.starts_with(&format!("$2b$0{cost}$")), "{hash}");
    hash
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_conf_sets_the_port_and_the_rate_limiter() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let hash = hash_password("operator-pw", "7");
    let endpoint = format!("127.0.0.1:{port}");
    let text = sample(
        "http.conf",
        &[("0.0.0.0:9191", &endpoint), ("HASH_OF_OPERATOR_PW", &hash)],
    );
    let file = write(dir.path(), "http.conf", &text);
    let mut agent = AgentProcess::spawn_serving_on(port, &["-http-config", &file], &[]);
    agent.wait_ready().await;
    assert_no_unknown_keys(&agent);

    // rate-limiter: {limit: 5, burst: 3}; the probes are never limited.
    let mut answers = Vec::new();
    for _ in 0..6 {
        let response = agent
            .client
            .get(agent.url("/log/list"))
            .send()
            .await
            .unwrap();
        answers.push((
            response.status().as_u16(),
            response
                .headers()
                .get("X-Ligato-RateLimiter-Limit")
                .cloned(),
            response
                .headers()
                .get("X-Ligato-RateLimiter-MaxBurst")
                .cloned(),
            response
                .headers()
                .get("X-Ligato-RateLimiter-WaitDelay")
                .cloned(),
        ));
    }
    assert!(answers.iter().any(|a| a.0 == 429), "{answers:?}");
    let limited = answers.iter().find(|a| a.0 == 429).unwrap();
    assert_eq!(limited.1.as_ref().unwrap(), "5");
    assert_eq!(limited.2.as_ref().unwrap(), "3");
    assert!(limited.3.is_some(), "{answers:?}");
    for _ in 0..10 {
        let probe = agent
            .client
            .get(agent.url("/readiness"))
            .send()
            .await
            .unwrap();
        assert_eq!(probe.status(), 200);
    }
    agent.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_conf_with_token_auth_turned_on_logs_in_its_users() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let hash = hash_password("operator-pw", "7");
    let endpoint = format!("127.0.0.1:{port}");
    let text = sample(
        "http.conf",
        &[
            ("0.0.0.0:9191", &endpoint),
            ("HASH_OF_OPERATOR_PW", &hash),
            ("enable-token-auth: false", "enable-token-auth: true"),
            ("limit: 5", "limit: 1000"),
            ("burst: 3", "burst: 1000"),
        ],
    );
    let file = write(dir.path(), "http.conf", &text);
    let mut agent = AgentProcess::spawn_serving_on(port, &[&format!("-http-config={file}")], &[]);
    agent.wait_ready().await;
    let client = &agent.client;
    let anonymous = client.get(agent.url("/log/list")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);

    let login = |user: &str, password: &str| {
        client
            .post(agent.url("/auth/login"))
            .json(&json!({"username": user, "password": password}))
            .send()
    };
    let token = login("operator", "operator-pw")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The operator's group `readers` allows nothing here: permission denied.
    let denied = client
        .get(agent.url("/log/list"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 403);
    assert_eq!(login("operator", "wrong").await.unwrap().status(), 401);
    // The admin (upstream's default password) may do everything.
    let admin = login("admin", "ligato123")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let listed = client
        .get(agent.url("/log/list"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);
    assert_eq!(listed.headers()["X-Ligato-Auth-Username"], "admin");
    agent.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etcd_conf_connects_over_tls_and_feeds_the_view() {
    let etcd = EtcdServer::start_tls().await;
    let tls: &TlsFiles = etcd.tls().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, ca) = (
        tls.client_cert.display().to_string(),
        tls.client_key.display().to_string(),
        tls.ca.display().to_string(),
    );
    let text = sample(
        "etcd.conf",
        &[
            ("127.0.0.1:2379", &etcd.endpoint()),
            ("/etc/etcd/tls/client.pem", &cert),
            ("/etc/etcd/tls/client-key.pem", &key),
            ("/etc/etcd/tls/ca.pem", &ca),
        ],
    );
    let file = write(dir.path(), "etcd.conf", &text);
    let mut agent =
        AgentProcess::spawn(&["-etcd-config", &file, "-microservice-label", "go1"], &[]);
    agent.wait_ready().await;
    assert_no_unknown_keys(&agent);
    etcd.etcdctl(&[
        "--cacert",
        &ca,
        "--cert",
        &cert,
        "--key",
        &key,
        "put",
        "/vnf-agent/go1/config/example/v1/items/web",
        r#"{"kind":"server"}"#,
    ]);
    agent
        .wait_json("the item put in etcd", ITEMS, |v| {
            v["web"]["kind"] == "server"
        })
        .await;
    agent.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_conf_serves_on_its_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let endpoint = format!("0.0.0.0:{port}");
    let file = write(
        dir.path(),
        "grpc.conf",
        &sample("grpc.conf", &[("0.0.0.0:9111", &endpoint)]),
    );
    let mut agent = AgentProcess::spawn(&["-grpc-config", &file], &[]);
    agent.wait_ready().await;
    assert_no_unknown_keys(&agent);
    tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap_or_else(|err| panic!("no gRPC server on {port}: {err}\n{}", agent.output()));
    agent.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_conf_sets_the_levels_and_starts_its_syslog_hook() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "logs.conf", &sample("logs.conf", &[]));
    let mut agent = AgentProcess::spawn(&["-logs-config", &file], &[]);
    agent.wait_ready().await;
    assert_no_unknown_keys(&agent);
    let list = agent.get_json("/log/list").await;
    let level = |name: &str| {
        list.as_array()
            .and_then(|loggers| loggers.iter().find(|l| l["logger"] == name))
            .map(|l| l["level"].clone())
    };
    assert_eq!(level("agentcore"), Some(json!("debug")), "{list}");
    assert_eq!(level("status-check"), Some(json!("info")), "{list}");
    assert_eq!(level("linux-plugin"), Some(json!("warn")), "{list}");
    assert!(
        agent.output().contains("log hooks started"),
        "{}",
        agent.output()
    );
    agent.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_conf_joins_its_group() {
    if std::env::var_os("CNINFRA_TEST_KAFKA").is_none() {
        eprintln!("SKIPPED: no Kafka broker (services_start kafka exports CNINFRA_TEST_KAFKA)");
        return;
    }
    let broker = harness_server("CNINFRA_TEST_KAFKA");
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "kafka.conf",
        &sample("kafka.conf", &[("127.0.0.1:9092", &broker)]),
    );
    let mut agent = AgentProcess::spawn(&["-kafka-config", &file], &[]);
    agent.wait_ready().await;
    assert_no_unknown_keys(&agent);
    agent
        .wait_json("kafka connected", "/liveness", |v| {
            v["plugins"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p["name"] == "kafka" && p["state"] == 1))
        })
        .await;
    agent.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filesystem_conf_reads_its_paths_and_writes_its_status_file() {
    let dir = tempfile::tempdir().unwrap();
    let config_dir = dir.path().join("config");
    std::fs::create_dir(&config_dir).unwrap();
    let item = |name: &str| {
        json!({"data": [{"key": format!("/vnf-agent/vpp1/config/example/v1/items/{name}"),
                         "value": {"kind": "file"}}]})
        .to_string()
    };
    write(&config_dir, "a.json", &item("from-dir"));
    let extra = write(dir.path(), "extra.json", &item("from-file"));
    let status = dir.path().join("status.json").display().to_string();
    let text = sample(
        "filesystem.conf",
        &[
            ("/etc/agent/config/", &format!("{}/", config_dir.display())),
            ("/etc/agent/extra.yaml", &extra),
            ("/var/lib/agent/status.json", &status),
        ],
    );
    let file = write(dir.path(), "filesystem.conf", &text);
    let mut agent = AgentProcess::spawn(&["-filedb-config", &file], &[]);
    agent.wait_ready().await;
    assert_no_unknown_keys(&agent);
    agent
        .wait_json("items of both paths", ITEMS, |v| {
            v["from-dir"]["kind"] == "file" && v["from-file"]["kind"] == "file"
        })
        .await;
    let status_file = PathBuf::from(&status);
    eventually(
        "statuses in the status file",
        Duration::from_secs(20),
        || {
            let text = std::fs::read_to_string(&status_file).unwrap_or_default();
            async move { text.contains("/vnf-agent/vpp1/check/status/v1/agent") }
        },
    )
    .await;
    agent.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervisor_conf_of_comments_only_and_pm_conf_start_their_plugins() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("template");
    std::fs::create_dir(&templates).unwrap();
    let template = json!({"name": "sleeper", "cmd": "sleep",
                          "p_options": {"args": ["60"], "run_on_startup": true}});
    write(&templates, "sleeper.json", &template.to_string());
    let pm = write(
        dir.path(),
        "pm.conf",
        &sample(
            "pm.conf",
            &[("/tmp/template/", &format!("{}/", templates.display()))],
        ),
    );
    let supervisor = write(
        dir.path(),
        "supervisor.conf",
        &sample("supervisor.conf", &[]),
    );
    let mut agent = AgentProcess::spawn(
        &[
            "-process-manager-config",
            &pm,
            &format!("-supervisor-config={supervisor}"),
        ],
        &[],
    );
    agent.wait_ready().await;
    assert_no_unknown_keys(&agent);
    // An all-comment supervisor.conf is a supervisor with no programs.
    assert_eq!(agent.get_json("/supervisor/programs").await, json!([]));
    // The template folder of pm.conf was read: its run-on-startup process is the agent's child.
    let pid = agent.pid();
    eventually(
        "the template's process runs",
        Duration::from_secs(20),
        || {
            let children = children_of(pid);
            async move { children.iter().any(|c| c == "sleep") }
        },
    )
    .await;
    agent.stop();
}

/// The command names of the children of `pid`.
fn children_of(pid: u32) -> Vec<String> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("children")).ok())
        .flat_map(|children| {
            children
                .split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter_map(|child| std::fs::read_to_string(format!("/proc/{child}/comm")).ok())
        .map(|comm| comm.trim().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_node_client_yaml_connects() {
    let redis = harness_server("CNINFRA_TEST_REDIS");
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "node-client.yaml",
        &sample("node-client.yaml", &[("localhost:6379", &redis)]),
    );
    let mut agent = AgentProcess::spawn(&["-redis-config", &file], &[]);
    agent.wait_ready().await;
    assert_no_unknown_keys(&agent);
    agent
        .wait_json("redis connected", "/liveness", |v| {
            v["plugins"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p["name"] == "redis" && p["state"] == 1))
        })
        .await;
    agent.stop();
}

#[test]
fn redis_cluster_and_sentinel_samples_parse_into_their_topologies() {
    for (name, topology) in [
        ("cluster-client.yaml", Topology::Cluster),
        ("sentinel-client.yaml", Topology::Sentinel),
    ] {
        let parsed = parse_lenient::<RedisConfig>(&sample(name, &[]), Path::new(name)).unwrap();
        assert!(parsed.unknown.is_empty(), "{name}: {:?}", parsed.unknown);
        assert_eq!(parsed.value.topology().unwrap(), topology, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consul_conf_connects_to_its_address() {
    let consul = cninfra_kv_consul::testserver::ConsulTestServer::start()
        .await
        .unwrap();
    let address = consul.address().to_string();
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "consul.conf",
        &sample("consul.conf", &[("0.0.0.0:8500", &address)]),
    );
    let mut agent = AgentProcess::spawn(&["-consul-config", &file], &[]);
    agent.wait_ready().await;
    assert_no_unknown_keys(&agent);
    agent
        .wait_json("consul connected", "/liveness", |v| {
            v["plugins"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p["name"] == "consul" && p["state"] == 1))
        })
        .await;
    agent.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_misspelt_key_is_a_warning_and_strict_config_refuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "grpc.conf",
        "endpoint: 127.0.0.1:0\nnetwrk: tcp\n",
    );
    let mut agent = AgentProcess::spawn(&["-grpc-config", &file], &[]);
    agent.wait_ready().await;
    let log = agent.output();
    assert!(
        log.contains(&format!(
            "{file}:2: unknown key `netwrk` (did you mean `network`?)"
        )),
        "{log}"
    );
    agent.stop();

    let mut strict = AgentProcess::spawn(&["-grpc-config", &file, "-strict-config"], &[]);
    let status = strict.wait_exit();
    assert!(!status.success());
    assert!(
        strict.output().contains("unknown key `netwrk`"),
        "{}",
        strict.output()
    );
    let mut strict = AgentProcess::spawn(&["-grpc-config", &file], &[("STRICT_CONFIG", "true")]);
    assert!(!strict.wait_exit().success());
}

#[test]
fn help_lists_every_plugins_config_flag_go_style_too() {
    let output = Command::new(AGENT).arg("-h").env_clear().output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout.clone()).unwrap();
    for flag in [
        "--http-config",
        "--http-port",
        "--etcd-config",
        "--grpc-config",
        "--logs-config",
        "--kafka-config",
        "--filedb-config",
        "--redis-config",
        "--consul-config",
        "--process-manager-config",
        "--supervisor-config",
        "--status-check-config",
        "--strict-config",
        "hash-password",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
    let go = Command::new(AGENT)
        .arg("-help")
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(go.stdout, output.stdout);
}
