//! Crash consistency of the Linux agent (issue 18, section 4), on the running kernel in a
//! scratch namespace: `kill -9` in the middle of a resync of 10 000 keys (50 VETH pairs:
//! 100 links, each with an address; 8 000 routes; 1 900 ARP entries), restart; the
//! scheduler's view and the kernel state in the namespace end equal to the desired state,
//! with no object twice. Without root it is skipped with a printed reason (a failure under
//! `CNINFRA_REQUIRE_KERNEL_TESTS=1`).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cninfra_linux::models;

use cninfra_netlink::testing::{ScratchNamespace, kernel_tests_allowed};
use cninfra_netlink::{
    KernelNetlink, Namespace, NeighbourState, Netlink, RouteFilter, RouteProtocol, run_in_namespace,
};
use cninfra_testsupport::{eventually, free_port};
use serde_json::{Value, json};

const AGENT: &str = env!("CARGO_BIN_EXE_cninfra-linux-agent");
const LABEL: &str = "crash";
const LINKS: usize = 100;
const ROUTES: usize = 8_000;
const ARPS: usize = 1_900;

/// The address of link `i`: `10.<i/250>.<i%250>.1/24`.
fn address(i: usize) -> String {
    format!("10.{}.{}.1/24", i / 250, i % 250)
}

/// Route `j`: `100.<j/256>.<j%256>.0/24` over link `j % LINKS`, via `.2` of its network.
fn route(j: usize) -> (String, usize, String) {
    let link = j % LINKS;
    (
        format!("100.{}.{}.0/24", j / 256, j % 256),
        link,
        format!("10.{}.{}.2", link / 250, link % 250),
    )
}

/// ARP entry `k`: `10.<l/250>.<l%250>.<3 + k/LINKS>` on link `l = k % LINKS`.
fn arp(k: usize) -> (usize, String, String) {
    let link = k % LINKS;
    (
        link,
        format!("10.{}.{}.{}", link / 250, link % 250, 3 + k / LINKS),
        format!("02:00:00:00:{:02x}:{:02x}", k >> 8, k & 0xff),
    )
}

/// The desired state: key (without the agent prefix) → value.
fn desired(ns: &str) -> BTreeMap<String, Value> {
    let mut values = BTreeMap::new();
    for i in 0..LINKS {
        let name = format!("l{i}");
        values.insert(
            models::interface_key(&name),
            json!({"name": name, "type": "VETH", "enabled": true,
                "ip_addresses": [address(i)],
                "namespace": {"type": "NSID", "reference": ns},
                "veth": {"peer_if_name": format!("l{}", i ^ 1)}}),
        );
    }
    for j in 0..ROUTES {
        let (dst, link, gw) = route(j);
        let iface = format!("l{link}");
        values.insert(
            models::route_key(&dst, &iface),
            json!({"outgoing_interface": iface, "dst_network": dst, "gw_addr": gw}),
        );
    }
    for k in 0..ARPS {
        let (link, ip, mac) = arp(k);
        let iface = format!("l{link}");
        values.insert(
            models::arp_key(&iface, &ip),
            json!({"interface": iface, "ip_address": ip, "hw_address": mac}),
        );
    }
    values
}

/// The agent as a child process, with its output in a file; killed when dropped.
struct LinuxAgent {
    child: Child,
    port: u16,
    log: std::path::PathBuf,
}

impl LinuxAgent {
    fn spawn(dir: &Path, run: &str) -> Self {
        let port = free_port();
        let log = dir.join(format!("agent-{run}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(AGENT)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HTTP_PORT", port.to_string())
            .env("MICROSERVICE_LABEL", LABEL)
            .env("DATA_DIR", dir.join("data"))
            .env("LINUX_CONFIG", dir.join("linux.conf"))
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        Self { child, port, log }
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    async fn get_json(&self, client: &reqwest::Client, path: &str) -> Value {
        let url = format!("http://127.0.0.1:{}{path}", self.port);
        match client.get(url).send().await {
            Ok(resp) => resp.json().await.unwrap_or_default(),
            Err(_) => Value::Null,
        }
    }
}

impl Drop for LinuxAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the kernel holds in the namespace, each object as text, counted (a count above 1
/// is a duplicate).
#[derive(Debug, PartialEq, Eq)]
struct KernelState {
    links: BTreeMap<String, usize>,
    addresses: BTreeMap<String, usize>,
    routes: BTreeMap<String, usize>,
    neighbours: BTreeMap<String, usize>,
}

fn count(items: impl IntoIterator<Item = String>) -> BTreeMap<String, usize> {
    let mut counted = BTreeMap::new();
    for item in items {
        *counted.entry(item).or_insert(0) += 1;
    }
    counted
}

impl KernelState {
    /// The agent's objects in `ns`: links but the loopback, IPv4 addresses but the
    /// loopback's, the routes of the agent's protocol, permanent neighbours. A dump the
    /// kernel interrupts while the agent changes it is an error.
    fn read(kernel: &KernelNetlink, ns: &Namespace) -> cninfra_netlink::Result<Self> {
        let links = kernel.links(ns)?;
        let names: BTreeMap<u32, String> =
            links.iter().map(|l| (l.index, l.name.clone())).collect();
        let name = |index: u32| names.get(&index).cloned().unwrap_or_default();
        Ok(Self {
            links: count(
                links
                    .iter()
                    .filter(|l| l.name != "lo")
                    .map(|l| format!("{} up={}", l.name, l.up)),
            ),
            addresses: count(
                kernel
                    .addresses(ns, None)?
                    .into_iter()
                    .filter(|a| a.addr.addr().is_ipv4() && !a.addr.addr().is_loopback())
                    .map(|a| format!("{} {}", name(a.index), a.addr)),
            ),
            routes: count(
                kernel
                    .routes(ns, &RouteFilter::all())?
                    .into_iter()
                    .filter(|r| r.protocol == RouteProtocol::CNINFRA)
                    .map(|r| {
                        format!(
                            "{} via {:?} dev {}",
                            r.dst,
                            r.gateway,
                            name(r.oif.unwrap_or(0))
                        )
                    }),
            ),
            neighbours: count(
                kernel
                    .neighbours(ns, None)?
                    .into_iter()
                    .filter(|n| n.state == NeighbourState::Permanent)
                    .map(|n| {
                        format!(
                            "{} {} {}",
                            name(n.index),
                            n.ip,
                            n.mac.map(|m| m.to_string()).unwrap_or_default()
                        )
                    }),
            ),
        })
    }

    /// The desired state as the kernel shows it.
    fn desired() -> Self {
        Self {
            links: count((0..LINKS).map(|i| format!("l{i} up=true"))),
            addresses: count((0..LINKS).map(|i| format!("l{i} {}", address(i)))),
            routes: count((0..ROUTES).map(|j| {
                let (dst, link, gw) = route(j);
                format!("{dst} via Some({gw}) dev l{link}")
            })),
            neighbours: count((0..ARPS).map(|k| {
                let (link, ip, mac) = arp(k);
                format!("l{link} {ip} {mac}")
            })),
        }
    }

    fn objects(&self) -> usize {
        [&self.links, &self.addresses, &self.routes, &self.neighbours]
            .iter()
            .map(|m| m.values().sum::<usize>())
            .sum()
    }

    fn duplicates(&self) -> Vec<&str> {
        [&self.links, &self.addresses, &self.routes, &self.neighbours]
            .iter()
            .flat_map(|m| m.iter())
            .filter(|(_, n)| **n > 1)
            .map(|(k, _)| k.as_str())
            .collect()
    }
}

/// The routes to `100.0.0.0/8` in the namespace's main table (`/proc/net/route` lists
/// destinations as little-endian hex: the first byte last).
fn agent_routes(ns: &Namespace) -> usize {
    let table = run_in_namespace(ns, || {
        std::fs::read_to_string("/proc/thread-self/net/route")
    });
    table.map_or(0, |table| {
        table.map_or(0, |text| {
            text.lines()
                .filter(|line| {
                    line.split_whitespace()
                        .nth(1)
                        .is_some_and(|dst| dst.ends_with("64"))
                })
                .count()
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_in_the_middle_of_a_resync_then_restart_leaves_the_desired_kernel_state() {
    if !kernel_tests_allowed("linux agent crash") {
        return;
    }
    let started = Instant::now();
    let kernel = KernelNetlink::new().unwrap();
    let scratch = ScratchNamespace::new(&kernel, "crash");
    let ns = scratch.namespace();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("linux.conf"),
        format!("state-dir: {}\n", dir.path().join("state").display()),
    )
    .unwrap();
    let desired = desired(scratch.name());
    let config = dir.path().join("data").join("config");
    std::fs::create_dir_all(&config).unwrap();
    let mut text = String::from("data:\n");
    for (key, value) in &desired {
        text.push_str(&format!(
            "  - key: {}\n    value: {value}\n",
            json!(format!("/vnf-agent/{LABEL}/{key}"))
        ));
    }
    std::fs::write(config.join("desired.yaml"), text).unwrap();
    let want = KernelState::desired();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();

    // The first agent is killed once a third of the routes exist (counted in
    // `/proc/net/route`: a netlink dump is interrupted again and again while the agent
    // adds routes).
    let mut first = LinuxAgent::spawn(dir.path(), "first");
    eventually(
        "a third of the routes applied",
        Duration::from_secs(90),
        || std::future::ready(agent_routes(&ns) >= ROUTES / 3),
    )
    .await;
    first.child.kill().unwrap(); // SIGKILL
    first.child.wait().unwrap();
    let at_kill = KernelState::read(&kernel, &ns).unwrap();
    println!(
        "killed with {} of {} objects in the kernel ({:.1?} since start)",
        at_kill.objects(),
        want.objects(),
        started.elapsed()
    );
    assert!(
        at_kill.objects() < want.objects(),
        "the kill came after the resync ended: {}",
        first.output()
    );

    // The restarted agent finds what exists and makes the rest.
    let second = LinuxAgent::spawn(dir.path(), "second");
    let what = format!(
        "every value CONFIGURED after the restart (agent log: {})",
        second.log.display()
    );
    eventually(&what, Duration::from_secs(90), || async {
        let statuses = second.get_json(&client, "/scheduler/status").await;
        // The scratch namespace is listed too, OBTAINED: it is not the agent's.
        let Some(all) = statuses.as_array() else {
            return false;
        };
        let nb: Vec<&Value> = all
            .iter()
            .filter(|s| s["value"]["state"] != "OBTAINED")
            .collect();
        nb.iter().all(|s| s["value"]["state"] == "CONFIGURED")
            && nb
                .iter()
                .filter_map(|s| s["value"]["key"].as_str())
                .eq(desired.keys().map(String::as_str))
    })
    .await;
    let end = KernelState::read(&kernel, &ns).unwrap();
    assert_eq!(
        end.duplicates(),
        Vec::<&str>::new(),
        "objects twice in the kernel"
    );
    assert!(
        end == want,
        "the kernel state differs from the desired state"
    );
    println!(
        "{} values, {} kernel objects; {:.1?} in all",
        desired.len(),
        end.objects(),
        started.elapsed()
    );
    drop(second);
}
