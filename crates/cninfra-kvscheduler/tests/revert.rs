//! Revert: undo the transaction on its first failure.

mod scheduler_fixture;

use cninfra_kvscheduler::{ResyncKind, TxnError, ValueState};
use scheduler_fixture::{ops, setup, v};

#[tokio::test]
async fn a_failure_reverts_what_the_transaction_did() -> anyhow::Result<()> {
    let (s, sb) = setup();
    s.txn()
        .put("a/1", v("old"))
        .put("a/9", v("old9"))
        .commit()
        .await?;
    sb.take_calls();
    sb.fail_next("update", "a/9", 1, true);
    // Order: creates (a/2), then updates (a/1, a/9); a/9 fails.
    let err = s
        .txn()
        .put("a/1", v("new"))
        .put("a/2", v("two"))
        .put("a/9", v("new9"))
        .with_revert()
        .commit()
        .await
        .unwrap_err();
    let TxnError::Failed { seq, errors } = err else {
        panic!("{err}")
    };
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].key, "a/9");
    assert_eq!(
        sb.take_calls(),
        [
            "create a/2",
            "update a/1",
            "update a/9",
            "update a/1",
            "delete a/2"
        ],
        "the revert undoes in reverse order (a/9 is back to its old value already)"
    );
    assert_eq!(sb.values()["a/1"].data, "old");
    assert_eq!(sb.values()["a/9"].data, "old9");
    assert!(!sb.values().contains_key("a/2"));
    let got = ops(&s, seq);
    assert_eq!(
        got[..3],
        ["CREATE a/2", "UPDATE a/1", "UPDATE [FAILED] a/9"],
        "{got:?}"
    );
    assert!(got.contains(&"UPDATE [REVERT] a/1".to_owned()), "{got:?}");
    assert!(got.contains(&"DELETE [REVERT] a/2".to_owned()), "{got:?}");
    assert_eq!(s.status("a/2").value.state, ValueState::Nonexistent);
    assert_eq!(s.status("a/1").value.state, ValueState::Configured);
    assert_eq!(s.status("a/9").value.state, ValueState::Configured);
    Ok(())
}

#[tokio::test]
async fn a_failed_create_is_reverted_to_nothing() -> anyhow::Result<()> {
    let (s, sb) = setup();
    sb.fail_next("create", "a/3", 1, true);
    let err = s
        .txn()
        .put("a/2", v("2"))
        .put("a/3", v("3"))
        .with_revert()
        .commit()
        .await
        .unwrap_err();
    let TxnError::Failed { seq, .. } = err else {
        panic!("{err}")
    };
    assert_eq!(sb.take_calls(), ["create a/2", "create a/3", "delete a/2"]);
    let got = ops(&s, seq);
    assert!(
        got.contains(&"CREATE [FAILED] a/3".to_owned()),
        "never RETRYING when reverting: {got:?}"
    );
    assert!(
        got.contains(&"DELETE [NOOP REVERT] a/3".to_owned()),
        "{got:?}"
    );
    assert_eq!(s.status("a/3").value.state, ValueState::Nonexistent);
    Ok(())
}

#[tokio::test]
async fn without_revert_the_rest_stays_applied() -> anyhow::Result<()> {
    let (s, sb) = setup();
    sb.fail_next("create", "a/2", 1, true);
    let err = s
        .txn()
        .put("a/1", v("1"))
        .put("a/2", v("2"))
        .put("a/3", v("3"))
        .commit()
        .await
        .unwrap_err();
    assert!(matches!(err, TxnError::Failed { .. }));
    assert_eq!(
        sb.values().keys().cloned().collect::<Vec<_>>(),
        ["a/1", "a/3"]
    );
    assert_eq!(s.status("a/2").value.state, ValueState::Failed);
    Ok(())
}

#[tokio::test]
async fn revert_is_refused_with_a_resync() {
    let (s, _sb) = setup();
    let err = s
        .txn()
        .with_resync(ResyncKind::Full)
        .with_revert()
        .commit()
        .await
        .unwrap_err();
    assert_eq!(err, TxnError::RevertWithResync);
}
