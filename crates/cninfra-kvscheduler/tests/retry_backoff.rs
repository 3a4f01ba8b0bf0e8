//! Retries of failed operations with exponential back-off (tokio's paused clock).

mod scheduler_fixture;

use std::time::Duration;

use cninfra_kvscheduler::{RetryOptions, TxnError, TxnType, ValueState};
use scheduler_fixture::{setup, v};
use tokio::time::Instant;

/// Waits (virtual time) until `key` reaches `state`.
async fn wait_for(watch: &mut cninfra_kvscheduler::StatusWatch, key: &str, state: ValueState) {
    tokio::time::timeout(Duration::from_secs(3600), async {
        while let Some(update) = watch.recv().await {
            let Some(status) = update.status() else {
                continue;
            };
            if status.value.key == key && status.value.state == state {
                return;
            }
        }
    })
    .await
    .expect("state reached");
}

#[tokio::test(start_paused = true)]
async fn retries_double_their_delay_until_success() -> anyhow::Result<()> {
    let (s, sb) = setup();
    sb.fail_next("create", "a/x", 3, true);
    let mut watch = s.watch_status(&["a/x"]);
    let started = Instant::now();
    let err = s
        .txn()
        .put("a/x", v("x"))
        .with_retry_default()
        .commit()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, TxnError::Failed { errors, .. } if errors[0].key == "a/x"),
        "{err}"
    );
    assert_eq!(s.status("a/x").value.state, ValueState::Retrying);
    wait_for(&mut watch, "a/x", ValueState::Configured).await;
    // 1 s + 2 s + 4 s of back-off.
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(7) && waited < Duration::from_secs(8),
        "{waited:?}"
    );
    assert_eq!(sb.take_calls(), ["create a/x"; 4]);
    let retries: Vec<(Option<u64>, Option<u32>)> = s
        .txn_history(None, None)
        .iter()
        .filter(|t| t.txn_type == TxnType::RetryFailedOps)
        .map(|t| (t.retry_for_txn, t.retry_attempt))
        .collect();
    assert_eq!(
        retries,
        [(Some(0), Some(1)), (Some(1), Some(2)), (Some(2), Some(3))]
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn retries_stop_after_max_count() -> anyhow::Result<()> {
    let (s, sb) = setup();
    sb.fail_next("create", "a/x", 100, true);
    let mut watch = s.watch_status(&["a/x"]);
    let retry = RetryOptions {
        period: Duration::from_millis(100),
        max_count: 2,
        exp_backoff: false,
    };
    let _ = s.txn().put("a/x", v("x")).with_retry(retry).commit().await;
    wait_for(&mut watch, "a/x", ValueState::Failed).await;
    assert_eq!(sb.take_calls().len(), 3, "first try and two retries");
    // Nothing else is scheduled.
    tokio::time::sleep(Duration::from_secs(60)).await;
    s.barrier().await;
    assert!(sb.take_calls().is_empty());
    assert_eq!(s.status("a/x").value.state, ValueState::Failed);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn non_retriable_and_no_retry_option_fail_at_once() -> anyhow::Result<()> {
    let (s, sb) = setup();
    sb.fail_next("create", "a/p", 1, false);
    sb.fail_next("create", "a/q", 1, true);
    let _ = s
        .txn()
        .put("a/p", v("p"))
        .with_retry_default()
        .commit()
        .await;
    let _ = s.txn().put("a/q", v("q")).commit().await;
    assert_eq!(s.status("a/p").value.state, ValueState::Failed);
    assert_eq!(s.status("a/q").value.state, ValueState::Failed);
    tokio::time::sleep(Duration::from_secs(60)).await;
    s.barrier().await;
    assert_eq!(sb.take_calls(), ["create a/p", "create a/q"]);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn an_obsolete_retry_is_skipped() -> anyhow::Result<()> {
    let (s, sb) = setup();
    sb.fail_next("create", "a/x", 1, true);
    let _ = s
        .txn()
        .put("a/x", v("x1"))
        .with_retry_default()
        .commit()
        .await;
    // A newer request for the key before the retry fires: the retry must not re-apply x1.
    s.txn().put("a/x", v("x2")).commit().await?;
    tokio::time::sleep(Duration::from_secs(5)).await;
    s.barrier().await;
    assert_eq!(sb.take_calls(), ["create a/x", "create a/x"]);
    assert_eq!(sb.values()["a/x"].data, "x2");
    let retries = s
        .txn_history(None, None)
        .iter()
        .filter(|t| t.txn_type == TxnType::RetryFailedOps)
        .count();
    assert_eq!(retries, 0);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn failed_delete_is_retried() -> anyhow::Result<()> {
    let (s, sb) = setup();
    s.txn().put("a/x", v("x")).commit().await?;
    sb.fail_next("delete", "a/x", 1, true);
    let mut watch = s.watch_status(&["a/x"]);
    let _ = s.txn().delete("a/x").with_retry_default().commit().await;
    assert_eq!(s.status("a/x").value.state, ValueState::Retrying);
    // Watchers see the transient REMOVED; then the value is gone.
    wait_for(&mut watch, "a/x", ValueState::Removed).await;
    assert_eq!(s.status("a/x").value.state, ValueState::Nonexistent);
    assert!(sb.is_empty());
    assert_eq!(sb.take_calls(), ["create a/x", "delete a/x", "delete a/x"]);
    Ok(())
}
