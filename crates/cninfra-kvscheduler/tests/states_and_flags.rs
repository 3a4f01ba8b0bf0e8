//! Every value state and every log flag, each produced by a real transaction.

mod scheduler_fixture;

use std::collections::BTreeSet;
use std::time::Duration;

use cninfra_kvscheduler::testkit::TestValue;
use cninfra_kvscheduler::{ResyncKind, RetryOptions, StatusUpdate, TxnError, ValueState};
use scheduler_fixture::{ops, setup, tv, v};

#[tokio::test]
async fn pending_created_and_removed_flags() -> anyhow::Result<()> {
    let (s, sb) = setup();
    let seq = s
        .txn()
        .put("a/x", tv("x").with_deps(["b/y"]).value())
        .commit()
        .await?;
    assert_eq!(ops(&s, seq), ["CREATE [NOOP IS-PENDING] a/x"]);
    let seq = s
        .txn()
        .put("a/x", tv("x2").with_deps(["b/y"]).value())
        .commit()
        .await?;
    assert_eq!(ops(&s, seq), ["CREATE [NOOP STILL-PENDING] a/x"]);
    let seq = s.txn().put("b/y", v("y")).commit().await?;
    assert_eq!(ops(&s, seq), ["CREATE b/y", "CREATE [WAS-PENDING] a/x"]);
    let seq = s.txn().delete("b/y").commit().await?;
    assert_eq!(ops(&s, seq), ["DELETE [IS-PENDING] a/x", "DELETE b/y"]);
    let seq = s.txn().delete("a/x").commit().await?;
    assert_eq!(ops(&s, seq), ["DELETE [NOOP WAS-PENDING] a/x"]);
    assert_eq!(s.status("a/x").value.state, ValueState::Nonexistent);
    assert_eq!(
        sb.take_calls(),
        ["create b/y", "create a/x", "delete a/x", "delete b/y"]
    );
    assert!(sb.violations().is_empty(), "{:?}", sb.violations());
    Ok(())
}

#[tokio::test]
async fn update_noop_and_recreate_flags() -> anyhow::Result<()> {
    let (s, sb) = setup();
    s.txn().put("a/x", v("1")).commit().await?;
    let seq = s.txn().put("a/x", v("2")).commit().await?;
    assert_eq!(ops(&s, seq), ["UPDATE a/x"]);
    let seq = s.txn().put("a/x", v("2")).commit().await?;
    assert!(
        ops(&s, seq).is_empty(),
        "an equal value is not an operation"
    );
    let mut recreate = tv("3");
    recreate.recreate = true;
    let seq = s.txn().put("a/x", recreate.value()).commit().await?;
    assert_eq!(
        ops(&s, seq),
        ["DELETE [RECREATE] a/x", "CREATE [RECREATE] a/x"]
    );
    assert_eq!(
        sb.take_calls(),
        ["create a/x", "update a/x", "delete a/x", "create a/x"]
    );
    Ok(())
}

#[tokio::test]
async fn obtained_unimplemented_invalid_and_failure_flags() -> anyhow::Result<()> {
    let (s, sb) = setup();
    // OBTAINED: a southbound notification.
    s.push_sb_notification(vec![("b/sb".into(), Some(v("from sb")))])?;
    s.barrier().await;
    assert_eq!(s.status("b/sb").value.state, ValueState::Obtained);
    let seq = s.txn_history(None, None).last().expect("txn").seq_num;
    assert_eq!(ops(&s, seq), ["CREATE [OBTAINED] b/sb"]);
    // UNIMPLEMENTED: no descriptor for `z/`.
    let seq = s.txn().put("z/1", v("z")).commit().await?;
    assert_eq!(ops(&s, seq), ["CREATE [NOOP UNIMPLEMENTED] z/1"]);
    assert_eq!(s.status("z/1").value.state, ValueState::Unimplemented);
    // INVALID, STILL-INVALID, FIXED.
    let err = s
        .txn()
        .put("a/v", tv("v").with_invalid(["f"]).value())
        .commit()
        .await
        .unwrap_err();
    assert!(matches!(err, TxnError::Failed { .. }), "{err}");
    let seq = s.txn_history(None, None).last().expect("txn").seq_num;
    assert_eq!(ops(&s, seq), ["CREATE [INVALID] a/v"]);
    let seq = match s
        .txn()
        .put("a/v", tv("w").with_invalid(["g"]).value())
        .commit()
        .await
    {
        Err(TxnError::Failed { seq, .. }) => seq,
        other => panic!("{other:?}"),
    };
    assert_eq!(ops(&s, seq), ["CREATE [STILL-INVALID] a/v"]);
    let seq = s.txn().put("a/v", v("ok")).commit().await?;
    assert_eq!(ops(&s, seq), ["CREATE [FIXED] a/v"]);
    // FAILED, STILL-FAILING (through a retry) and FIXED.
    sb.fail_next("create", "a/f", 2, true);
    let retry = RetryOptions {
        period: Duration::from_millis(20),
        max_count: 5,
        exp_backoff: false,
    };
    let mut watch = s.watch_status(&["a/f"]);
    let seq = match s.txn().put("a/f", v("f")).with_retry(retry).commit().await {
        Err(TxnError::Failed { seq, .. }) => seq,
        other => panic!("{other:?}"),
    };
    assert_eq!(ops(&s, seq), ["CREATE [FAILED] a/f"]);
    tokio::time::timeout(Duration::from_secs(10), async {
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
    let flags: Vec<String> = s
        .txn_history(None, None)
        .iter()
        .filter(|t| t.seq_num > seq)
        .flat_map(|t| {
            t.executed
                .iter()
                .map(scheduler_fixture::describe)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(
        flags,
        [
            "CREATE [RETRY STILL-FAILING] a/f",
            "CREATE [RETRY FIXED] a/f"
        ]
    );
    Ok(())
}

#[tokio::test]
async fn missing_discovered_and_removed_after_refresh() -> anyhow::Result<()> {
    let (s, sb) = setup();
    s.txn()
        .put("a/m", v("m"))
        .put("a/r", v("r"))
        .commit()
        .await?;
    // The southbound loses a/m and gains a/extra behind the scheduler's back.
    sb.drift("a/m", None);
    sb.drift("a/extra", Some(tv("extra")));
    let seq = s
        .txn()
        .put("a/m", v("m"))
        .put("a/r", v("r"))
        .with_resync(ResyncKind::Full)
        .commit()
        .await?;
    let got = ops(&s, seq);
    assert!(
        got.contains(&"CREATE [WAS-MISSING] a/m".to_owned()),
        "{got:?}"
    );
    // a/extra is not asked for and its origin is unknown: kept as OBTAINED.
    assert_eq!(s.status("a/extra").value.state, ValueState::Obtained);
    assert_eq!(s.status("a/m").value.state, ValueState::Configured);
    Ok(())
}

#[tokio::test]
async fn every_state_is_reachable() -> anyhow::Result<()> {
    let (s, sb) = setup();
    let mut seen = BTreeSet::new();
    let mut watch = s.watch_status(&[]);
    s.txn().put("a/ok", v("ok")).commit().await?;
    s.txn()
        .put("a/p", tv("p").with_deps(["b/none"]).value())
        .commit()
        .await?;
    let _ = s
        .txn()
        .put("a/i", tv("i").with_invalid(["x"]).value())
        .commit()
        .await;
    s.txn().put("z/u", v("u")).commit().await?;
    sb.fail_next("create", "a/f", 1, false);
    let _ = s.txn().put("a/f", v("f")).commit().await;
    sb.fail_next("create", "a/r", 1, true);
    let _ = s
        .txn()
        .put("a/r", v("r"))
        .with_retry(RetryOptions {
            period: Duration::from_secs(3600),
            ..RetryOptions::default()
        })
        .commit()
        .await;
    s.push_sb_notification(vec![("b/o".into(), Some(v("o")))])?;
    s.barrier().await;
    s.txn().delete("a/ok").commit().await?;
    // MISSING: configured, then gone from the southbound, seen by a downstream resync
    // that cannot re-create it.
    s.txn().put("a/gone", v("g")).commit().await?;
    sb.drift("a/gone", None);
    sb.fail_next("create", "a/gone", 1, false);
    sb.drift("b/disc", Some(TestValue::new("d")));
    let _ = s.txn().with_resync(ResyncKind::Downstream).commit().await;
    while let Some(update) = watch.try_recv() {
        let Some(status) = update.status() else {
            panic!("the watch lagged: {update:?}");
        };
        seen.insert(status.value.state);
        seen.extend(status.derived_values.iter().map(|d| d.state));
    }
    for t in s.txn_history(None, None) {
        seen.extend(t.executed.iter().map(|op| op.new_state));
        seen.extend(t.executed.iter().map(|op| op.prev_state));
    }
    // DISCOVERED needs the first resync to correlate an NB value with the southbound.
    let (s2, sb2) = setup();
    sb2.drift("a/d", Some(TestValue::new("d")));
    s2.txn()
        .put("a/d", v("d-new"))
        .with_resync(ResyncKind::Full)
        .commit()
        .await?;
    let first = s2.txn_history(None, None);
    seen.extend(
        first
            .iter()
            .flat_map(|t| t.executed.iter().map(|op| op.prev_state)),
    );
    for state in ValueState::ALL {
        assert!(seen.contains(&state), "{state} never seen in {seen:?}");
    }
    Ok(())
}

#[tokio::test]
async fn a_slow_status_watcher_gets_a_lag_signal_then_later_updates() -> anyhow::Result<()> {
    let (s, _sb) = setup();
    let mut slow = s.watch_status_with_capacity(&["a/"], 2);
    for i in 0..5 {
        s.txn().put(format!("a/{i}"), v("x")).commit().await?;
    }
    // Five updates into a queue of two: two overflows dropped four updates in all.
    assert_eq!(slow.try_recv(), Some(StatusUpdate::Lagged { missed: 4 }));
    let next = slow.try_recv().expect("the update after the signal");
    assert_eq!(next.status().map(|st| st.value.key.as_str()), Some("a/4"));
    assert_eq!(slow.try_recv(), None);
    assert_eq!((slow.dropped(), s.stats().dropped_status_updates), (4, 4));
    // The watcher re-reads the state, and later updates come as usual.
    assert_eq!(s.status("a/0").value.state, ValueState::Configured);
    s.txn().delete("a/0").commit().await?;
    let update = slow.recv().await.expect("an update");
    assert_eq!(
        update
            .status()
            .map(|st| (st.value.key.as_str(), st.value.state)),
        Some(("a/0", ValueState::Removed))
    );
    Ok(())
}
