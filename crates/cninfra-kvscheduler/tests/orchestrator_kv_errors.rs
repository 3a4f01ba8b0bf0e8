//! Values the scheduler cannot apply: the data sync acknowledgement fails naming the key,
//! so it shows in the status check; a fixed value turns the status back to OK.

mod agent_stack;

use agent_stack::{IF_JSON, MAC, Stack, put};
use cninfra_health::State;
use cninfra_kv::MemoryStore;
use cninfra_kvscheduler::ValueState;
use cninfra_kvscheduler_example::{fib_key, interface_key};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_that_is_not_json_fails_the_ack_with_its_key() {
    let store = MemoryStore::new();
    let stack = Stack::start(&store).await;
    let key = interface_key("tap1");

    put(&store, &key, "{not json").await;
    let error = stack
        .wait_plugin_state(State::Error)
        .await
        .unwrap_or_default();
    assert!(error.contains(&key), "{error}");
    assert!(error.contains("is not JSON"), "{error}");
    // Nothing reached the scheduler.
    assert_eq!(
        stack.scheduler().status(&key).value.state,
        ValueState::Nonexistent
    );
    assert!(stack.dataplane().calls().is_empty());

    // The fix applies and the status recovers.
    put(&store, &key, IF_JSON).await;
    stack.wait_state(&key, ValueState::Configured).await;
    assert_eq!(stack.wait_plugin_state(State::Ok).await, None);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_the_descriptor_rejects_fails_the_ack_with_its_key() {
    let store = MemoryStore::new();
    let stack = Stack::start(&store).await;
    let key = interface_key("tap1");

    // Upstream's enum by a name it does not have: the value does not decode.
    put(&store, &key, r#"{"name":"tap1","type":"warp-drive"}"#).await;
    let status = stack.wait_state(&key, ValueState::Invalid).await;
    assert_eq!(status.value.details, ["type"]);
    let error = stack
        .wait_plugin_state(State::Error)
        .await
        .unwrap_or_default();
    assert!(error.contains(&key), "{error}");
    let expected = format!(
        "plugin `orchestrator` failed to apply the change of `{key}`: source `datasync`: \
         transaction #"
    );
    assert!(error.starts_with(&expected), "{error}");
    let expected = format!(
        "failed: VALIDATE `{key}`: value of `{key}` is not a valid \
         `ligato.vpp.interfaces.Interface`: field `type`: "
    );
    assert!(error.contains(&expected), "{error}");
    assert!(error.contains("warp-drive"), "{error}");

    put(&store, &key, IF_JSON).await;
    stack.wait_state(&key, ValueState::Configured).await;
    assert_eq!(stack.wait_plugin_state(State::Ok).await, None);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_values_in_the_startup_resync_fail_it_and_the_rest_applies() {
    let store = MemoryStore::new();
    let (good, broken, invalid, undecodable) = (
        interface_key("tap1"),
        interface_key("tap2"),
        interface_key("tap3"),
        fib_key("bd1", MAC),
    );
    put(&store, &good, IF_JSON).await;
    put(&store, &broken, "[1,").await;
    put(&store, &invalid, r#"{"name":"wrong-name","type":"TAP"}"#).await;
    put(
        &store,
        &undecodable,
        r#"{"phys_address":"62:89:c6:a3:7e:3a","bridge_domain":"bd1","outgoing_interface":"tap1","action":"FORWARDX"}"#,
    )
    .await;

    let stack = Stack::start(&store).await;
    stack.wait_state(&good, ValueState::Configured).await;
    stack.wait_state(&invalid, ValueState::Invalid).await;
    let status = stack.wait_state(&undecodable, ValueState::Invalid).await;
    assert_eq!(status.value.details, ["action"]);
    for part in [
        undecodable.as_str(),
        "`ligato.vpp.l2.FIBEntry`",
        "field `action`",
    ] {
        assert!(status.value.error.contains(part), "{part}: {status:?}");
    }
    let error = stack
        .wait_plugin_state(State::Error)
        .await
        .unwrap_or_default();
    assert!(error.contains("the resync"), "{error}");
    assert!(error.contains(&broken), "{error}");
    assert!(error.contains(&invalid), "{error}");
    assert!(error.contains(&undecodable), "{error}");
    assert!(!error.contains(&good), "{error}");
    assert_eq!(
        stack.scheduler().status(&broken).value.state,
        ValueState::Nonexistent
    );
    assert_eq!(stack.dataplane().calls(), ["create interface tap1"]);
    stack.stop().await;
}
