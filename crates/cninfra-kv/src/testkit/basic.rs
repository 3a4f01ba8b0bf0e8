//! Checks of reads and writes: ordering, revisions, prefixes, deletes, sizes.

use std::sync::Arc;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt, stream};

use super::harness::Check;
use super::{CheckResult, Outcome};
use crate::store::KvStore;

/// Keys come back from `list_keys` and `list_values` sorted (when the store claims
/// `sorted_lists`, else as a set), complete, and with their values.
pub async fn list_ordering(store: &Arc<dyn KvStore>, prefix: &str) -> CheckResult {
    let c = Check::start("list_ordering", store, prefix).await?;
    let result = list_ordering_body(&c).await;
    c.finish(result).await
}

async fn list_ordering_body(c: &Check) -> CheckResult {
    let written = ["b", "a/2", "a/10", "ab", "a/1", "c", "a"];
    for rel in written {
        c.put(rel, format!("value of {rel}")).await?;
    }
    let mut expected: Vec<String> = written.iter().map(|rel| c.key(rel)).collect();
    expected.sort();

    let mut keys = c.keys("").await?;
    let mut entries = c.values("").await?;
    if !c.caps.sorted_lists {
        keys.sort();
        entries.sort_by(|a, b| a.key.cmp(&b.key));
    }
    c.ensure(
        keys == expected,
        format!("list_keys returned {keys:?}, expected {expected:?}"),
    )?;
    let entry_keys: Vec<&str> = entries.iter().map(|e| e.key.as_str()).collect();
    c.ensure(
        entry_keys == expected,
        format!("list_values returned keys {entry_keys:?}, expected {expected:?}"),
    )?;
    for entry in &entries {
        let rel = &entry.key[c.base.len()..];
        c.ensure(
            entry.value == format!("value of {rel}").as_bytes(),
            format!("list_values gave `{}` a wrong value", entry.key),
        )?;
    }
    let mut under_a = c.keys("a/").await?;
    if !c.caps.sorted_lists {
        under_a.sort();
    }
    let expected_a = vec![c.key("a/1"), c.key("a/10"), c.key("a/2")];
    c.ensure(
        under_a == expected_a,
        format!("list_keys of `a/` returned {under_a:?}, expected {expected_a:?}"),
    )?;
    Ok(Outcome::Passed)
}

/// Every put, delete and txn gets a strictly greater revision, `get` and `list_values`
/// report a key's mod revision, and `revision()` is the latest one.
pub async fn revisions(store: &Arc<dyn KvStore>, prefix: &str) -> CheckResult {
    if !store.capabilities().revisions {
        return Ok(Outcome::skipped("the store has no revisions"));
    }
    let c = Check::start("revisions", store, prefix).await?;
    let result = revisions_body(&c).await;
    c.finish(result).await
}

async fn revisions_body(c: &Check) -> CheckResult {
    let start = c.op("revision()", c.store.revision().await)?;
    let r1 = c.put("x", "1").await?;
    c.ensure(
        r1 > start,
        format!("put returned revision {r1}, not above {start}"),
    )?;
    let got = c.get("x").await?.map(|v| v.revision);
    c.ensure(
        got == Some(r1),
        format!("get after put at {r1} reported revision {got:?}"),
    )?;
    let r2 = c.put("x", "2").await?;
    c.ensure(r2 > r1, format!("second put returned {r2}, not above {r1}"))?;
    let r3 = c.put("y", "1").await?;
    c.ensure(
        r3 > r2,
        format!("put of another key returned {r3}, not above {r2}"),
    )?;
    let got = c.get("x").await?.map(|v| v.revision);
    c.ensure(
        got == Some(r2),
        format!("`x` last put at {r2} but get reports {got:?}"),
    )?;
    let now = c.op("revision()", c.store.revision().await)?;
    c.ensure(
        now >= r3,
        format!("revision() is {now} after a put at {r3}"),
    )?;
    for entry in c.values("").await? {
        let expected = if entry.key == c.key("x") { r2 } else { r3 };
        c.ensure(
            entry.revision == expected,
            format!(
                "list_values reports `{}` at {}, expected {expected}",
                entry.key, entry.revision
            ),
        )?;
    }
    c.delete("x", false).await?;
    let after_delete = c.op("revision()", c.store.revision().await)?;
    c.ensure(
        after_delete > now,
        format!("revision() stayed at {after_delete} after a delete (was {now})"),
    )?;
    Ok(Outcome::Passed)
}

/// A prefix covers only keys that start with it: `a/` does not reach `ab/…` or `a`.
pub async fn prefix_isolation(store: &Arc<dyn KvStore>, prefix: &str) -> CheckResult {
    let c = Check::start("prefix_isolation", store, prefix).await?;
    let result = prefix_isolation_body(&c).await;
    c.finish(result).await
}

async fn prefix_isolation_body(c: &Check) -> CheckResult {
    for rel in ["a/1", "ab/1", "a"] {
        c.put(rel, "v").await?;
    }
    let listed = c.keys("a/").await?;
    c.ensure(
        listed == vec![c.key("a/1")],
        format!("list_keys of `a/` returned {listed:?}"),
    )?;
    if c.caps.watch {
        let mut watch = c.watch(&["a/"], None).await?;
        c.put("ab/2", "v").await?;
        c.put("a/2", "v").await?;
        let change = c
            .next_change(&mut watch, "waiting for the put of `a/2`")
            .await?;
        c.ensure(
            change.key == c.key("a/2"),
            format!("a watch on `a/` reported `{}`", change.key),
        )?;
    }
    if c.caps.delete_prefix {
        c.delete("a/", true).await?;
        let mut left = c.keys("").await?;
        left.sort();
        let mut expected = vec![c.key("a"), c.key("ab/1")];
        if c.caps.watch {
            expected.push(c.key("ab/2"));
        }
        expected.sort();
        c.ensure(
            left == expected,
            format!("after deleting prefix `a/` the keys are {left:?}, expected {expected:?}"),
        )?;
    }
    Ok(Outcome::Passed)
}

/// `delete` reports whether something was deleted: false for a missing key or empty prefix,
/// true otherwise; a prefix delete removes exactly the keys under it. A store without prefix
/// deletes must refuse them with `Unsupported`.
pub async fn delete_reports_truth(store: &Arc<dyn KvStore>, prefix: &str) -> CheckResult {
    let c = Check::start("delete_reports_truth", store, prefix).await?;
    let result = delete_body(&c).await;
    c.finish(result).await
}

async fn delete_body(c: &Check) -> CheckResult {
    let missing = c.delete("missing", false).await?;
    c.ensure(!missing, "deleting a missing key reported true")?;
    c.put("k", "v").await?;
    c.ensure(
        c.delete("k", false).await?,
        "deleting an existing key reported false",
    )?;
    c.ensure(
        c.get("k").await?.is_none(),
        "a deleted key can still be read",
    )?;
    c.ensure(
        !c.delete("k", false).await?,
        "deleting a key twice reported true twice",
    )?;

    for rel in ["p/1", "p/2", "pq"] {
        c.put(rel, "v").await?;
    }
    if !c.caps.delete_prefix {
        let key = c.key("p/");
        let result = c.store.delete(&key, crate::DeleteOptions::prefix()).await;
        return match result {
            Err(err) if err.is_unsupported() => Ok(Outcome::skipped(
                "the store has no prefix deletes (and says so with Unsupported)",
            )),
            other => Err(c.fail(format!(
                "the store claims no prefix deletes but a prefix delete returned {other:?}"
            ))),
        };
    }
    c.ensure(
        c.delete("p/", true).await?,
        "deleting a non-empty prefix reported false",
    )?;
    let left = c.keys("p").await?;
    c.ensure(
        left == vec![c.key("pq")],
        format!("after deleting prefix `p/` the keys are {left:?}"),
    )?;
    c.ensure(
        !c.delete("p/", true).await?,
        "deleting an empty prefix reported true",
    )?;
    Ok(Outcome::Passed)
}

/// A 1 MiB value survives put, get and list byte for byte.
pub async fn large_values(store: &Arc<dyn KvStore>, prefix: &str) -> CheckResult {
    let c = Check::start("large_values", store, prefix).await?;
    let result = large_values_body(&c).await;
    c.finish(result).await
}

async fn large_values_body(c: &Check) -> CheckResult {
    let mut state: u32 = 0x2545_f491;
    let value: Bytes = (0..1024 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect::<Vec<u8>>()
        .into();
    c.put("big", value.clone()).await?;
    let got = c.get("big").await?;
    c.ensure(
        got.as_ref().is_some_and(|v| v.value == value),
        format!(
            "get of a 1 MiB value returned {:?} bytes",
            got.map(|v| v.value.len())
        ),
    )?;
    let listed = c.values("").await?;
    c.ensure(
        listed.len() == 1 && listed[0].value == value,
        "list_values did not return the 1 MiB value intact",
    )?;
    Ok(Outcome::Passed)
}

/// How many keys [`many_keys`] writes.
pub const MANY_KEYS: usize = 5_000;

/// [`MANY_KEYS`] keys (written 32 at a time) are all listed, in order, with their values.
pub async fn many_keys(store: &Arc<dyn KvStore>, prefix: &str) -> CheckResult {
    let c = Check::start("many_keys", store, prefix).await?;
    let result = many_keys_body(&c).await;
    c.finish(result).await
}

async fn many_keys_body(c: &Check) -> CheckResult {
    stream::iter(0..MANY_KEYS)
        .map(|i| async move { c.put(&format!("k/{i:05}"), i.to_string()).await })
        .buffer_unordered(32)
        .try_collect::<Vec<_>>()
        .await?;
    let mut keys = c.keys("k/").await?;
    if !c.caps.sorted_lists {
        keys.sort();
    }
    c.ensure(
        keys.len() == MANY_KEYS,
        format!("list_keys returned {} of {MANY_KEYS} keys", keys.len()),
    )?;
    let in_order = keys
        .iter()
        .enumerate()
        .all(|(i, key)| *key == c.key(&format!("k/{i:05}")));
    c.ensure(in_order, "list_keys returned wrong or unordered keys")?;
    let mut count = 0;
    let mut entries = c.store.list_values(&c.key("k/"));
    while let Some(entry) = entries.next().await {
        let entry = c.op("list_values", entry)?;
        let index = entry.key[c.key("k/").len()..].parse::<usize>().ok();
        c.ensure(
            index.is_some_and(|i| entry.value == i.to_string().as_bytes()),
            format!("list_values gave `{}` a wrong value", entry.key),
        )?;
        count += 1;
    }
    c.ensure(
        count == MANY_KEYS,
        format!("list_values returned {count} of {MANY_KEYS} entries"),
    )?;
    Ok(Outcome::Passed)
}
