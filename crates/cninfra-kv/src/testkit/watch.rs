//! Checks of watches: live events, replay from a revision, concurrent writers.

use std::collections::HashMap;
use std::sync::Arc;

use futures::future::try_join_all;

use super::harness::Check;
use super::{CheckFailure, CheckResult, Outcome};
use crate::store::{KvStore, PutOptions};
use crate::watch::{ChangeKind, KeyChange, WatchStream};

/// What one expected event looks like: kind, relative key, value, previous value.
type Expected<'a> = (ChangeKind, &'a str, &'a str, Option<&'a str>);

/// Reads `expected.len()` changes and compares them (previous values only when the store
/// reports them); revisions must increase (when the store has revisions). Returns the
/// revision of the last one.
async fn expect_changes(
    c: &Check,
    watch: &mut WatchStream,
    expected: &[Expected<'_>],
    mut last_revision: u64,
) -> Result<u64, CheckFailure> {
    for (i, (kind, rel, value, prev)) in expected.iter().enumerate() {
        let what = format!("waiting for event {i}: {kind:?} `{rel}`");
        let change = c.next_change(watch, &what).await?;
        let got = describe(&change);
        c.ensure(
            change.kind == *kind && change.key == c.key(rel),
            format!("event {i} is {got}, expected {kind:?} `{rel}`"),
        )?;
        if *kind == ChangeKind::Put {
            c.ensure(
                change.value == value.as_bytes(),
                format!("event {i} ({got}) carries the wrong value, expected `{value}`"),
            )?;
        }
        if c.caps.prev_values {
            c.ensure(
                change.prev_value.as_deref() == prev.map(str::as_bytes),
                format!(
                    "event {i} ({got}) has previous value {:?}, expected {prev:?}",
                    change.prev_value
                ),
            )?;
        }
        if c.caps.revisions {
            c.ensure(
                change.revision > last_revision,
                format!(
                    "event {i} ({got}) has revision {}, not above {last_revision}",
                    change.revision
                ),
            )?;
            last_revision = change.revision;
        }
    }
    Ok(last_revision)
}

fn describe(change: &KeyChange) -> String {
    format!(
        "{:?} `{}` at revision {}",
        change.kind, change.key, change.revision
    )
}

/// A watch started now sees later puts and deletes of its prefix, in order, with
/// previous values (when the store reports them).
pub async fn watch_live(store: &Arc<dyn KvStore>, prefix: &str) -> CheckResult {
    if !store.capabilities().watch {
        return Ok(Outcome::skipped("the store has no watch"));
    }
    let c = Check::start("watch_live", store, prefix).await?;
    let result = watch_live_body(&c).await;
    c.finish(result).await
}

async fn watch_live_body(c: &Check) -> CheckResult {
    let mut watch = c.watch(&[""], None).await?;
    c.put("a", "1").await?;
    c.put("a", "2").await?;
    c.delete("a", false).await?;
    c.put("b", "1").await?;
    let expected = [
        (ChangeKind::Put, "a", "1", None),
        (ChangeKind::Put, "a", "2", Some("1")),
        (ChangeKind::Delete, "a", "", Some("2")),
        (ChangeKind::Put, "b", "1", None),
    ];
    expect_changes(c, &mut watch, &expected, 0).await?;
    Ok(Outcome::Passed)
}

/// A watch from a past revision first replays every change since then (with previous
/// values), then carries live changes.
pub async fn watch_from_revision(store: &Arc<dyn KvStore>, prefix: &str) -> CheckResult {
    if !store.capabilities().watch_from_revision {
        return Ok(Outcome::skipped(
            "the store cannot watch from a past revision",
        ));
    }
    let c = Check::start("watch_from_revision", store, prefix).await?;
    let result = watch_from_revision_body(&c).await;
    c.finish(result).await
}

async fn watch_from_revision_body(c: &Check) -> CheckResult {
    let first = c.put("a", "1").await?;
    c.put("a", "2").await?;
    c.put("b", "1").await?;
    c.delete("a", false).await?;
    let mut watch = c.watch(&[""], Some(first)).await?;
    let history = [
        (ChangeKind::Put, "a", "1", None),
        (ChangeKind::Put, "a", "2", Some("1")),
        (ChangeKind::Put, "b", "1", None),
        (ChangeKind::Delete, "a", "", Some("2")),
    ];
    let last = expect_changes(c, &mut watch, &history, first.saturating_sub(1)).await?;
    c.put("b", "2").await?;
    expect_changes(
        c,
        &mut watch,
        &[(ChangeKind::Put, "b", "2", Some("1"))],
        last,
    )
    .await?;
    Ok(Outcome::Passed)
}

/// How many tasks and keys per task [`concurrent_writers`] uses.
pub const WRITERS: (usize, usize) = (8, 64);

/// Tasks writing distinct keys at once: every key is stored, and a watch started before
/// reports each put exactly once.
pub async fn concurrent_writers(store: &Arc<dyn KvStore>, prefix: &str) -> CheckResult {
    let c = Check::start("concurrent_writers", store, prefix).await?;
    let result = concurrent_writers_body(&c).await;
    c.finish(result).await
}

async fn concurrent_writers_body(c: &Check) -> CheckResult {
    let (tasks, per_task) = WRITERS;
    let mut watch = if c.caps.watch {
        Some(c.watch(&["w/", "sentinel"], None).await?)
    } else {
        None
    };
    let writers = (0..tasks).map(|t| {
        let store = Arc::clone(&c.store);
        let base = c.key("w/");
        tokio::spawn(async move {
            for i in 0..per_task {
                let key = format!("{base}{t}/{i}");
                store
                    .put(&key, key.clone().into(), PutOptions::default())
                    .await?;
            }
            Ok::<(), crate::KvError>(())
        })
    });
    let joined = try_join_all(writers)
        .await
        .map_err(|err| c.fail(format!("a writer task panicked: {err}")))?;
    for result in joined {
        c.op("concurrent put", result)?;
    }
    let total = tasks * per_task;
    let stored = c.values("w/").await?;
    c.ensure(
        stored.len() == total,
        format!(
            "{} of {total} concurrently written keys are listed",
            stored.len()
        ),
    )?;
    c.ensure(
        stored.iter().all(|e| e.value == e.key.as_bytes()),
        "a concurrently written key holds another key's value",
    )?;
    let Some(watch) = watch.as_mut() else {
        return Ok(Outcome::skipped(
            "the store has no watch: only storage was checked",
        ));
    };
    // Every put once, then the sentinel with no duplicate before it.
    let sentinel = c.key("sentinel");
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut sentinel_written = false;
    loop {
        let waiting = format!("{} of {total} puts seen", seen.len());
        let change = c.next_change(watch, &waiting).await?;
        if change.key == sentinel {
            break;
        }
        *seen.entry(change.key).or_default() += 1;
        if seen.len() == total && !sentinel_written {
            c.put("sentinel", "end").await?;
            sentinel_written = true;
        }
    }
    let duplicated: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    c.ensure(
        duplicated.is_empty(),
        format!("puts reported more than once: {duplicated:?}"),
    )?;
    Ok(Outcome::Passed)
}
