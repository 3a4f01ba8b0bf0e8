//! Full, upstream and downstream resync against a southbound that drifts.

mod scheduler_fixture;

use cninfra_kvscheduler::testkit::TestValue;
use cninfra_kvscheduler::{ResyncKind, TxnError, ValueState};
use scheduler_fixture::{ops, setup, tv, v};

/// a/1, a/2, b/3 (depending on a/1) configured; then the southbound drifts: a/1 is gone,
/// a/2 changed, a/x appeared.
async fn drifted() -> anyhow::Result<(
    cninfra_kvscheduler::Scheduler,
    cninfra_kvscheduler::testkit::TestSouthbound,
)> {
    let (s, sb) = setup();
    s.txn()
        .put("a/1", v("one"))
        .put("a/2", v("two"))
        .put("b/3", tv("three").with_deps(["a/1"]).value())
        .commit()
        .await?;
    sb.drift("a/1", None);
    sb.drift("a/2", Some(TestValue::new("tampered")));
    sb.drift("a/x", Some(TestValue::new("stranger")));
    sb.take_calls();
    Ok((s, sb))
}

#[tokio::test]
async fn full_resync_corrects_drift_and_deletes_what_nb_dropped() -> anyhow::Result<()> {
    let (s, sb) = drifted().await?;
    // The new desired state drops b/3.
    let seq = s
        .txn()
        .put("a/1", v("one"))
        .put("a/2", v("two"))
        .with_resync(ResyncKind::Full)
        .commit()
        .await?;
    assert_eq!(sb.take_calls(), ["delete b/3", "create a/1", "update a/2"]);
    let got = ops(&s, seq);
    assert_eq!(
        got,
        ["DELETE b/3", "CREATE [WAS-MISSING] a/1", "UPDATE a/2"]
    );
    assert_eq!(sb.values()["a/2"].data, "two");
    // The stranger is kept as a southbound value.
    assert_eq!(s.status("a/x").value.state, ValueState::Obtained);
    assert!(sb.values().contains_key("a/x"));
    let record = s.recorded_txn(seq).expect("recorded");
    let text = record.to_text(false, false, 0);
    assert!(
        text.contains("- type: NB Transaction, Full Resync"),
        "{text}"
    );
    assert!(
        !text.contains("- key: a/x"),
        "SB values are hidden in a resync record: {text}"
    );
    Ok(())
}

#[tokio::test]
async fn upstream_resync_trusts_the_graph() -> anyhow::Result<()> {
    let (s, sb) = drifted().await?;
    let seq = s
        .txn()
        .put("a/1", v("one"))
        .put("a/2", v("two"))
        .with_resync(ResyncKind::Upstream)
        .commit()
        .await?;
    // No refresh: the drift stays; only b/3 (not asked for) goes.
    assert_eq!(sb.take_calls(), ["delete b/3"]);
    assert_eq!(ops(&s, seq), ["DELETE b/3"]);
    assert!(!sb.values().contains_key("a/1"));
    assert_eq!(sb.values()["a/2"].data, "tampered");
    assert_eq!(s.status("a/x").value.state, ValueState::Nonexistent);
    Ok(())
}

#[tokio::test]
async fn downstream_resync_restores_the_last_desired_state() -> anyhow::Result<()> {
    let (s, sb) = drifted().await?;
    let seq = s.txn().with_resync(ResyncKind::Downstream).commit().await?;
    assert_eq!(sb.take_calls(), ["create a/1", "update a/2"]);
    assert_eq!(ops(&s, seq), ["CREATE [WAS-MISSING] a/1", "UPDATE a/2"]);
    assert_eq!(s.status("b/3").value.state, ValueState::Configured);
    assert_eq!(sb.values()["a/2"].data, "two");
    let text = s
        .recorded_txn(seq)
        .expect("recorded")
        .to_text(false, false, 0);
    assert!(text.contains("- type: NB Transaction, SB Sync"), "{text}");
    assert!(
        !text.contains("- values"),
        "downstream resync prints no values: {text}"
    );
    // A downstream resync carries no values.
    let err = s
        .txn()
        .put("a/1", v("x"))
        .with_resync(ResyncKind::Downstream)
        .commit()
        .await
        .unwrap_err();
    assert_eq!(err, TxnError::DownstreamResyncWithValues { count: 1 });
    Ok(())
}

#[tokio::test]
async fn the_first_resync_correlates_with_what_already_exists() -> anyhow::Result<()> {
    let (s, sb) = setup();
    // The southbound has state from a previous run.
    sb.drift("a/same", Some(TestValue::new("same")));
    sb.drift("a/changed", Some(TestValue::new("before")));
    sb.drift("a/leftover", Some(TestValue::new("left")));
    let seq = s
        .txn()
        .put("a/same", v("same"))
        .put("a/changed", v("after"))
        .put("a/new", v("new"))
        .with_resync(ResyncKind::Full)
        .commit()
        .await?;
    // a/same exists as asked: no call, and DISCOVERED -> CONFIGURED is not an operation.
    assert_eq!(sb.take_calls(), ["create a/new", "update a/changed"]);
    assert_eq!(
        ops(&s, seq),
        ["CREATE a/new", "UPDATE [DISCOVERED] a/changed"]
    );
    assert_eq!(s.status("a/same").value.state, ValueState::Configured);
    assert_eq!(s.status("a/leftover").value.state, ValueState::Obtained);
    Ok(())
}
