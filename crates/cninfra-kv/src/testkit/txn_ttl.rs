//! Checks of transactions and TTLs, and that stores lacking them say so.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;

use super::harness::{Check, WAIT};
use super::{CheckResult, Outcome};
use crate::store::{KvStore, PutOptions};
use crate::txn::Txn;
use crate::watch::{ChangeKind, WatchEvent};

/// A transaction applies all its operations at one revision; a transaction holding an
/// invalid operation (an empty key) fails and applies nothing. A store without
/// transactions must refuse them with `Unsupported`.
pub async fn txn_atomicity(store: &Arc<dyn KvStore>, prefix: &str) -> CheckResult {
    let c = Check::start("txn_atomicity", store, prefix).await?;
    let result = txn_body(&c).await;
    c.finish(result).await
}

async fn txn_body(c: &Check) -> CheckResult {
    if !c.caps.txn {
        let result = Txn::new().put(c.key("t"), "v").commit(&*c.store).await;
        return match result {
            Err(err) if err.is_unsupported() => Ok(Outcome::skipped(
                "the store has no transactions (and says so with Unsupported)",
            )),
            other => Err(c.fail(format!(
                "the store claims no transactions but a txn returned {other:?}"
            ))),
        };
    }
    c.put("old", "v").await?;
    let txn = Txn::new()
        .put(c.key("t1"), "1")
        .put(c.key("t2"), "2")
        .delete(c.key("old"));
    let revision = c.op("txn", txn.commit(&*c.store).await)?;
    let t1 = c.get("t1").await?;
    let t2 = c.get("t2").await?;
    c.ensure(
        t1.as_ref().is_some_and(|v| v.value == "1") && t2.as_ref().is_some_and(|v| v.value == "2"),
        format!("after a txn putting t1 and t2 they read {t1:?} and {t2:?}"),
    )?;
    c.ensure(
        c.get("old").await?.is_none(),
        "a txn delete left the key in place",
    )?;
    if c.caps.revisions {
        let revs = (t1.map(|v| v.revision), t2.map(|v| v.revision));
        c.ensure(
            revs == (Some(revision), Some(revision)),
            format!("txn returned revision {revision} but its keys report {revs:?}"),
        )?;
    }

    let bad = Txn::new()
        .put(c.key("t3"), "3")
        .delete(c.key("t1"))
        .put("", "invalid key");
    let result = bad.commit(&*c.store).await;
    c.ensure(
        result.is_err(),
        format!("a txn with an empty key succeeded: {result:?}"),
    )?;
    c.ensure(
        c.get("t3").await?.is_none(),
        "a failed txn still applied its put",
    )?;
    c.ensure(
        c.get("t1").await?.is_some(),
        "a failed txn still applied its delete",
    )?;
    Ok(Outcome::Passed)
}

/// A key put with a TTL is readable at once and gone after it (a watch, when the store
/// has one, reports the delete). A store without TTLs must refuse such a put with
/// `Unsupported` rather than keep the key forever.
pub async fn ttl_expiry(store: &Arc<dyn KvStore>, prefix: &str) -> CheckResult {
    let c = Check::start("ttl_expiry", store, prefix).await?;
    let result = ttl_body(&c).await;
    c.finish(result).await
}

async fn ttl_body(c: &Check) -> CheckResult {
    let key = c.key("short");
    let options = PutOptions::default().with_ttl(Duration::from_secs(1));
    if !c.caps.ttl {
        let result = c.store.put(&key, Bytes::from_static(b"v"), options).await;
        return match result {
            Err(err) if err.is_unsupported() => Ok(Outcome::skipped(
                "the store has no TTL (and says so with Unsupported)",
            )),
            other => Err(c.fail(format!(
                "the store claims no TTL but a put with TTL returned {other:?}"
            ))),
        };
    }
    let mut watch = if c.caps.watch {
        Some(c.watch(&["short"], None).await?)
    } else {
        None
    };
    c.put("long", "stays").await?;
    let put = c.store.put(&key, Bytes::from_static(b"v"), options).await;
    c.op(&format!("put `{key}` with a 1 s TTL"), put)?;
    c.ensure(
        c.get("short").await?.is_some(),
        "a key with a 1 s TTL is not readable at once",
    )?;

    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if c.get("short").await?.is_none() {
            break;
        }
        if tokio::time::Instant::now() > deadline {
            return Err(c.fail(format!("a key with a 1 s TTL still exists after {WAIT:?}")));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    c.ensure(
        c.get("long").await?.is_some(),
        "a key without TTL expired too",
    )?;
    if let Some(watch) = watch.as_mut() {
        let put = c.next_change(watch, "waiting for the put with TTL").await?;
        c.ensure(
            put.kind == ChangeKind::Put,
            format!("first event is {:?}, not the put", put.kind),
        )?;
        match tokio::time::timeout(WAIT, watch.next()).await {
            Ok(Some(Ok(WatchEvent::Change(change))))
                if change.kind == ChangeKind::Delete && change.key == key => {}
            other => {
                return Err(c.fail(format!(
                    "expected a delete event when the TTL passed, got {other:?}"
                )));
            }
        }
    }
    Ok(Outcome::Passed)
}
