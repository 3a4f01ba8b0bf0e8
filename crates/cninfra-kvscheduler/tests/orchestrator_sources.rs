//! Merging NB sources: the KV store (`datasync`) and a local client (`localclient`) in a
//! running agent, and the merge rules on a bare scheduler.

mod agent_stack;

use agent_stack::{IF_JSON, Stack, WAIT, put};
use cninfra_health::State;
use cninfra_kv::MemoryStore;
use cninfra_kvscheduler::orchestrator::{
    DATASYNC_SOURCE, GRPC_SOURCE, LOCAL_SOURCE, Orchestrator, OrchestratorError,
};
use cninfra_kvscheduler::{Scheduler, SchedulerConfig, Value, ValueState};
use cninfra_kvscheduler_example::{self as example, Dataplane, bridge_domain_key, interface_key};
use cninfra_ligato::vpp::interfaces::interface::Type;
use cninfra_testsupport::wait_until;
use serde_json::json;

fn iface(name: &str, kind: &str, enabled: bool) -> Value {
    Value::from_json(json!({"name": name, "type": kind, "enabled": enabled}))
}

fn enabled(dataplane: &Dataplane, name: &str) -> Option<bool> {
    dataplane
        .interfaces()
        .into_iter()
        .find(|i| i.name == name)
        .map(|i| i.enabled)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_txn_merges_with_the_kv_store_and_wins() -> anyhow::Result<()> {
    let store = MemoryStore::new();
    let tap1 = interface_key("tap1");
    put(&store, &tap1, IF_JSON).await;
    let stack = Stack::start(&store).await;
    let dataplane = stack.dataplane();
    stack.wait_state(&tap1, ValueState::Configured).await;
    let orchestrator = stack.orchestrator();
    let local = orchestrator.source(LOCAL_SOURCE);

    // The local client disables tap1 and adds a bridge domain: its value wins.
    let bd = Value::from_json(json!({"name": "bd1", "interfaces": [{"name": "tap1"}]}));
    local
        .txn()
        .put(tap1.clone(), iface("tap1", "TAP", false))
        .put(bridge_domain_key("bd1"), bd)
        .commit()
        .await?;
    assert_eq!(enabled(&dataplane, "tap1"), Some(false));
    assert_eq!(orchestrator.provider(&tap1).as_deref(), Some(LOCAL_SOURCE));
    assert_eq!(
        stack
            .scheduler()
            .status(&bridge_domain_key("bd1"))
            .value
            .state,
        ValueState::Configured
    );

    // A KV change of the same key is kept for its source but shadowed.
    let kv = orchestrator.source(DATASYNC_SOURCE);
    put(
        &store,
        &tap1,
        r#"{"name":"tap1","type":"TAP","enabled":true,"mtu":9000}"#,
    )
    .await;
    wait_until("the KV source holds the new value", WAIT, || {
        kv.value(&tap1).is_some_and(|v| v.to_json()["mtu"] == 9000)
    })
    .await;
    assert_eq!(enabled(&dataplane, "tap1"), Some(false));

    // A resync of the KV source keeps the local values.
    let rounds = stack.resync.resync_status().rounds_done;
    stack.resync.request_resync("test");
    stack.wait_rounds(rounds + 1).await;
    assert_eq!(enabled(&dataplane, "tap1"), Some(false));
    assert_eq!(
        stack
            .scheduler()
            .status(&bridge_domain_key("bd1"))
            .value
            .state,
        ValueState::Configured
    );
    assert_eq!(local.values().len(), 2);

    // The local value goes: the KV store's applies again.
    dataplane.take_calls();
    local.txn().delete(tap1.clone()).commit().await?;
    assert_eq!(enabled(&dataplane, "tap1"), Some(true));
    assert_eq!(
        orchestrator.provider(&tap1).as_deref(),
        Some(DATASYNC_SOURCE)
    );
    assert_eq!(dataplane.take_calls(), ["update interface tap1"]);
    assert_eq!(stack.wait_plugin_state(State::Ok).await, None);
    stack.stop().await;
    Ok(())
}

async fn bare() -> anyhow::Result<(Orchestrator, Dataplane)> {
    let scheduler = Scheduler::new(SchedulerConfig::default())?;
    let dataplane = Dataplane::new();
    example::register_all(&scheduler, &dataplane)?;
    Ok((Orchestrator::new(scheduler), dataplane))
}

#[tokio::test]
async fn the_alphabetically_last_source_wins_in_changes_and_resyncs() -> anyhow::Result<()> {
    let (orchestrator, dataplane) = bare().await?;
    let key = interface_key("tap1");
    let (kv, grpc, local) = (
        orchestrator.source(DATASYNC_SOURCE),
        orchestrator.source(GRPC_SOURCE),
        orchestrator.source(LOCAL_SOURCE),
    );
    local
        .txn()
        .put(key.clone(), iface("tap1", "TAP", true))
        .commit()
        .await?;
    // Lower precedence: nothing reaches the scheduler.
    let seq = grpc
        .txn()
        .put(key.clone(), iface("tap1", "SOFTWARE_LOOPBACK", true))
        .commit()
        .await?;
    assert_eq!(seq, None);
    kv.resync()
        .put(key.clone(), iface("tap1", "DPDK", true))
        .commit()
        .await?;
    assert_eq!(dataplane.interfaces()[0].r#type(), Type::Tap);
    assert_eq!(
        orchestrator.labels(),
        [DATASYNC_SOURCE, GRPC_SOURCE, LOCAL_SOURCE]
    );

    // Removing the winners reveals the next source each time.
    local.txn().delete(key.clone()).commit().await?;
    assert_eq!(dataplane.interfaces()[0].r#type(), Type::SoftwareLoopback);
    grpc.resync().commit().await?;
    assert_eq!(dataplane.interfaces()[0].r#type(), Type::Dpdk);
    kv.txn().delete(key.clone()).commit().await?;
    assert!(dataplane.interfaces().is_empty());
    assert!(orchestrator.desired_state().is_empty());
    Ok(())
}

#[tokio::test]
async fn a_resync_replaces_only_its_own_share() -> anyhow::Result<()> {
    let (orchestrator, dataplane) = bare().await?;
    let (kv, local) = (
        orchestrator.source(DATASYNC_SOURCE),
        orchestrator.source(LOCAL_SOURCE),
    );
    kv.txn()
        .put(interface_key("a"), iface("a", "TAP", true))
        .commit()
        .await?;
    local
        .txn()
        .put(interface_key("b"), iface("b", "TAP", true))
        .commit()
        .await?;
    kv.resync()
        .put(interface_key("c"), iface("c", "TAP", true))
        .commit()
        .await?;
    let names: Vec<_> = dataplane.interfaces().into_iter().map(|i| i.name).collect();
    assert_eq!(names, ["b", "c"]);
    assert_eq!(
        orchestrator
            .desired_state()
            .keys()
            .cloned()
            .collect::<Vec<_>>(),
        [interface_key("b"), interface_key("c")]
    );
    Ok(())
}

#[tokio::test]
async fn a_source_answers_for_its_own_failed_keys_only_and_pending_is_success() -> anyhow::Result<()>
{
    let (orchestrator, _dataplane) = bare().await?;
    let (kv, local) = (
        orchestrator.source(DATASYNC_SOURCE),
        orchestrator.source(LOCAL_SOURCE),
    );
    let bad = interface_key("bad");
    let err = local
        .txn()
        .put(bad.clone(), iface("bad", "warp-drive", true))
        .commit()
        .await
        .unwrap_err();
    assert_eq!(err.keys(), [bad.as_str()]);
    assert!(
        matches!(&err, OrchestratorError::Keys { label, .. } if label == LOCAL_SOURCE),
        "{err}"
    );
    assert!(err.to_string().contains("source `localclient`"), "{err}");
    // The invalid value stays desired: it is what the source asked for.
    assert!(local.value(&bad).is_some());

    // The KV source's resync re-applies the merge, the local invalid value included, but
    // answers only for its own keys; its FIB entry waits, which is no error.
    let fib = example::fib_key("bd1", "62:89:c6:a3:7e:3a");
    let fib_value = Value::from_json(json!({"phys_address": "62:89:c6:a3:7e:3a",
        "bridge_domain": "bd1", "outgoing_interface": "tap1", "action": "FORWARD"}));
    let seq = kv.resync().put(fib.clone(), fib_value).commit().await?;
    assert!(seq.is_some());
    let scheduler = orchestrator.scheduler();
    assert_eq!(scheduler.status(&fib).value.state, ValueState::Pending);
    assert_eq!(scheduler.status(&bad).value.state, ValueState::Invalid);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_descriptors_nothing_is_watched_and_local_txns_still_apply() -> anyhow::Result<()> {
    use std::sync::Arc;

    use cninfra_core::Agent;
    use cninfra_datasync::{KvdbSyncPlugin, ResyncPlugin, StoreSource};
    use cninfra_health::StatusCheckPlugin;
    use cninfra_kvscheduler::KvSchedulerPlugin;
    use cninfra_kvscheduler::orchestrator::OrchestratorPlugin;

    let status = StatusCheckPlugin::new();
    let resync = ResyncPlugin::new();
    let store = Arc::new(MemoryStore::new());
    let sync = KvdbSyncPlugin::new(StoreSource::fixed(store));
    let scheduler = KvSchedulerPlugin::new();
    let plugin = OrchestratorPlugin::new();
    let early = plugin.orchestrator().unwrap_err();
    assert_eq!(early.plugin(), OrchestratorPlugin::NAME);
    let agent = Agent::builder()
        .plugin(status.clone())
        .plugin(resync)
        .plugin(plugin.clone())
        .plugin(scheduler.clone())
        .plugin(sync)
        .plugin(status.clone())
        .with_args(["test"])
        .with_env(Vec::<(String, String)>::new())
        .build()?
        .start()
        .await?;
    // No watch: the orchestrator never shows in the status check.
    assert!(status.plugin_status(OrchestratorPlugin::NAME).is_none());
    let key = "config/none/v1/a";
    plugin
        .orchestrator()?
        .source(LOCAL_SOURCE)
        .txn()
        .put(key, Value::from_json(json!(1)))
        .commit()
        .await?;
    let state = scheduler.scheduler()?.status(key).value.state;
    assert_eq!(state, ValueState::Unimplemented);
    agent.stop().await?;
    Ok(())
}
