//! The Linux descriptors on the running kernel, each test in network namespaces it makes
//! (never the host's interfaces). Without root they are skipped with a printed reason; with
//! `CNINFRA_REQUIRE_KERNEL_TESTS=1` (CI) a skip fails.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use cninfra_kvscheduler::{ResyncKind, Scheduler, SchedulerConfig, Value, ValueState};
use cninfra_linux::{Linux, LinuxConfig, models};
use cninfra_netlink::testing::{SCRATCH_PREFIX, ScratchNamespace, kernel_tests_allowed};
use cninfra_netlink::{Errno, KernelNetlink, Namespace, Netlink, NewLink, RouteFilter};
use cninfra_testsupport::wait_until;
use serde_json::{Value as Json, json};

const PREFIX: &str = "/vnf-agent/kernel-test/";

fn client() -> Arc<KernelNetlink> {
    Arc::new(KernelNetlink::new().expect("a netlink socket"))
}

/// A scheduler with the Linux descriptors over the kernel.
fn agent(kernel: &Arc<KernelNetlink>, state_dir: &std::path::Path) -> (Scheduler, Linux) {
    let scheduler = Scheduler::new(SchedulerConfig {
        print_txn_summary: false,
        ..SchedulerConfig::default()
    })
    .unwrap();
    let config = LinuxConfig {
        state_dir: state_dir.to_owned(),
        watch_poll: Duration::from_millis(100),
        ..LinuxConfig::default()
    };
    let kernel: Arc<dyn Netlink> = kernel.clone();
    let linux = Linux::register(&scheduler, kernel, &config, PREFIX).unwrap();
    (scheduler, linux)
}

fn state_dir(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "cninfra-linux-kernel-{}-{test}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `ip <args>`, which must succeed; its output.
fn ip(args: &[&str]) -> String {
    let out = Command::new("ip")
        .args(args)
        .output()
        .expect("ip (iproute2) installed");
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The type of a link standing alone: DUMMY, or BRIDGE on kernels without the dummy
/// driver (a bridge without ports behaves alike for addresses and routes).
fn standalone_type(kernel: &KernelNetlink, ns: &Namespace) -> &'static str {
    match kernel.add_link(ns, &NewLink::dummy("probe0")) {
        Ok(link) => {
            kernel.delete_link(ns, link.index).unwrap();
            "DUMMY"
        }
        Err(err) if err.errno() == Some(Errno::EOPNOTSUPP) => "BRIDGE",
        Err(err) => panic!("probing for dummy links: {err}"),
    }
}

fn nsid(name: &str) -> Json {
    json!({"type": "NSID", "reference": name})
}

fn veth(name: &str, peer: &str, ns: &str, address: &str, mac: &str) -> Value {
    Value::from_json(json!({"name": name, "type": "VETH", "enabled": true,
        "ip_addresses": [address], "phys_address": mac, "namespace": nsid(ns),
        "veth": {"peer_if_name": peer}}))
}

fn state(scheduler: &Scheduler, key: &str) -> ValueState {
    scheduler.status(key).value.state
}

/// A namespace the agent creates (deleted at the end of the test whatever happens).
struct AgentNamespace(String);

impl AgentNamespace {
    fn new(tag: &str) -> Self {
        Self(format!(
            "{SCRATCH_PREFIX}{}-agent-{tag}",
            std::process::id()
        ))
    }
}

impl Drop for AgentNamespace {
    fn drop(&mut self) {
        if std::path::Path::new("/run/netns").join(&self.0).exists() {
            let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
        }
    }
}

/// The pair of the walkthrough: two namespaces made by the agent, a VETH pair across them,
/// the loopback of the second with the address the route reaches, the route, an ARP entry.
fn walkthrough(a: &str, b: &str) -> Vec<(String, Value)> {
    vec![
        (models::netns_key(a), Value::from_json(json!({"name": a}))),
        (models::netns_key(b), Value::from_json(json!({"name": b}))),
        (
            models::interface_key("veth-a"),
            veth("veth-a", "veth-b", a, "10.1.0.1/24", "02:00:00:00:0a:01"),
        ),
        (
            models::interface_key("veth-b"),
            veth("veth-b", "veth-a", b, "10.1.0.2/24", "02:00:00:00:0b:01"),
        ),
        (
            models::interface_key("lo-b"),
            Value::from_json(json!({"name": "lo-b", "type": "LOOPBACK", "enabled": true,
                "ip_addresses": ["10.2.0.1/32"], "namespace": nsid(b)})),
        ),
        (
            models::route_key("10.2.0.0/24", "veth-a"),
            Value::from_json(
                json!({"outgoing_interface": "veth-a", "dst_network": "10.2.0.0/24", "gw_addr": "10.1.0.2"}),
            ),
        ),
        (
            models::arp_key("veth-a", "10.1.0.2"),
            Value::from_json(
                json!({"interface": "veth-a", "ip_address": "10.1.0.2", "hw_address": "02:00:00:00:0b:01"}),
            ),
        ),
    ]
}

async fn resync(scheduler: &Scheduler, values: &[(String, Value)]) {
    let mut txn = scheduler.txn().with_resync(ResyncKind::Full);
    for (key, value) in values {
        txn = txn.put(key.clone(), value.clone());
    }
    txn.commit().await.unwrap();
}

#[tokio::test]
async fn a_veth_pair_across_namespaces_carries_a_ping() {
    if !kernel_tests_allowed("a_veth_pair_across_namespaces_carries_a_ping") {
        return;
    }
    let (a, b) = (AgentNamespace::new("ping-a"), AgentNamespace::new("ping-b"));
    let kernel = client();
    let (scheduler, _linux) = agent(&kernel, &state_dir("ping"));
    let values = walkthrough(&a.0, &b.0);
    resync(&scheduler, &values).await;
    for (key, _) in &values {
        assert_eq!(
            state(&scheduler, key),
            ValueState::Configured,
            "{key}: {:?}",
            scheduler.status(key)
        );
    }
    let neighbours = ip(&["-n", &a.0, "neigh", "show", "10.1.0.2"]);
    assert!(neighbours.contains("PERMANENT"), "{neighbours}");
    let routes = ip(&["-n", &a.0, "route", "show", "10.2.0.0/24"]);
    assert!(
        routes.contains("via 10.1.0.2 dev veth-a proto 201"),
        "{routes}"
    );
    let ping = Command::new("ip")
        .args([
            "netns", "exec", &a.0, "ping", "-c", "1", "-W", "5", "10.2.0.1",
        ])
        .output()
        .expect("ping (iputils-ping) installed");
    assert!(
        ping.status.success(),
        "ping: {}",
        String::from_utf8_lossy(&ping.stdout)
    );
    // Deleting everything removes the namespaces the agent made.
    scheduler
        .txn()
        .with_resync(ResyncKind::Full)
        .commit()
        .await
        .unwrap();
    let names = kernel.namespaces().unwrap();
    assert!(!names.contains(&a.0) && !names.contains(&b.0), "{names:?}");
}

#[tokio::test]
async fn a_route_put_first_stays_pending() {
    if !kernel_tests_allowed("a_route_put_first_stays_pending") {
        return;
    }
    let kernel = client();
    let scratch = ScratchNamespace::new(kernel.as_ref(), "route-first");
    let kind = standalone_type(&kernel, &scratch.namespace());
    let (scheduler, _linux) = agent(&kernel, &state_dir("route-first"));
    let route = models::route_key("10.2.0.0/24", "link0");
    let route_value = Value::from_json(
        json!({"outgoing_interface": "link0", "dst_network": "10.2.0.0/24", "gw_addr": "10.1.0.2"}),
    );
    resync(&scheduler, &[(route.clone(), route_value.clone())]).await;
    assert_eq!(state(&scheduler, &route), ValueState::Pending);
    let iface = Value::from_json(json!({"name": "link0", "type": kind, "enabled": true,
        "ip_addresses": ["10.1.0.1/24"], "namespace": nsid(scratch.name())}));
    scheduler
        .txn()
        .put(models::interface_key("link0"), iface)
        .commit()
        .await
        .unwrap();
    assert_eq!(
        state(&scheduler, &route),
        ValueState::Configured,
        "{:?}",
        scheduler.status(&route)
    );
    let routes = ip(&["-n", scratch.name(), "route", "show", "10.2.0.0/24"]);
    assert!(routes.contains("via 10.1.0.2 dev link0"), "{routes}");
}

#[tokio::test]
async fn deleting_one_veth_end_cascades() {
    if !kernel_tests_allowed("deleting_one_veth_end_cascades") {
        return;
    }
    let (a, b) = (
        AgentNamespace::new("cascade-a"),
        AgentNamespace::new("cascade-b"),
    );
    let kernel = client();
    let (scheduler, _linux) = agent(&kernel, &state_dir("cascade"));
    resync(&scheduler, &walkthrough(&a.0, &b.0)).await;
    scheduler
        .txn()
        .delete(models::interface_key("veth-b"))
        .commit()
        .await
        .unwrap();
    assert_eq!(
        state(&scheduler, &models::interface_key("veth-a")),
        ValueState::Pending
    );
    assert_eq!(
        state(&scheduler, &models::route_key("10.2.0.0/24", "veth-a")),
        ValueState::Pending
    );
    assert!(!ip(&["-n", &a.0, "link", "show"]).contains("veth-a"));
    assert!(!ip(&["-n", &b.0, "link", "show"]).contains("veth-b"));
    // The loopback of b is still configured.
    assert!(ip(&["-n", &b.0, "addr", "show", "dev", "lo"]).contains("10.2.0.1/32"));
    scheduler
        .txn()
        .with_resync(ResyncKind::Full)
        .commit()
        .await
        .unwrap();
}

#[tokio::test]
async fn existing_link_only_waits_and_leaves_the_link_alone() {
    if !kernel_tests_allowed("existing_link_only_waits_and_leaves_the_link_alone") {
        return;
    }
    let kernel = client();
    let scratch = ScratchNamespace::new(kernel.as_ref(), "existing");
    let ns = scratch.name();
    let (scheduler, linux) = agent(&kernel, &state_dir("existing"));
    linux.start_watcher();
    let key = models::interface_key("ext");
    let value = Value::from_json(json!({"name": "ext", "type": "EXISTING", "enabled": true,
        "host_if_name": "ext0", "link_only": true, "ip_addresses": ["10.5.0.1/24"],
        "namespace": nsid(ns)}));
    resync(&scheduler, &[(key.clone(), value)]).await;
    assert_eq!(state(&scheduler, &key), ValueState::Pending);
    ip(&[
        "-n", ns, "link", "add", "ext0", "type", "veth", "peer", "name", "ext1",
    ]);
    ip(&["-n", ns, "link", "set", "ext0", "up"]);
    wait_until(
        "EXISTING configured once the link is up",
        Duration::from_secs(10),
        || state(&scheduler, &key) == ValueState::Configured,
    )
    .await;
    let address_state = || {
        scheduler
            .status(&key)
            .derived_values
            .into_iter()
            .find(|d| d.key.ends_with("/address/existing/10.5.0.1/24"))
            .map(|d| d.state)
    };
    assert_eq!(address_state(), Some(ValueState::Pending));
    ip(&["-n", ns, "addr", "add", "10.5.0.1/24", "dev", "ext0"]);
    wait_until(
        "the address someone else added is seen",
        Duration::from_secs(10),
        || address_state() == Some(ValueState::Configured),
    )
    .await;
    scheduler.txn().delete(key).commit().await.unwrap();
    let link = ip(&["-n", ns, "addr", "show", "dev", "ext0"]);
    assert!(
        link.contains("10.5.0.1/24") && link.contains("UP"),
        "{link}"
    );
    linux.stop_watcher();
}

#[tokio::test]
async fn a_restart_repairs_drift_and_leaves_foreign_routes_alone() {
    if !kernel_tests_allowed("a_restart_repairs_drift_and_leaves_foreign_routes_alone") {
        return;
    }
    let (a, b) = (
        AgentNamespace::new("drift-a"),
        AgentNamespace::new("drift-b"),
    );
    let kernel = client();
    let values = walkthrough(&a.0, &b.0);
    let dir = state_dir("drift");
    {
        let (scheduler, _linux) = agent(&kernel, &dir);
        resync(&scheduler, &values).await;
        scheduler.stop(Duration::from_secs(5)).await;
    }
    // While the agent is away: an address and the agent's route go, a foreign route comes.
    ip(&["-n", &b.0, "addr", "del", "10.1.0.2/24", "dev", "veth-b"]);
    ip(&["-n", &a.0, "route", "del", "10.2.0.0/24"]);
    ip(&[
        "-n",
        &a.0,
        "route",
        "add",
        "10.9.0.0/24",
        "via",
        "10.1.0.2",
        "dev",
        "veth-a",
    ]);
    let (scheduler, _linux) = agent(&kernel, &dir);
    resync(&scheduler, &values).await;
    assert!(ip(&["-n", &b.0, "addr", "show", "dev", "veth-b"]).contains("10.1.0.2/24"));
    let routes = ip(&["-n", &a.0, "route", "show"]);
    assert!(
        routes.contains("10.2.0.0/24 via 10.1.0.2 dev veth-a proto 201"),
        "{routes}"
    );
    assert!(
        routes.contains("10.9.0.0/24 via 10.1.0.2 dev veth-a"),
        "{routes}"
    );
    // Letting go of the agent's route leaves the foreign one.
    let without_route: Vec<_> = values
        .iter()
        .filter(|(key, _)| !key.starts_with("config/linux/l3/v2/route/"))
        .cloned()
        .collect();
    resync(&scheduler, &without_route).await;
    let routes = kernel
        .routes(&Namespace::Named(a.0.clone()), &RouteFilter::main())
        .unwrap();
    assert!(
        routes.iter().any(|r| r.dst.to_string() == "10.9.0.0/24"),
        "{routes:?}"
    );
    assert!(
        !routes.iter().any(|r| r.dst.to_string() == "10.2.0.0/24"),
        "{routes:?}"
    );
    scheduler
        .txn()
        .with_resync(ResyncKind::Full)
        .commit()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_namespace_deleted_under_the_agent_makes_its_values_pending() {
    if !kernel_tests_allowed("a_namespace_deleted_under_the_agent_makes_its_values_pending") {
        return;
    }
    let kernel = client();
    let scratch = ScratchNamespace::new(kernel.as_ref(), "gone");
    let kind = standalone_type(&kernel, &scratch.namespace());
    let name = format!("{}-fd", scratch.name());
    let path = format!("/run/netns/{name}");
    ip(&["netns", "add", &name]);
    let _cleanup = AgentNamespace(name.clone());
    let (scheduler, linux) = agent(&kernel, &state_dir("gone"));
    linux.start_watcher();
    let key = models::interface_key("pod0");
    let value = Value::from_json(json!({"name": "pod0", "type": kind, "enabled": true,
        "ip_addresses": ["10.6.0.1/24"], "namespace": {"type": "FD", "reference": path}}));
    resync(&scheduler, &[(key.clone(), value)]).await;
    wait_until(
        "configured in the FD namespace",
        Duration::from_secs(10),
        || state(&scheduler, &key) == ValueState::Configured,
    )
    .await;
    // The pod goes away.
    ip(&["netns", "del", &name]);
    wait_until(
        "PENDING once the namespace is gone",
        Duration::from_secs(10),
        || state(&scheduler, &key) == ValueState::Pending,
    )
    .await;
    assert_eq!(
        scheduler.status(&key).value.details,
        ["namespace-available"]
    );
    // A new pod at the same path: the value comes back.
    ip(&["netns", "add", &name]);
    wait_until(
        "configured again in the new namespace",
        Duration::from_secs(10),
        || state(&scheduler, &key) == ValueState::Configured,
    )
    .await;
    assert!(ip(&["-n", &name, "addr", "show"]).contains("10.6.0.1/24"));
    linux.stop_watcher();
}
