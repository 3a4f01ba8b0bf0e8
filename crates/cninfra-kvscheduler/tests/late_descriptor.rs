//! Values without a descriptor are UNIMPLEMENTED and are applied once one registers.

mod scheduler_fixture;

use cninfra_kvscheduler::testkit::TestDescriptor;
use cninfra_kvscheduler::{TxnType, ValueState};
use scheduler_fixture::{describe, setup, tv, v};

#[tokio::test]
async fn unimplemented_values_are_picked_up_when_the_descriptor_registers() -> anyhow::Result<()> {
    let (s, sb) = setup();
    s.txn()
        .put("c/1", v("one"))
        .put("c/2", v("two"))
        .put("a/user", tv("u").with_deps(["c/1"]).value())
        .commit()
        .await?;
    assert_eq!(s.status("c/1").value.state, ValueState::Unimplemented);
    assert_eq!(s.status("a/user").value.state, ValueState::Pending);
    assert!(sb.take_calls().is_empty());
    assert!(s.registered_nb_key_prefixes().iter().all(|p| p != "c/"));

    let mut watch = s.watch_status(&["a/user"]);
    s.register(TestDescriptor::<true, true>::new("c", "c/", &sb))?;
    assert!(s.registered_nb_key_prefixes().iter().any(|p| p == "c/"));
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while let Some(update) = watch.recv().await {
            if update
                .status()
                .is_some_and(|s| s.value.state == ValueState::Configured)
            {
                break;
            }
        }
    })
    .await?;
    assert_eq!(
        sb.take_calls(),
        ["create c/1", "create a/user", "create c/2"]
    );
    let retry = s
        .txn_history(None, None)
        .into_iter()
        .find(|t| t.txn_type == TxnType::RetryUnimplOps)
        .expect("a retry of unimplemented values");
    let ops: Vec<String> = retry.executed.iter().map(describe).collect();
    assert_eq!(
        ops,
        [
            "CREATE [WAS-UNIMPLEMENTED] c/1",
            "CREATE [WAS-PENDING] a/user",
            "CREATE [WAS-UNIMPLEMENTED] c/2"
        ]
    );
    Ok(())
}

#[tokio::test]
async fn a_duplicate_descriptor_name_is_refused() {
    let (s, sb) = setup();
    let err = s
        .register(TestDescriptor::<true, true>::new("a", "x/", &sb))
        .unwrap_err();
    assert!(err.to_string().contains("`a`"), "{err}");
}
