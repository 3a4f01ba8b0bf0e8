//! Validation: invalid values end INVALID with the invalid fields as details.

use cninfra_kvscheduler::{
    DescriptorError, Scheduler, SchedulerConfig, TxnError, TxnOperation, Value, ValueState,
};
use cninfra_kvscheduler_example::{self as example, Dataplane, fib_key, interface_key};
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
    let bad = json!({"phys_address": "zz:zz", "bridge_domain": "bd1",
        "outgoing_interface": "if1", "action": "teleport"});
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
    let key = interface_key("if1");
    s.txn()
        .put(
            key.clone(),
            Value::from_json(json!({"name": "if1", "type": "ethernet"})),
        )
        .commit()
        .await?;
    let err = s
        .txn()
        .put(
            key.clone(),
            Value::from_json(json!({"name": "if1", "type": "warp-drive"})),
        )
        .commit()
        .await
        .unwrap_err();
    assert!(matches!(err, TxnError::Failed { .. }));
    assert_eq!(s.status(&key).value.details, ["type"]);
    s.txn()
        .put(
            key.clone(),
            Value::from_json(json!({"name": "if1", "type": "tap"})),
        )
        .commit()
        .await?;
    assert_eq!(s.status(&key).value.state, ValueState::Configured);
    // The invalid update removed the old interface; the valid one creates it again.
    assert_eq!(
        dataplane.take_calls(),
        [
            "create interface if1",
            "delete interface if1",
            "create interface if1"
        ]
    );
    assert_eq!(dataplane.interfaces()[0].kind, "tap");
    Ok(())
}

#[tokio::test]
async fn json_that_does_not_fit_the_type_is_invalid_and_names_the_key() -> anyhow::Result<()> {
    let (s, _dataplane) = setup().await?;
    let key = interface_key("if1");
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
        matches!(errors[0].error, DescriptorError::WrongType { .. }),
        "{err}"
    );
    assert!(errors[0].error.to_string().contains(&key));
    assert_eq!(s.status(&key).value.state, ValueState::Invalid);
    Ok(())
}

#[tokio::test]
async fn a_name_that_does_not_match_the_key_is_invalid() -> anyhow::Result<()> {
    let (s, _dataplane) = setup().await?;
    let key = interface_key("if1");
    let _ = s
        .txn()
        .put(
            key.clone(),
            Value::from_json(json!({"name": "if2", "type": "ethernet"})),
        )
        .commit()
        .await;
    assert_eq!(s.status(&key).value.details, ["name"]);
    Ok(())
}
