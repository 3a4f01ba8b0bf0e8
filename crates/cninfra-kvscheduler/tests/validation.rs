//! Validation: invalid values end INVALID with the invalid fields as details.

use cninfra_kvscheduler::{
    DescriptorError, Scheduler, SchedulerConfig, TxnError, TxnOperation, Value, ValueState,
};
use cninfra_kvscheduler_example::{
    self as example, Dataplane, bridge_domain_key, fib_key, interface_key,
};
use cninfra_ligato::vpp::interfaces::interface::Type;
use serde_json::json;

async fn setup() -> anyhow::Result<(Scheduler, Dataplane)> {
    let scheduler = Scheduler::new(SchedulerConfig::default())?;
    let dataplane = Dataplane::new();
    example::register_all(&scheduler, &dataplane)?;
    Ok((scheduler, dataplane))
}

#[tokio::test]
async fn invalid_fields_are_reported() -> anyhow::Result<()> {
    let (s, dataplane) = setup().await?;
    let key = fib_key("bd1", "zz:zz");
    // An enum number the enum does not have decodes (proto3 enums are open) and fails
    // validation.
    let bad = json!({"phys_address": "zz:zz", "bridge_domain": "bd1",
        "outgoing_interface": "tap1", "action": 7});
    let err = s
        .txn()
        .put(key.clone(), Value::from_json(bad))
        .commit()
        .await
        .unwrap_err();
    let TxnError::Failed { errors, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(errors[0].key, key);
    assert_eq!(errors[0].operation, TxnOperation::Validate);
    assert_eq!(errors[0].error.invalid_fields(), ["phys_address", "action"]);
    assert!(err.to_string().contains(&key), "{err}");
    let status = s.status(&key).value;
    assert_eq!(status.state, ValueState::Invalid);
    assert_eq!(status.details, ["phys_address", "action"]);
    assert_eq!(status.last_operation, TxnOperation::Validate);
    assert!(
        status
            .error
            .contains("invalid fields: phys_address, action"),
        "{}",
        status.error
    );
    assert!(dataplane.calls().is_empty());
    Ok(())
}

#[tokio::test]
async fn an_invalid_update_keeps_nothing_half_done_and_a_valid_one_fixes_it() -> anyhow::Result<()>
{
    let (s, dataplane) = setup().await?;
    let key = interface_key("tap1");
    s.txn()
        .put(
            key.clone(),
            Value::from_json(json!({"name": "tap1", "type": "SOFTWARE_LOOPBACK"})),
        )
        .commit()
        .await?;
    let err = s
        .txn()
        .put(
            key.clone(),
            Value::from_json(json!({"name": "tap1", "type": "UNDEFINED_TYPE"})),
        )
        .commit()
        .await
        .unwrap_err();
    assert!(matches!(err, TxnError::Failed { .. }));
    assert_eq!(s.status(&key).value.details, ["type"]);
    s.txn()
        .put(
            key.clone(),
            Value::from_json(json!({"name": "tap1", "type": "TAP"})),
        )
        .commit()
        .await?;
    assert_eq!(s.status(&key).value.state, ValueState::Configured);
    // The invalid update removed the old interface; the valid one creates it again.
    assert_eq!(
        dataplane.take_calls(),
        [
            "create interface tap1",
            "delete interface tap1",
            "create interface tap1"
        ]
    );
    assert_eq!(dataplane.interfaces()[0].r#type(), Type::Tap);
    Ok(())
}

#[tokio::test]
async fn json_that_does_not_decode_is_invalid_naming_key_message_and_field() -> anyhow::Result<()> {
    let (s, _dataplane) = setup().await?;
    let key = interface_key("tap1");
    let err = s
        .txn()
        .put(key.clone(), Value::from_json(json!({"name": 5})))
        .commit()
        .await
        .unwrap_err();
    let TxnError::Failed { errors, .. } = &err else {
        panic!("{err}")
    };
    assert!(
        matches!(errors[0].error, DescriptorError::Undecodable { .. }),
        "{err}"
    );
    let text = errors[0].error.to_string();
    let expected = format!(
        "value of `{key}` is not a valid `ligato.vpp.interfaces.Interface`: field `name`: "
    );
    assert!(text.starts_with(&expected), "{text}");
    let status = s.status(&key).value;
    assert_eq!(status.state, ValueState::Invalid);
    assert_eq!(status.details, ["name"]);
    assert_eq!(status.last_operation, TxnOperation::Validate);
    Ok(())
}

/// Upstream's FIB entry with an action its enum does not have, in one transaction with
/// its bridge domain and interface: the entry is INVALID, its error naming the key, the
/// message and the field, and the rest of the transaction is applied.
#[tokio::test]
async fn an_undecodable_value_is_invalid_and_the_rest_of_its_transaction_applies()
-> anyhow::Result<()> {
    let (s, dataplane) = setup().await?;
    let mac = "62:89:c6:a3:7e:3a";
    let (fib, bd, tap1) = (
        fib_key("bd1", mac),
        bridge_domain_key("bd1"),
        interface_key("tap1"),
    );
    let err = s
        .txn()
        .put(
            fib.clone(),
            Value::from_json(json!({"phys_address": mac, "bridge_domain": "bd1",
                "outgoing_interface": "tap1", "action": "FORWARDX"})),
        )
        .put(
            bd.clone(),
            Value::from_json(json!({"name": "bd1", "interfaces": [{"name": "tap1"}]})),
        )
        .put(
            tap1.clone(),
            Value::from_json(json!({"name": "tap1", "type": "TAP", "enabled": true})),
        )
        .commit()
        .await
        .unwrap_err();
    let TxnError::Failed { errors, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(errors.len(), 1, "{err}");
    assert_eq!(errors[0].key, fib);
    let status = s.status(&fib).value;
    assert_eq!(status.state, ValueState::Invalid);
    assert_eq!(status.details, ["action"]);
    for part in [
        fib.as_str(),
        "`ligato.vpp.l2.FIBEntry`",
        "field `action`",
        "FORWARDX",
    ] {
        assert!(status.error.contains(part), "{part}: {}", status.error);
    }
    assert_eq!(s.status(&bd).value.state, ValueState::Configured);
    assert_eq!(s.status(&tap1).value.state, ValueState::Configured);
    assert_eq!(
        dataplane.take_calls(),
        [
            "create bridge-domain bd1",
            "create interface tap1",
            "create bd-interface bd1/tap1",
        ]
    );

    // Fixed, the entry is created.
    s.txn()
        .put(
            fib.clone(),
            Value::from_json(json!({"phys_address": mac, "bridge_domain": "bd1",
                "outgoing_interface": "tap1", "action": "FORWARD"})),
        )
        .commit()
        .await?;
    assert_eq!(s.status(&fib).value.state, ValueState::Configured);
    assert_eq!(dataplane.take_calls(), [format!("create fib bd1/{mac}")]);
    Ok(())
}

#[tokio::test]
async fn a_name_that_does_not_match_the_key_is_invalid() -> anyhow::Result<()> {
    let (s, _dataplane) = setup().await?;
    let key = interface_key("tap1");
    let _ = s
        .txn()
        .put(
            key.clone(),
            Value::from_json(json!({"name": "tap2", "type": "TAP"})),
        )
        .commit()
        .await;
    assert_eq!(s.status(&key).value.details, ["name"]);
    Ok(())
}
