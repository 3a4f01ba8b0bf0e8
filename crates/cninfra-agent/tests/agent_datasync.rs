//! The agent end to end with its stores: items written to the store under the agent prefix
//! reach the example plugin's REST view, statuses land in the store, a store restart
//! flips the status and resyncs, a value the plugin cannot take shows in the status.

mod support;

use std::process::Command;
use std::time::Duration;

use cninfra::etcd::etcd_client::Client;
use serde_json::{Value, json};
use support::{AgentProcess, EtcdServer, RedisServer, harness_server};

const ITEMS: &str = "/example/v1/items";

/// A label no other test run uses, so tests can share the harness's servers.
fn unique_label(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{test}-{}-{nanos}", std::process::id())
}

/// Waits until the plugin's state in the agent status is `state` (1 OK, 2 ERROR).
async fn wait_plugin_state(agent: &AgentProcess, plugin: &str, state: u8) {
    agent
        .wait_json(&format!("{plugin} in state {state}"), "/liveness", |v| {
            v["plugins"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p["name"] == plugin && p["state"] == state))
        })
        .await;
}

/// How many resyncs the example plugin logged so far.
fn resyncs(agent: &AgentProcess) -> usize {
    agent.output().matches("items resynced").count()
}

/// Waits until the example plugin logged more resyncs than `before`.
async fn wait_resync_after(agent: &AgentProcess, before: usize) {
    support::eventually(
        "a resync after the reconnect",
        Duration::from_secs(30),
        || {
            let now = resyncs(agent);
            async move { now > before }
        },
    )
    .await;
}

fn item_key(label: &str, name: &str) -> String {
    format!("/vnf-agent/{label}/config/example/v1/items/{name}")
}

/// Writes `text` as a config file of `plugin` in `dir` and returns the flag pair for it.
fn config_file(dir: &std::path::Path, plugin: &str, text: &str) -> (String, String) {
    let path = dir.join(format!("{plugin}.conf"));
    std::fs::write(&path, text).unwrap();
    (format!("--{plugin}-config"), path.display().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_connector_the_embedded_file_db_feeds_the_view_and_holds_the_statuses() {
    let mut agent = AgentProcess::spawn(&[], &[("MICROSERVICE_LABEL", "bare")]);
    agent.wait_ready().await;
    // The first start writes a sample item.
    agent
        .wait_json("the sample item", ITEMS, |v| {
            v["hello"]["kind"] == "greeting"
        })
        .await;

    // A new file adds items; the secondary index answers `?kind=`.
    let file = agent.data_dir().join("config").join("more.json");
    let data = json!({"data": [
        {"key": item_key("bare", "web"), "value": {"kind": "server", "description": "front"}},
        {"key": item_key("bare", "db"), "value": {"kind": "server"}},
    ]});
    std::fs::write(&file, data.to_string()).unwrap();
    agent
        .wait_json("items from the new file", ITEMS, |v| {
            v["web"]["description"] == "front" && v["db"]["kind"] == "server"
        })
        .await;
    let servers = agent.get_json(&format!("{ITEMS}?kind=server")).await;
    assert_eq!(
        servers.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["db", "web"],
        "{servers}"
    );
    assert_eq!(
        agent.get_json(&format!("{ITEMS}/web")).await["kind"],
        "server"
    );

    // Removing the file deletes its items.
    std::fs::remove_file(&file).unwrap();
    agent
        .wait_json("items of the removed file gone", ITEMS, |v| {
            v.get("web").is_none() && v.get("hello").is_some()
        })
        .await;

    // The statuses are in the store's status file, state 1 (OK).
    let status_file = agent.data_dir().join("status.yaml");
    let text = std::fs::read_to_string(&status_file).unwrap();
    assert!(
        text.contains("/vnf-agent/bare/check/status/v1/agent")
            && text.contains("/vnf-agent/bare/check/status/v1/plugin/example"),
        "{text}"
    );
    assert!(text.contains(r#""state":1"#), "{text}");
    agent.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_the_plugin_cannot_take_shows_in_its_status_and_log_with_the_key() {
    let mut agent = AgentProcess::spawn(&[], &[("MICROSERVICE_LABEL", "picky")]);
    agent.wait_ready().await;
    let file = agent.data_dir().join("config").join("bad.yaml");
    let key = item_key("picky", "odd");
    std::fs::write(
        &file,
        format!("data:\n  - key: {key}\n    value: {{kind: x, colour: red}}\n"),
    )
    .unwrap();
    let relative = "config/example/v1/items/odd";
    agent
        .wait_json("the example plugin in ERROR", "/liveness", |v| {
            v["plugins"].as_array().is_some_and(|plugins| {
                plugins.iter().any(|p| {
                    p["name"] == "example"
                        && p["state"] == 2
                        && p["error"].as_str().is_some_and(|e| e.contains(relative))
                })
            })
        })
        .await;
    let log = agent.output();
    assert!(
        log.lines()
            .any(|l| l.contains(relative) && l.contains("example") && l.contains("colour")),
        "{log}"
    );
    assert_eq!(
        agent.get_json(&format!("{ITEMS}/odd")).await,
        json!({"error": "no item `odd`"})
    );

    // Fixed: the item arrives and the plugin is OK again.
    std::fs::write(
        &file,
        format!("data:\n  - key: {key}\n    value: {{kind: x}}\n"),
    )
    .unwrap();
    agent
        .wait_json("the fixed item", ITEMS, |v| v["odd"]["kind"] == "x")
        .await;
    agent
        .wait_json("the example plugin OK again", "/liveness", |v| {
            v["plugins"].as_array().is_some_and(|plugins| {
                plugins
                    .iter()
                    .any(|p| p["name"] == "example" && p["state"] == 1)
            })
        })
        .await;
    agent.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_etcd_a_put_reaches_the_view_and_the_statuses_land_in_etcd() {
    let endpoint = harness_server("CNINFRA_TEST_ETCD");
    let label = unique_label("etcd");
    let dir = tempfile::tempdir().unwrap();
    let (flag, path) = config_file(dir.path(), "etcd", &format!("endpoints: [{endpoint}]\n"));
    let mut agent = AgentProcess::spawn(&[&flag, &path], &[("MICROSERVICE_LABEL", &label)]);
    agent.wait_ready().await;

    let mut etcd = Client::connect([endpoint.as_str()], None).await.unwrap();
    etcd.put(item_key(&label, "a"), r#"{"kind":"k1"}"#, None)
        .await
        .unwrap();
    agent
        .wait_json("the put item", ITEMS, |v| v["a"]["kind"] == "k1")
        .await;
    etcd.delete(item_key(&label, "a"), None).await.unwrap();
    agent
        .wait_json("the deleted item gone", ITEMS, |v| {
            v.as_object().is_some_and(|m| m.is_empty())
        })
        .await;

    let status_of = |key: String| {
        let mut etcd = etcd.clone();
        async move {
            let resp = etcd.get(key, None).await.unwrap();
            resp.kvs()
                .first()
                .map(|kv| serde_json::from_slice::<Value>(kv.value()).unwrap())
                .unwrap_or_default()
        }
    };
    let prefix = format!("/vnf-agent/{label}/check/status/v1/");
    support::eventually("statuses in etcd", Duration::from_secs(30), || {
        let agent_key = format!("{prefix}agent");
        let plugin_key = format!("{prefix}plugin/example");
        let status_of = &status_of;
        async move {
            status_of(agent_key).await["state"] == 1 && status_of(plugin_key).await["state"] == 1
        }
    })
    .await;
    agent.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_etcd_restart_flips_the_status_and_a_resync_delivers_the_full_state_again() {
    let mut server = EtcdServer::start().await;
    let label = unique_label("restart");
    let dir = tempfile::tempdir().unwrap();
    let (flag, path) = config_file(
        dir.path(),
        "etcd",
        &format!(
            "endpoints: [{}]\ndial-timeout: 1s\noperation-timeout: 1s\nreconnect-interval: 100ms\n",
            server.endpoint()
        ),
    );
    let mut agent = AgentProcess::spawn(&[&flag, &path], &[("MICROSERVICE_LABEL", &label)]);
    agent.wait_ready().await;
    let mut etcd = Client::connect([server.endpoint()], None).await.unwrap();
    etcd.put(item_key(&label, "kept"), r#"{"kind":"k"}"#, None)
        .await
        .unwrap();
    agent
        .wait_json("the item", ITEMS, |v| v["kept"]["kind"] == "k")
        .await;
    let resyncs_before = resyncs(&agent);

    server.kill();
    wait_plugin_state(&agent, "etcd", 2).await;
    server.run().await;
    wait_plugin_state(&agent, "etcd", 1).await;
    wait_resync_after(&agent, resyncs_before).await;
    assert_eq!(agent.get_json(&format!("{ITEMS}/kept")).await["kind"], "k");

    // Changes flow again after the reconnect.
    let mut etcd = Client::connect([server.endpoint()], None).await.unwrap();
    etcd.put(item_key(&label, "later"), r#"{"kind":"k"}"#, None)
        .await
        .unwrap();
    agent
        .wait_json("an item put after the restart", ITEMS, |v| {
            v["later"]["kind"] == "k"
        })
        .await;
    agent.stop();
}

/// Runs `redis-cli` against the harness's Redis.
fn redis_cli(endpoint: &str, args: &[&str]) -> String {
    let (host, port) = endpoint.rsplit_once(':').unwrap();
    let out = Command::new("redis-cli")
        .args(["-h", host, "-p", port])
        .args(args)
        .output()
        .expect("run redis-cli (Debian package redis-tools)");
    assert!(out.status.success(), "redis-cli {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_a_set_reaches_the_view_and_the_statuses_land_in_redis() {
    let endpoint = harness_server("CNINFRA_TEST_REDIS");
    let label = unique_label("redis");
    let dir = tempfile::tempdir().unwrap();
    let (flag, path) = config_file(dir.path(), "redis", &format!("endpoint: {endpoint}\n"));
    let mut agent = AgentProcess::spawn(&[&flag, &path], &[("MICROSERVICE_LABEL", &label)]);
    agent.wait_ready().await;

    redis_cli(
        &endpoint,
        &["SET", &item_key(&label, "r"), r#"{"kind":"cache"}"#],
    );
    agent
        .wait_json("the item set in Redis", ITEMS, |v| {
            v["r"]["kind"] == "cache"
        })
        .await;
    redis_cli(&endpoint, &["DEL", &item_key(&label, "r")]);
    agent
        .wait_json("the deleted item gone", ITEMS, |v| {
            v.get("r").is_none() && v.is_object()
        })
        .await;

    let agent_key = format!("/vnf-agent/{label}/check/status/v1/agent");
    support::eventually("the agent status in Redis", Duration::from_secs(30), || {
        let text = redis_cli(&endpoint, &["GET", &agent_key]);
        async move { serde_json::from_str::<Value>(&text).is_ok_and(|status| status["state"] == 1) }
    })
    .await;
    agent.stop();
}

/// The scheduler's state of one key (`/scheduler/status?key=`), e.g. `PENDING`.
async fn scheduler_state(agent: &AgentProcess, key: &str) -> Value {
    agent
        .get_json(&format!("/scheduler/status?key={key}"))
        .await[0]["value"]["state"]
        .clone()
}

/// Runs the real `etcdctl` (installed with etcd by `scripts/test.sh`) against the
/// harness's etcd, as a user of the README (or of upstream's seed) does.
fn etcdctl(endpoint: &str, args: &[&str]) -> String {
    let out = Command::new("etcdctl")
        .env("ETCDCTL_API", "3")
        .arg(format!("--endpoints={endpoint}"))
        .args(args)
        .output()
        .expect("run etcdctl (installed with etcd: scripts/services.sh)");
    assert!(out.status.success(), "etcdctl {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Waits until the scheduler has `key` in state `want`.
async fn wait_scheduler_state(agent: &AgentProcess, key: &str, want: &str) {
    support::eventually(
        &format!("{key} in state {want}"),
        Duration::from_secs(30),
        || async move { scheduler_state(agent, key).await == want },
    )
    .await;
}

/// An agent over the harness's etcd, with a label of its own.
async fn agent_over_etcd(test: &str) -> (AgentProcess, String, String) {
    let endpoint = harness_server("CNINFRA_TEST_ETCD");
    let label = unique_label(test);
    let dir = tempfile::tempdir().unwrap();
    let (flag, path) = config_file(dir.path(), "etcd", &format!("endpoints: [{endpoint}]\n"));
    let mut agent = AgentProcess::spawn(&[&flag, &path], &[("MICROSERVICE_LABEL", &label)]);
    agent.wait_ready().await;
    (agent, endpoint, label)
}

/// The README's walkthrough (the seed's "configuration order" with the seed's keys and
/// upstream's values), with the real `etcdctl`: the FIB entry waits for its bridge domain
/// and interface, is created when they arrive, and waits again when the bridge domain
/// goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_walkthrough_with_etcdctl_fib_waits_for_its_bridge_domain_and_interface() {
    let (agent, endpoint, label) = agent_over_etcd("seed").await;
    let full = |key: &str| format!("/vnf-agent/{label}/{key}");
    let fib = "config/vpp/l2/v2/fib/bd1/mac/62:89:c6:a3:7e:3a";
    let bd = "config/vpp/l2/v2/bridge-domain/bd1";
    let tap1 = "config/vpp/v2/interfaces/tap1";

    // The FIB entry first: it waits for its bridge domain and interface.
    etcdctl(
        &endpoint,
        &[
            "put",
            &full(fib),
            r#"{"phys_address":"62:89:c6:a3:7e:3a","bridge_domain":"bd1","outgoing_interface":"tap1","action":"FORWARD"}"#,
        ],
    );
    wait_scheduler_state(&agent, fib, "PENDING").await;
    let status = agent
        .get_json(&format!("/scheduler/status?key={fib}"))
        .await;
    assert_eq!(
        status[0]["value"]["details"],
        json!(["bridge-domain", "bridged-interface"]),
        "{status}"
    );
    etcdctl(
        &endpoint,
        &[
            "put",
            &full(bd),
            r#"{"name":"bd1","interfaces":[{"name":"tap1"}]}"#,
        ],
    );
    etcdctl(
        &endpoint,
        &[
            "put",
            &full(tap1),
            r#"{"name":"tap1","type":"TAP","enabled":true}"#,
        ],
    );
    wait_scheduler_state(&agent, fib, "CONFIGURED").await;
    wait_scheduler_state(&agent, bd, "CONFIGURED").await;
    wait_scheduler_state(&agent, tap1, "CONFIGURED").await;

    // The simulated VPP has them, shown as proto3 JSON.
    let dump = agent
        .get_json("/scheduler/dump?key-prefix=config/vpp/&view=SB")
        .await;
    let values: Vec<Value> = dump
        .as_array()
        .unwrap()
        .iter()
        .map(|kv| json!({"key": kv["key"], "value": kv["value"]}))
        .collect();
    assert_eq!(
        values,
        [
            json!({"key": bd, "value": {"name": "bd1", "interfaces": [{"name": "tap1"}]}}),
            json!({"key": fib, "value": {"physAddress": "62:89:c6:a3:7e:3a", "bridgeDomain": "bd1",
                "outgoingInterface": "tap1"}}),
            json!({"key": tap1, "value": {"name": "tap1", "type": "TAP", "enabled": true}}),
        ],
        "{dump}"
    );

    // The bridge domain goes: the FIB entry is deleted from the dataplane and pending again.
    etcdctl(&endpoint, &["del", &full(bd)]);
    wait_scheduler_state(&agent, fib, "PENDING").await;
    let history = agent.get_json("/scheduler/txn-history").await;
    assert!(
        history
            .to_string()
            .contains("fib/bd1/mac/62:89:c6:a3:7e:3a"),
        "{history}"
    );
    agent.stop();
}

/// Values written by `etcdctl` in upstream's form (enums by name, original and lowerCamel
/// field names, repeated fields) reach the typed descriptors: CONFIGURED, and dumped as
/// proto3 JSON; a value that does not decode is INVALID, named with its key, message and
/// field, and the agent's status says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_put_by_etcdctl_in_upstreams_form_reach_the_typed_descriptors() {
    let (agent, endpoint, label) = agent_over_etcd("etcdctl").await;
    let full = |key: &str| format!("/vnf-agent/{label}/{key}");
    let loop0 = "config/vpp/v2/interfaces/loop0";
    etcdctl(
        &endpoint,
        &[
            "put",
            &full(loop0),
            r#"{"name":"loop0","type":"SOFTWARE_LOOPBACK","enabled":true,"phys_address":"de:ad:00:00:00:01","ipAddresses":["10.0.0.1/24"],"mtu":9000}"#,
        ],
    );
    wait_scheduler_state(&agent, loop0, "CONFIGURED").await;
    let dump = agent
        .get_json("/scheduler/dump?descriptor=example-interface&view=SB")
        .await;
    assert_eq!(
        dump[0]["value"],
        json!({"name": "loop0", "type": "SOFTWARE_LOOPBACK", "enabled": true,
            "physAddress": "de:ad:00:00:00:01", "ipAddresses": ["10.0.0.1/24"], "mtu": 9000}),
        "{dump}"
    );

    let fib = "config/vpp/l2/v2/fib/bd9/mac/62:89:c6:a3:7e:3a";
    etcdctl(
        &endpoint,
        &[
            "put",
            &full(fib),
            r#"{"phys_address":"62:89:c6:a3:7e:3a","bridge_domain":"bd9","action":"FORWARDX"}"#,
        ],
    );
    wait_scheduler_state(&agent, fib, "INVALID").await;
    let status = agent
        .get_json(&format!("/scheduler/status?key={fib}"))
        .await;
    assert_eq!(status[0]["value"]["details"], json!(["action"]), "{status}");
    let error = status[0]["value"]["error"].as_str().unwrap_or_default();
    for part in [fib, "`ligato.vpp.l2.FIBEntry`", "field `action`"] {
        assert!(error.contains(part), "{part}: {error}");
    }
    wait_plugin_state(&agent, "orchestrator", 2).await;
    assert_eq!(scheduler_state(&agent, loop0).await, "CONFIGURED");
    agent.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_flips_the_status_and_a_resync_delivers_the_full_state_again() {
    let mut server = RedisServer::start(&["--notify-keyspace-events", "KA"]);
    let label = unique_label("redis-restart");
    let dir = tempfile::tempdir().unwrap();
    let (flag, path) = config_file(
        dir.path(),
        "redis",
        &format!(
            "endpoint: {}\ndial-timeout: 1s\nread-timeout: 1s\nwrite-timeout: 1s\n",
            server.endpoint()
        ),
    );
    let mut agent = AgentProcess::spawn(&[&flag, &path], &[("MICROSERVICE_LABEL", &label)]);
    agent.wait_ready().await;
    redis_cli(
        &server.endpoint(),
        &["SET", &item_key(&label, "kept"), r#"{"kind":"k"}"#],
    );
    agent
        .wait_json("the item", ITEMS, |v| v["kept"]["kind"] == "k")
        .await;
    let resyncs_before = resyncs(&agent);

    server.kill();
    wait_plugin_state(&agent, "redis", 2).await;
    server.restart();
    wait_plugin_state(&agent, "redis", 1).await;
    wait_resync_after(&agent, resyncs_before).await;
    redis_cli(
        &server.endpoint(),
        &["SET", &item_key(&label, "later"), r#"{"kind":"k"}"#],
    );
    agent
        .wait_json("an item set after the restart", ITEMS, |v| {
            v["later"]["kind"] == "k" && v["kept"]["kind"] == "k"
        })
        .await;
    agent.stop();
}
