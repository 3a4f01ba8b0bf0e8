//! The seed's "configuration order" scenario driven by puts and deletes in a KV store,
//! through data sync and the orchestrator, and the full resync of a restarted agent.

mod agent_stack;

use agent_stack::{BD_JSON, FIB_JSON, IF_JSON, MAC, Stack, WAIT, delete, put};
use cninfra_health::State;
use cninfra_kv::MemoryStore;
use cninfra_kvscheduler::ValueState;
use cninfra_kvscheduler::orchestrator::DATASYNC_SOURCE;
use cninfra_kvscheduler_example::{bridge_domain_key, fib_key, interface_key};
use cninfra_testsupport::wait_until;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kv_puts_drive_the_configuration_order() {
    let store = MemoryStore::new();
    let stack = Stack::start(&store).await;
    let dataplane = stack.dataplane();
    let (fib, bd, iface) = (
        fib_key("bd1", MAC),
        bridge_domain_key("bd1"),
        interface_key("tap1"),
    );

    // The FIB entry first: it waits for its bridge domain and interface.
    put(&store, &fib, FIB_JSON).await;
    let status = stack.wait_state(&fib, ValueState::Pending).await;
    assert_eq!(status.value.details, ["bridge-domain", "bridged-interface"]);
    assert!(dataplane.calls().is_empty(), "{:?}", dataplane.calls());
    assert_eq!(
        stack.wait_plugin_state(State::Ok).await,
        None,
        "pending is not an error"
    );

    // The interface, then the bridge domain: the FIB entry follows them.
    put(&store, &iface, IF_JSON).await;
    put(&store, &bd, BD_JSON).await;
    stack.wait_state(&fib, ValueState::Configured).await;
    assert_eq!(
        dataplane.take_calls(),
        [
            "create interface tap1",
            "create bridge-domain bd1",
            "create bd-interface bd1/tap1",
            "create fib bd1/62:89:c6:a3:7e:3a",
        ]
    );
    assert_eq!(
        stack.orchestrator().provider(&fib).as_deref(),
        Some(DATASYNC_SOURCE)
    );

    // The bridge domain goes: the FIB entry is deleted before it and waits again.
    delete(&store, &bd).await;
    let status = stack.wait_state(&fib, ValueState::Pending).await;
    assert_eq!(status.value.details, ["bridge-domain", "bridged-interface"]);
    assert_eq!(
        dataplane.take_calls(),
        [
            "delete fib bd1/62:89:c6:a3:7e:3a",
            "delete bd-interface bd1/tap1",
            "delete bridge-domain bd1",
        ]
    );
    assert_eq!(
        stack.scheduler().status(&bd).value.state,
        ValueState::Nonexistent
    );
    assert_eq!(stack.wait_plugin_state(State::Ok).await, None);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_agent_resyncs_the_full_state_from_the_store() {
    let store = MemoryStore::new();
    let (fib, bd, iface) = (
        fib_key("bd1", MAC),
        bridge_domain_key("bd1"),
        interface_key("tap1"),
    );
    put(&store, &fib, FIB_JSON).await;
    put(&store, &bd, BD_JSON).await;
    put(&store, &iface, IF_JSON).await;

    let first = Stack::start(&store).await;
    first.wait_state(&fib, ValueState::Configured).await;
    assert_eq!(first.dataplane().calls().len(), 4);
    first.stop().await;

    // While the agent is down the interface is disabled in the store.
    put(
        &store,
        &iface,
        r#"{"name":"tap1","type":"TAP","enabled":false}"#,
    )
    .await;

    // A new agent (and a fresh dataplane) gets everything from the startup resync.
    let second = Stack::start(&store).await;
    second.wait_state(&fib, ValueState::Configured).await;
    let dataplane = second.dataplane();
    let mut calls = dataplane.calls();
    calls.sort();
    assert_eq!(
        calls,
        [
            "create bd-interface bd1/tap1",
            "create bridge-domain bd1",
            "create fib bd1/62:89:c6:a3:7e:3a",
            "create interface tap1",
        ]
    );
    let interfaces = dataplane.interfaces();
    assert_eq!(interfaces.len(), 1);
    assert!(
        !interfaces[0].enabled,
        "the value written while down applies"
    );
    assert_eq!(second.orchestrator().desired_state().len(), 3);
    assert_eq!(second.wait_plugin_state(State::Ok).await, None);
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_over_a_surviving_dataplane_applies_only_the_difference() {
    let store = MemoryStore::new();
    let (fib, bd, iface) = (
        fib_key("bd1", MAC),
        bridge_domain_key("bd1"),
        interface_key("tap1"),
    );
    put(&store, &fib, FIB_JSON).await;
    put(&store, &bd, BD_JSON).await;
    put(&store, &iface, IF_JSON).await;

    let first = Stack::start(&store).await;
    first.wait_state(&fib, ValueState::Configured).await;
    let dataplane = first.dataplane();
    first.stop().await;
    dataplane.take_calls();

    // While the agent is down, a second interface is added and the first one disabled.
    put(
        &store,
        &interface_key("tap2"),
        r#"{"name":"tap2","type":"TAP","enabled":true}"#,
    )
    .await;
    put(
        &store,
        &iface,
        r#"{"name":"tap1","type":"TAP","enabled":false}"#,
    )
    .await;

    // The dataplane survived the restart: the full resync reads it back and only
    // applies what differs from the store (values the dataplane has but the store does
    // not would stay as OBTAINED: unknown origin counts as southbound, as upstream).
    let second = Stack::start_with(&store, dataplane.clone()).await;
    second
        .wait_state(&interface_key("tap2"), ValueState::Configured)
        .await;
    second.wait_state(&fib, ValueState::Configured).await;
    wait_until("tap1 disabled", WAIT, || {
        dataplane
            .interfaces()
            .iter()
            .any(|i| i.name == "tap1" && !i.enabled)
    })
    .await;
    assert_eq!(
        dataplane.take_calls(),
        // Upstream's order within a transaction: creates before updates.
        ["create interface tap2", "update interface tap1"]
    );
    assert_eq!(
        second.scheduler().status(&bd).value.state,
        ValueState::Configured
    );
    second.stop().await;
}
