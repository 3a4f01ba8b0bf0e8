//! Dependency cycles: a strongly connected group counts as one value.

mod scheduler_fixture;

use cninfra_kvscheduler::ValueState;
use scheduler_fixture::{ops, setup, tv, v};

#[tokio::test]
async fn two_values_depending_on_each_other_are_created() -> anyhow::Result<()> {
    let (s, sb) = setup();
    let seq = s
        .txn()
        .put("a/x", tv("x").with_deps(["b/y"]).value())
        .put("b/y", tv("y").with_deps(["a/x"]).value())
        .commit()
        .await?;
    assert_eq!(sb.take_calls(), ["create b/y", "create a/x"]);
    assert_eq!(ops(&s, seq), ["CREATE b/y", "CREATE a/x"]);
    assert_eq!(s.status("a/x").value.state, ValueState::Configured);
    assert_eq!(s.status("b/y").value.state, ValueState::Configured);
    Ok(())
}

#[tokio::test]
async fn a_cycle_waits_for_its_outside_dependency() -> anyhow::Result<()> {
    let (s, sb) = setup();
    s.txn()
        .put("a/x", tv("x").with_deps(["b/y"]).value())
        .put("b/y", tv("y").with_deps(["a/x", "a/ext"]).value())
        .commit()
        .await?;
    assert!(sb.take_calls().is_empty());
    assert_eq!(s.status("a/x").value.state, ValueState::Pending);
    // Upstream lists every dependency without an available target (the cycle member too).
    assert_eq!(s.status("b/y").value.details, ["a/x", "a/ext"]);
    s.txn().put("a/ext", v("e")).commit().await?;
    assert_eq!(
        sb.take_calls(),
        ["create a/ext", "create b/y", "create a/x"]
    );

    // Removing the outside dependency takes the whole cycle down, dependants first.
    s.txn().delete("a/ext").commit().await?;
    assert_eq!(
        sb.take_calls(),
        ["delete a/x", "delete b/y", "delete a/ext"]
    );
    assert_eq!(s.status("a/x").value.state, ValueState::Pending);
    assert_eq!(s.status("b/y").value.state, ValueState::Pending);
    Ok(())
}

#[tokio::test]
async fn deleting_a_member_makes_the_other_pending() -> anyhow::Result<()> {
    let (s, sb) = setup();
    s.txn()
        .put("a/x", tv("x").with_deps(["b/y"]).value())
        .put("b/y", tv("y").with_deps(["a/x"]).value())
        .commit()
        .await?;
    sb.take_calls();
    let seq = s.txn().delete("a/x").commit().await?;
    assert_eq!(sb.take_calls(), ["delete b/y", "delete a/x"]);
    assert_eq!(ops(&s, seq), ["DELETE [IS-PENDING] b/y", "DELETE a/x"]);
    assert_eq!(s.status("b/y").value.state, ValueState::Pending);
    assert_eq!(s.status("b/y").value.details, ["a/x"]);
    Ok(())
}

#[tokio::test]
async fn three_cycle_and_self_loop() -> anyhow::Result<()> {
    let (s, sb) = setup();
    s.txn()
        .put("a/1", tv("1").with_deps(["a/2"]).value())
        .put("a/2", tv("2").with_deps(["a/3"]).value())
        .put("a/3", tv("3").with_deps(["a/1"]).value())
        .put("b/self", tv("s").with_deps(["b/self"]).value())
        .commit()
        .await?;
    let calls = sb.take_calls();
    assert_eq!(calls.len(), 4, "{calls:?}");
    for key in ["a/1", "a/2", "a/3", "b/self"] {
        assert_eq!(s.status(key).value.state, ValueState::Configured, "{key}");
    }
    Ok(())
}

#[tokio::test]
async fn a_long_pending_chain_is_handled_without_blowing_up() -> anyhow::Result<()> {
    // 2000 values in a chain whose root is missing: all pending; the root appears: all
    // created, in dependency order; it goes: all deleted, dependants first.
    let (s, sb) = setup();
    let n = 2000;
    let mut txn = s.txn();
    for i in 1..=n {
        txn = txn.put(
            format!("a/{i:05}"),
            tv("c").with_deps([format!("a/{:05}", i - 1)]).value(),
        );
    }
    txn.commit().await?;
    assert!(sb.is_empty());
    s.txn().put("a/00000", v("root")).commit().await?;
    assert_eq!(sb.len(), n + 1);
    assert!(sb.violations().is_empty());
    s.txn().delete("a/00000").commit().await?;
    assert!(sb.is_empty());
    assert!(sb.violations().is_empty(), "{:?}", &sb.violations()[..3]);
    assert_eq!(
        s.status(&format!("a/{n:05}")).value.state,
        ValueState::Pending
    );
    Ok(())
}
