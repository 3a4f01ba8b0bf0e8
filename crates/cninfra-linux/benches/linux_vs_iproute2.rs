//! The Linux descriptors against iproute2 on the same kernel, in the same run: 1 000 links
//! with one address each and 10 000 routes over them, applied by one full resync through
//! the scheduler vs `ip -batch` of the same objects, each in a fresh scratch namespace; and
//! the heap the agent holds for them (a counting allocator).
//!
//! Run as root: `cargo bench -p cninfra-linux --bench linux_vs_iproute2` (`-- --links N
//! --routes M --runs R` for other sizes; each figure is the median of R runs, 3 by
//! default, the two sides alternating). Links are DUMMY, or on kernels without the dummy driver
//! both BRIDGE (without ports) and VETH (pairs, both ends in the namespace), in both runs. `--calls` prints where the agent's time went
//! (descriptor calls).

use std::alloc::System;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cninfra_kvscheduler::{ResyncKind, Scheduler, SchedulerConfig, Value};
use cninfra_linux::{Linux, LinuxConfig, models};
use cninfra_netlink::testing::{ScratchNamespace, kernel_tests_allowed};
use cninfra_netlink::{Errno, KernelNetlink, Netlink, NewLink};
use serde_json::json;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The size of the run.
#[derive(Debug, Clone, Copy)]
struct Size {
    links: usize,
    routes: usize,
    /// Runs of each side per kind and mode (the median is reported).
    runs: usize,
}

impl Size {
    fn from_args() -> Self {
        let args: Vec<String> = std::env::args().collect();
        let arg = |name: &str, default: usize| {
            args.iter()
                .position(|a| a == name)
                .and_then(|i| args.get(i + 1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        };
        Self {
            links: arg("--links", 1_000),
            routes: arg("--routes", 10_000),
            runs: arg("--runs", 3).max(1),
        }
    }

    /// The address of link `i`: `10.<i/250>.<i%250>.1/24`.
    fn address(i: usize) -> String {
        format!("10.{}.{}.1/24", i / 250, i % 250)
    }

    /// Route `j`: `100.<j/256>.<j%256>.0/24` over link `j % links`, via `.2` of its network.
    fn route(&self, j: usize) -> (String, usize, String) {
        let link = j % self.links;
        let gw = format!("10.{}.{}.2", link / 250, link % 250);
        (format!("100.{}.{}.0/24", j / 256, j % 256), link, gw)
    }
}

/// The kinds of link to run with: DUMMY, else BRIDGE and VETH.
fn kinds(kernel: &KernelNetlink) -> Vec<&'static str> {
    let scratch = ScratchNamespace::new(kernel, "bench-probe");
    let ns = scratch.namespace();
    match kernel.add_link(&ns, &NewLink::dummy("probe0")) {
        Ok(_) => vec!["DUMMY"],
        Err(err) if err.errno() == Some(Errno::EOPNOTSUPP) => vec!["BRIDGE", "VETH"],
        Err(err) => panic!("probing for dummy links: {err}"),
    }
}

/// The `ip link add` arguments of link `i` (a VETH pair is added with its even end).
fn ip_link_add(kind: &str, i: usize) -> Option<String> {
    match kind {
        "VETH" if i % 2 == 1 => None,
        "VETH" => Some(format!("l{i} type veth peer name l{}", i + 1)),
        other => Some(format!("l{i} type {}", other.to_lowercase())),
    }
}

/// `ip -batch` of the same objects; its wall time.
fn iproute2(size: Size, ns: &str, kind: &str) -> Duration {
    let mut batch = String::new();
    for i in 0..size.links {
        if let Some(add) = ip_link_add(kind, i) {
            batch.push_str(&format!("link add {add}\n"));
        }
    }
    for i in 0..size.links {
        batch.push_str(&format!(
            "link set l{i} up\naddr add {} dev l{i}\n",
            Size::address(i)
        ));
    }
    for j in 0..size.routes {
        let (dst, link, gw) = size.route(j);
        batch.push_str(&format!("route add {dst} via {gw} dev l{link}\n"));
    }
    let started = Instant::now();
    let mut child = Command::new("ip")
        .args(["-n", ns, "-batch", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("ip (iproute2) installed");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(batch.as_bytes())
        .expect("batch written");
    let status = child.wait().expect("ip ran");
    let took = started.elapsed();
    assert!(status.success(), "ip -batch failed");
    took
}

fn values(size: Size, ns: &str, kind: &str) -> Vec<(String, Value)> {
    let mut values = Vec::with_capacity(size.links + size.routes);
    for i in 0..size.links {
        let name = format!("l{i}");
        let mut value = json!({"name": name, "type": kind, "enabled": true,
            "ip_addresses": [Size::address(i)],
            "namespace": {"type": "NSID", "reference": ns}});
        if kind == "VETH" {
            value["veth"] = json!({"peer_if_name": format!("l{}", i ^ 1)});
        }
        values.push((models::interface_key(&name), Value::from_json(value)));
    }
    for j in 0..size.routes {
        let (dst, link, gw) = size.route(j);
        let iface = format!("l{link}");
        values.push((
            models::route_key(&dst, &iface),
            Value::from_json(
                json!({"outgoing_interface": iface, "dst_network": dst, "gw_addr": gw}),
            ),
        ));
    }
    values
}

/// One full resync through the scheduler; its wall time and the heap the scheduler and
/// descriptors hold afterwards.
async fn agent(size: Size, ns: &str, kind: &str, mode: Mode) -> (Duration, usize) {
    let kernel: Arc<dyn Netlink> = Arc::new(KernelNetlink::new().expect("a netlink socket"));
    let values = values(size, ns, kind);
    let region = Region::new(GLOBAL);
    let scheduler = Scheduler::new(SchedulerConfig {
        print_txn_summary: false,
        record_transaction_history: false,
        ..SchedulerConfig::default()
    })
    .expect("a scheduler");
    let config = LinuxConfig {
        verify: mode != Mode::Off,
        verify_routes: mode == Mode::WithRoutes,
        state_dir: std::env::temp_dir().join("cninfra-linux-bench"),
        ..LinuxConfig::default()
    };
    let _linux =
        Linux::register(&scheduler, kernel, &config, "/vnf-agent/bench/").expect("registered");
    let mut txn = scheduler.txn().with_resync(ResyncKind::Full);
    for (key, value) in &values {
        txn = txn.put(key.clone(), value.clone());
    }
    let started = Instant::now();
    txn.commit().await.expect("the resync applies");
    let took = started.elapsed();
    if std::env::args().any(|a| a == "--calls") {
        for (descriptor, methods) in scheduler.stats().descriptor_calls {
            for (method, calls) in methods {
                println!(
                    "    {descriptor} {method}: {} calls, {:.1} ms",
                    calls.count, calls.total_ms
                );
            }
        }
    }
    let change = region.change();
    let held = change
        .bytes_allocated
        .saturating_sub(change.bytes_deallocated);
    scheduler.stop(Duration::from_secs(60)).await;
    (took, held)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if std::env::args().any(|a| a == "--list") || !kernel_tests_allowed("linux_vs_iproute2") {
        return;
    }
    let size = Size::from_args();
    let kernel = KernelNetlink::new().expect("a netlink socket");
    println!(
        "{} links with one address each, {} routes over them (median of {} runs):",
        size.links, size.routes, size.runs
    );
    for kind in kinds(&kernel) {
        for mode in [Mode::Default, Mode::WithRoutes, Mode::Off] {
            run(&kernel, size, kind, mode).await;
        }
    }
}

/// How much the agent reads back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The default: links and addresses are verified, routes not.
    Default,
    /// Routes verified too (`verify-routes: true`).
    WithRoutes,
    /// Nothing verified (`verify: false`).
    Off,
}

impl Mode {
    fn describe(self) -> &'static str {
        match self {
            Mode::Default => "default verification",
            Mode::WithRoutes => "routes verified too",
            Mode::Off => "no verification",
        }
    }
}

/// The median of some durations.
fn median(mut times: Vec<Duration>) -> Duration {
    times.sort_unstable();
    times[times.len() / 2]
}

/// One kind and mode, each side in a fresh scratch namespace per run.
async fn run(kernel: &KernelNetlink, size: Size, kind: &str, mode: Mode) {
    let (mut ours, mut theirs, mut held) = (Vec::new(), Vec::new(), 0);
    for _ in 0..size.runs {
        let ip_ns = ScratchNamespace::new(kernel, "bench-ip");
        theirs.push(iproute2(size, ip_ns.name(), kind));
        drop(ip_ns);
        let agent_ns = ScratchNamespace::new(kernel, "bench-agent");
        let (took, bytes) = agent(size, agent_ns.name(), kind, mode).await;
        ours.push(took);
        held = bytes;
    }
    let (agent_time, ip_time) = (median(ours), median(theirs));
    println!(
        "  {kind:<6} {:<22}: agent {:>7.1} ms, ip -batch {:>7.1} ms, ratio {:.2}; agent heap held {:.1} MiB ({:.0} B per value)",
        mode.describe(),
        agent_time.as_secs_f64() * 1e3,
        ip_time.as_secs_f64() * 1e3,
        agent_time.as_secs_f64() / ip_time.as_secs_f64(),
        held as f64 / (1 << 20) as f64,
        held as f64 / (size.links + size.routes) as f64,
    );
}
