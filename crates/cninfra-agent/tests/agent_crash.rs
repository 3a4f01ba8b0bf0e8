//! Crash consistency of the example agent (issue 18, section 4): `kill -9` in the middle of
//! a 10 000-key resync, restart; the scheduler's view and the simulated VPP (kept in a file
//! that outlives the agent, `--dataplane-file`) both end equal to the desired state, and no
//! object was ever created twice.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use cninfra_kvscheduler_example::{self as example, Dataplane};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::{Value, json};
use support::AgentProcess;

/// Interfaces, bridge domains (each with as many members) and FIB entries of the desired
/// state: 10 000 keys in all.
const INTERFACES: usize = 100;
const BRIDGE_DOMAINS: usize = 10;
const FIB_ENTRIES: usize = 10_000 - INTERFACES - BRIDGE_DOMAINS;
const LABEL: &str = "crash";

fn mac(j: usize) -> String {
    format!(
        "02:00:00:{:02x}:{:02x}:{:02x}",
        j >> 16,
        (j >> 8) & 0xff,
        j & 0xff
    )
}

/// Interface `i` is a member of bridge domain `i / 10`.
fn members(bd: usize) -> impl Iterator<Item = usize> {
    let per = INTERFACES / BRIDGE_DOMAINS;
    bd * per..(bd + 1) * per
}

/// The desired state: key (without the agent prefix) → proto3 JSON value.
fn desired() -> BTreeMap<String, Value> {
    let mut values = BTreeMap::new();
    for i in 0..INTERFACES {
        let name = format!("if{i}");
        values.insert(
            example::interface_key(&name),
            json!({"name": name, "type": "TAP", "enabled": true}),
        );
    }
    for bd in 0..BRIDGE_DOMAINS {
        let name = format!("bd{bd}");
        let interfaces: Vec<Value> = members(bd)
            .map(|i| json!({"name": format!("if{i}")}))
            .collect();
        values.insert(
            example::bridge_domain_key(&name),
            json!({"name": name, "interfaces": interfaces}),
        );
    }
    for j in 0..FIB_ENTRIES {
        let bd = j % BRIDGE_DOMAINS;
        let out = members(bd).nth((j / BRIDGE_DOMAINS) % (INTERFACES / BRIDGE_DOMAINS));
        let entry = json!({"phys_address": mac(j), "bridge_domain": format!("bd{bd}"),
            "outgoing_interface": format!("if{}", out.unwrap()), "action": "FORWARD"});
        values.insert(example::fib_key(&format!("bd{bd}"), &mac(j)), entry);
    }
    assert_eq!(values.len(), 10_000);
    values
}

/// Writes the desired state as the embedded file DB's one data file.
fn write_store(data_dir: &Path, desired: &BTreeMap<String, Value>) {
    let config = data_dir.join("config");
    std::fs::create_dir_all(&config).unwrap();
    let mut text = String::from("data:\n");
    for (key, value) in desired {
        text.push_str(&format!(
            "  - key: {}\n    value: {value}\n",
            json!(format!("/vnf-agent/{LABEL}/{key}"))
        ));
    }
    std::fs::write(config.join("desired.yaml"), text).unwrap();
}

fn spawn(data_dir: &Path, dataplane: &Path) -> AgentProcess {
    AgentProcess::spawn(
        &[],
        &[
            ("MICROSERVICE_LABEL", LABEL),
            ("DATA_DIR", data_dir.to_str().unwrap()),
            ("DATAPLANE_FILE", dataplane.to_str().unwrap()),
        ],
    )
}

/// The calls in the dataplane file so far (complete lines).
fn recorded_calls(dataplane: &Path) -> usize {
    std::fs::read(dataplane)
        .map(|text| text.iter().filter(|b| **b == b'\n').count())
        .unwrap_or(0)
}

/// What the simulated VPP holds, as (kind, name, proto3 JSON) for comparison.
fn southbound(dataplane: &Dataplane) -> BTreeSet<(String, String)> {
    let mut objects = BTreeSet::new();
    for iface in dataplane.interfaces() {
        objects.insert((
            example::interface_key(&iface.name),
            serde_json::to_string(&iface).unwrap(),
        ));
    }
    for bd in dataplane.bridge_domains() {
        objects.insert((
            example::bridge_domain_key(&bd.name),
            serde_json::to_string(&bd).unwrap(),
        ));
    }
    for fib in dataplane.fib_entries() {
        objects.insert((
            example::fib_key(&fib.bridge_domain, &fib.phys_address),
            serde_json::to_string(&fib).unwrap(),
        ));
    }
    objects
}

/// The desired state as the simulated VPP would hold it (decoded, written back as proto3
/// JSON).
fn expected_southbound(desired: &BTreeMap<String, Value>) -> BTreeSet<(String, String)> {
    use cninfra::ligato::vpp::interfaces::Interface;
    use cninfra::ligato::vpp::l2::{BridgeDomain, FibEntry};
    desired
        .iter()
        .map(|(key, value)| {
            let text = if key.starts_with(&example::interface_key("")) {
                serde_json::to_string(&serde_json::from_value::<Interface>(value.clone()).unwrap())
            } else if key.starts_with(&example::bridge_domain_key("")) {
                serde_json::to_string(
                    &serde_json::from_value::<BridgeDomain>(value.clone()).unwrap(),
                )
            } else {
                serde_json::to_string(&serde_json::from_value::<FibEntry>(value.clone()).unwrap())
            };
            (key.clone(), text.unwrap())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_in_the_middle_of_a_10k_key_resync_then_restart_converges_without_duplicates() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let dataplane_file = dir.path().join("vpp.jsonl");
    let desired = desired();
    write_store(&data_dir, &desired);
    // Every object of the desired state is one create: interfaces, bridge domains, their
    // members, FIB entries.
    let creates = desired.len() + INTERFACES;

    // The first agent starts its resync; it is killed once a quarter of it is applied.
    let mut first = spawn(&data_dir, &dataplane_file);
    let quarter = creates / 4;
    support::eventually(
        "a quarter of the resync applied",
        Duration::from_secs(90),
        || std::future::ready(recorded_calls(&dataplane_file) >= quarter),
    )
    .await;
    kill(Pid::from_raw(first.pid() as i32), Signal::SIGKILL).unwrap();
    let status = first.wait_exit();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9),
        "{status}"
    );
    let at_kill = recorded_calls(&dataplane_file);
    assert!(
        at_kill < creates,
        "the kill came after the resync ended ({at_kill} of {creates} calls)"
    );
    let half_done = Dataplane::load(&dataplane_file).unwrap();
    assert!(
        half_done.duplicates().is_empty(),
        "{:?}",
        half_done.duplicates()
    );
    println!(
        "killed after {at_kill} of {creates} creates ({:.1?} since start)",
        started.elapsed()
    );

    // The restarted agent finds the objects that exist and makes the rest.
    let mut second = spawn(&data_dir, &dataplane_file);
    second.wait_ready().await;
    let statuses = second
        .wait_json("every value configured", "/scheduler/status", |answer| {
            answer.as_array().is_some_and(|all| {
                all.len() == desired.len()
                    && all.iter().all(|s| s["value"]["state"] == "CONFIGURED")
            })
        })
        .await;
    let keys: BTreeSet<&str> = statuses
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["value"]["key"].as_str().unwrap())
        .collect();
    assert!(
        keys.iter().copied().eq(desired.keys().map(String::as_str)),
        "the scheduler's keys are the desired ones"
    );
    second.stop();

    let end = Dataplane::load(&dataplane_file).unwrap();
    assert_eq!(
        end.duplicates(),
        Vec::<String>::new(),
        "objects created twice"
    );
    assert!(
        southbound(&end) == expected_southbound(&desired),
        "the simulated VPP holds the desired state"
    );
    let expected_members: Vec<(String, String)> = (0..BRIDGE_DOMAINS)
        .flat_map(|bd| members(bd).map(move |i| (format!("bd{bd}"), format!("if{i}"))))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(end.members(), expected_members);
    let after_restart = recorded_calls(&dataplane_file) - at_kill;
    println!(
        "restart made {after_restart} calls (at most the {} missing creates); {:.1?} in all",
        creates - at_kill,
        started.elapsed()
    );
    assert!(
        after_restart <= creates - at_kill,
        "the restarted agent made {after_restart} calls for {} missing objects",
        creates - at_kill
    );
}
