//! The seed's worked example, "configuration order", with the seed's keys and upstream's
//! values (vpp-agent's VPP L2 models over the simulated VPP): a FIB entry put before its
//! bridge domain and interface stays PENDING, is created when they appear, and is deleted
//! (kept pending) before the bridge domain is removed.

use cninfra_kvscheduler::{Scheduler, SchedulerConfig, Value, ValueState};
use cninfra_kvscheduler_example::{
    self as example, Dataplane, bd_interface_key, bridge_domain_key, fib_key, interface_key,
};
use serde_json::json;

const MAC: &str = "62:89:c6:a3:7e:3a";

fn fib() -> Value {
    Value::from_json(json!({"phys_address": MAC, "bridge_domain": "bd1",
        "outgoing_interface": "tap1", "action": "FORWARD"}))
}

fn bd() -> Value {
    Value::from_json(json!({"name": "bd1", "interfaces": [{"name": "tap1"}]}))
}

fn iface() -> Value {
    Value::from_json(json!({"name": "tap1", "type": "TAP", "enabled": true}))
}

/// (operation, flags, key) of each executed operation of transaction `seq`.
fn ops(scheduler: &Scheduler, seq: u64) -> Vec<(String, Vec<&'static str>, String)> {
    scheduler
        .recorded_txn(seq)
        .expect("recorded")
        .executed
        .iter()
        .map(|op| (op.operation.to_string(), op.flags(), op.key.to_string()))
        .collect()
}

fn op(operation: &str, flags: &[&'static str], key: &str) -> (String, Vec<&'static str>, String) {
    (operation.to_owned(), flags.to_vec(), key.to_owned())
}

#[tokio::test]
async fn fib_waits_for_bridge_domain_and_interface_and_goes_first() -> anyhow::Result<()> {
    let scheduler = Scheduler::new(SchedulerConfig::default())?;
    let dataplane = Dataplane::new();
    example::register_all(&scheduler, &dataplane)?;
    let fib_key = fib_key("bd1", MAC);
    let bd_key = bridge_domain_key("bd1");
    let if_key = interface_key("tap1");
    let member_key = bd_interface_key("bd1", "tap1");

    // 1. The FIB entry alone: pending on both dependencies, nothing called.
    let seq = scheduler.txn().put(fib_key.clone(), fib()).commit().await?;
    let status = scheduler.status(&fib_key).value;
    assert_eq!(status.state, ValueState::Pending);
    assert_eq!(status.details, ["bridge-domain", "bridged-interface"]);
    assert!(dataplane.take_calls().is_empty());
    assert_eq!(
        ops(&scheduler, seq),
        [op("CREATE", &["NOOP", "IS-PENDING"], &fib_key)]
    );

    // 2. Bridge domain and interface in one transaction: the FIB entry follows them.
    let seq = scheduler
        .txn()
        .put(if_key.clone(), iface())
        .put(bd_key.clone(), bd())
        .commit()
        .await?;
    assert_eq!(
        dataplane.take_calls(),
        [
            "create bridge-domain bd1",
            "create interface tap1",
            "create bd-interface bd1/tap1",
            "create fib bd1/62:89:c6:a3:7e:3a",
        ]
    );
    assert_eq!(
        ops(&scheduler, seq),
        [
            op("CREATE", &[], &bd_key),
            op("CREATE", &[], &if_key),
            op("CREATE", &["DERIVED"], &member_key),
            op("CREATE", &["WAS-PENDING"], &fib_key),
        ]
    );
    for key in [&fib_key, &bd_key, &if_key] {
        assert_eq!(
            scheduler.status(key).value.state,
            ValueState::Configured,
            "{key}"
        );
    }
    let bd_status = scheduler.status(&bd_key);
    assert_eq!(bd_status.derived_values.len(), 1);
    assert_eq!(bd_status.derived_values[0].key, member_key);
    assert_eq!(bd_status.derived_values[0].state, ValueState::Configured);

    // 3. The bridge domain goes: the FIB entry is deleted first and stays pending.
    let seq = scheduler.txn().delete(bd_key.clone()).commit().await?;
    assert_eq!(
        dataplane.take_calls(),
        [
            "delete fib bd1/62:89:c6:a3:7e:3a",
            "delete bd-interface bd1/tap1",
            "delete bridge-domain bd1",
        ]
    );
    assert_eq!(
        ops(&scheduler, seq),
        [
            op("DELETE", &["IS-PENDING"], &fib_key),
            op("DELETE", &["DERIVED"], &member_key),
            op("DELETE", &[], &bd_key),
        ]
    );
    let status = scheduler.status(&fib_key).value;
    assert_eq!(status.state, ValueState::Pending);
    assert_eq!(status.details, ["bridge-domain", "bridged-interface"]);
    assert_eq!(
        scheduler.status(&bd_key).value.state,
        ValueState::Nonexistent
    );
    assert_eq!(
        scheduler.status(&member_key).value.state,
        ValueState::Nonexistent
    );
    assert!(dataplane.fib_entries().is_empty());

    // 4. The bridge domain comes back: so does the FIB entry.
    scheduler.txn().put(bd_key.clone(), bd()).commit().await?;
    assert_eq!(
        dataplane.take_calls(),
        [
            "create bridge-domain bd1",
            "create bd-interface bd1/tap1",
            "create fib bd1/62:89:c6:a3:7e:3a",
        ]
    );
    assert_eq!(
        scheduler.status(&fib_key).value.state,
        ValueState::Configured
    );

    // 5. The interface goes: membership and FIB entry go before it, both pending.
    scheduler.txn().delete(if_key.clone()).commit().await?;
    assert_eq!(
        dataplane.take_calls(),
        [
            "delete fib bd1/62:89:c6:a3:7e:3a",
            "delete bd-interface bd1/tap1",
            "delete interface tap1",
        ]
    );
    let status = scheduler.status(&bd_key);
    assert_eq!(status.value.state, ValueState::Configured);
    assert_eq!(status.derived_values[0].state, ValueState::Pending);
    assert_eq!(status.derived_values[0].details, ["interface"]);
    assert_eq!(
        scheduler.status(&fib_key).value.details,
        ["bridged-interface"]
    );
    Ok(())
}

#[tokio::test]
async fn the_log_of_the_scenario_has_upstream_flags() -> anyhow::Result<()> {
    let scheduler = Scheduler::new(SchedulerConfig::default())?;
    let dataplane = Dataplane::new();
    example::register_all(&scheduler, &dataplane)?;
    let first = scheduler
        .txn()
        .put(fib_key("bd1", MAC), fib())
        .commit()
        .await?;
    let second = scheduler
        .txn()
        .put(interface_key("tap1"), iface())
        .put(bridge_domain_key("bd1"), bd())
        .with_description("bridge domain\nand its interface")
        .commit()
        .await?;
    let text = scheduler
        .recorded_txn(first)
        .expect("recorded")
        .to_text(false, false, 0);
    assert!(text.contains("1. CREATE [NOOP IS-PENDING]:"), "{text}");
    let text = scheduler
        .recorded_txn(second)
        .expect("recorded")
        .to_text(false, false, 0);
    assert!(text.contains("- type: NB Transaction"), "{text}");
    assert!(
        text.contains("- Description: bridge domain\n        and its interface"),
        "{text}"
    );
    assert!(text.contains("4. CREATE [WAS-PENDING]:\n        - key: config/vpp/l2/v2/fib/bd1/mac/62:89:c6:a3:7e:3a"), "{text}");
    assert!(text.contains("3. CREATE [DERIVED]:"), "{text}");
    Ok(())
}

#[tokio::test]
async fn a_drop_entry_needs_only_its_bridge_domain() -> anyhow::Result<()> {
    let scheduler = Scheduler::new(SchedulerConfig::default())?;
    let dataplane = Dataplane::new();
    example::register_all(&scheduler, &dataplane)?;
    let key = fib_key("bd1", MAC);
    scheduler
        .txn()
        .put(
            key.clone(),
            Value::from_json(
                json!({"phys_address": MAC, "bridge_domain": "bd1", "action": "DROP"}),
            ),
        )
        .commit()
        .await?;
    assert_eq!(scheduler.status(&key).value.details, ["bridge-domain"]);
    scheduler
        .txn()
        .put(
            bridge_domain_key("bd1"),
            Value::from_json(json!({"name": "bd1"})),
        )
        .commit()
        .await?;
    assert_eq!(scheduler.status(&key).value.state, ValueState::Configured);
    assert_eq!(
        dataplane.take_calls(),
        [
            "create bridge-domain bd1",
            "create fib bd1/62:89:c6:a3:7e:3a"
        ]
    );
    Ok(())
}
