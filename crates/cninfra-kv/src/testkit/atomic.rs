//! Checks of conditional writes and leases, and that stores lacking them say so.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::future::join_all;

use super::harness::{Check, WAIT};
use super::{CheckResult, Outcome};
use crate::error::KvError;
use crate::lease::{LeaseId, Session};
use crate::store::{KvStore, PutOptions};

/// Tasks of the contention parts of [`atomic_ops`].
pub const CONTENDERS: usize = 4;
/// Increments each contender makes with compare-and-swap in [`atomic_ops`].
pub const INCREMENTS: usize = 5;
/// TTL of the leases of [`lease_expiry`]: etcd's minimum on a single node is about 2 s.
const LEASE_TTL: Duration = Duration::from_secs(2);

/// `put_if_absent`, `compare_and_swap` and `compare_and_delete` write only when their
/// condition holds and say whether they did; among concurrent `put_if_absent`s of one key
/// exactly one wins; concurrent read-modify-write loops with `compare_and_swap` lose no
/// update. A store without [`compare_and_swap`](crate::Capabilities::compare_and_swap)
/// must refuse all three with `Unsupported`.
pub async fn atomic_ops(store: &Arc<dyn KvStore>, prefix: &str) -> CheckResult {
    let c = Check::start("atomic_ops", store, prefix).await?;
    let result = atomic_body(&c).await;
    c.finish(result).await
}

async fn atomic_body(c: &Check) -> CheckResult {
    let key = c.key("k");
    let v = |s: &'static str| Bytes::from_static(s.as_bytes());
    if !c.caps.compare_and_swap {
        let results = [
            c.store
                .put_if_absent(&key, v("1"), PutOptions::default())
                .await,
            c.store
                .compare_and_swap(&key, v("1"), v("2"), PutOptions::default())
                .await,
            c.store.compare_and_delete(&key, v("1")).await,
        ];
        for result in results {
            if !matches!(&result, Err(err) if err.is_unsupported()) {
                return Err(c.fail(format!(
                    "the store claims no compare-and-swap but a conditional write returned {result:?}"
                )));
            }
        }
        return Ok(Outcome::skipped(
            "the store has no conditional writes (and says so with Unsupported)",
        ));
    }

    let first = c.op(
        "put_if_absent of a new key",
        c.store
            .put_if_absent(&key, v("1"), PutOptions::default())
            .await,
    )?;
    c.ensure(first.is_some(), "put_if_absent of a new key wrote nothing")?;
    let again = c.op(
        "put_if_absent of an existing key",
        c.store
            .put_if_absent(&key, v("x"), PutOptions::default())
            .await,
    )?;
    c.ensure(
        again.is_none(),
        format!("put_if_absent of an existing key returned {again:?}"),
    )?;
    let read = c.get("k").await?;
    c.ensure(
        read.as_ref().is_some_and(|r| r.value == "1"),
        format!("after a refused put_if_absent the key reads {read:?}"),
    )?;
    if c.caps.revisions {
        c.ensure(
            read.as_ref().map(|r| r.revision) == first,
            format!("put_if_absent returned {first:?} but the key reports {read:?}"),
        )?;
    }

    let wrong = c.op(
        "compare_and_swap with a wrong old value",
        c.store
            .compare_and_swap(&key, v("0"), v("2"), PutOptions::default())
            .await,
    )?;
    let absent = c.op(
        "compare_and_swap of an absent key",
        c.store
            .compare_and_swap(&c.key("absent"), v("0"), v("2"), PutOptions::default())
            .await,
    )?;
    c.ensure(
        wrong.is_none() && absent.is_none(),
        format!("compare_and_swap with a condition that fails wrote ({wrong:?}, {absent:?})"),
    )?;
    c.ensure(
        c.get("absent").await?.is_none(),
        "a failed compare_and_swap created the key",
    )?;
    let swapped = c.op(
        "compare_and_swap with the right old value",
        c.store
            .compare_and_swap(&key, v("1"), v("2"), PutOptions::default())
            .await,
    )?;
    let read = c.get("k").await?;
    c.ensure(
        swapped.is_some() && read.as_ref().is_some_and(|r| r.value == "2"),
        format!("compare_and_swap 1 -> 2 returned {swapped:?}, the key reads {read:?}"),
    )?;

    let kept = c.op(
        "compare_and_delete with a wrong value",
        c.store.compare_and_delete(&key, v("1")).await,
    )?;
    c.ensure(
        kept.is_none() && c.get("k").await?.is_some(),
        format!("compare_and_delete with a wrong value returned {kept:?} or deleted"),
    )?;
    let deleted = c.op(
        "compare_and_delete with the right value",
        c.store.compare_and_delete(&key, v("2")).await,
    )?;
    c.ensure(
        deleted.is_some() && c.get("k").await?.is_none(),
        format!("compare_and_delete with the right value returned {deleted:?}"),
    )?;
    let gone = c.op(
        "compare_and_delete of an absent key",
        c.store.compare_and_delete(&key, v("2")).await,
    )?;
    c.ensure(
        gone.is_none(),
        format!("compare_and_delete of an absent key returned {gone:?}"),
    )?;
    let empty = c
        .store
        .put_if_absent("", v("1"), PutOptions::default())
        .await;
    c.ensure(
        matches!(&empty, Err(err) if err.is_invalid_key()),
        format!("put_if_absent of the empty key returned {empty:?}"),
    )?;

    contention(c).await
}

/// Concurrent `put_if_absent`s: one winner; concurrent CAS increments: none lost.
async fn contention(c: &Check) -> CheckResult {
    let race = c.key("race");
    let attempts = (0..CONTENDERS).map(|n| {
        let store = Arc::clone(&c.store);
        let race = race.clone();
        async move {
            let value = Bytes::from(n.to_string());
            store
                .put_if_absent(&race, value, PutOptions::default())
                .await
        }
    });
    let results: Vec<_> = join_all(attempts).await;
    let mut winners = 0;
    for result in results {
        winners += usize::from(c.op("a contended put_if_absent", result)?.is_some());
    }
    c.ensure(
        winners == 1,
        format!("{CONTENDERS} concurrent put_if_absent of one key: {winners} succeeded"),
    )?;

    let counter = c.key("counter");
    c.put("counter", "0").await?;
    let loops = (0..CONTENDERS).map(|_| increment(Arc::clone(&c.store), counter.clone()));
    for result in join_all(loops).await {
        c.op("compare_and_swap increments", result)?;
    }
    let read = c.get("counter").await?;
    let expected = (CONTENDERS * INCREMENTS).to_string();
    c.ensure(
        read.as_ref()
            .is_some_and(|r| r.value == expected.as_bytes()),
        format!("after {CONTENDERS} x {INCREMENTS} CAS increments the counter reads {read:?}"),
    )?;
    Ok(Outcome::Passed)
}

/// Adds one to the decimal counter at `key`, [`INCREMENTS`] times, by read + CAS loops.
async fn increment(store: Arc<dyn KvStore>, key: String) -> Result<(), KvError> {
    let mut done = 0;
    while done < INCREMENTS {
        let Some(current) = store.get(&key).await? else {
            return Err(KvError::InvalidKey {
                key,
                reason: "the counter vanished",
            });
        };
        let n: usize = std::str::from_utf8(&current.value)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_default();
        let next = Bytes::from((n + 1).to_string());
        if store
            .compare_and_swap(&key, current.value, next, PutOptions::default())
            .await?
            .is_some()
        {
            done += 1;
        }
    }
    Ok(())
}

/// A key put with a lease lives while the lease is kept alive and goes when it is revoked
/// or expires; a [`Session`] keeps its lease alive past its TTL, and once dropped its keys
/// vanish; a put naming a gone lease fails with `LeaseNotFound`. A store without
/// [`leases`](crate::Capabilities::leases) must refuse leases and puts naming one with
/// `Unsupported`.
pub async fn lease_expiry(store: &Arc<dyn KvStore>, prefix: &str) -> CheckResult {
    let c = Check::start("lease_expiry", store, prefix).await?;
    let result = lease_body(&c).await;
    c.finish(result).await
}

async fn lease_body(c: &Check) -> CheckResult {
    let key = c.key("bound");
    if !c.caps.leases {
        let grant = c.store.grant_lease(LEASE_TTL).await;
        let options = PutOptions::default().with_lease(LeaseId(1));
        let put = c.store.put(&key, Bytes::from_static(b"v"), options).await;
        return match (grant, put) {
            (Err(g), Err(p)) if g.is_unsupported() && p.is_unsupported() => Ok(Outcome::skipped(
                "the store has no leases (and says so with Unsupported)",
            )),
            other => Err(c.fail(format!(
                "the store claims no leases but grant and put with a lease returned {other:?}"
            ))),
        };
    }
    let lease = c.op("grant_lease", c.store.grant_lease(LEASE_TTL).await)?;
    let options = PutOptions::default().with_lease(lease);
    let put = c
        .store
        .put(&key, Bytes::from_static(b"v"), options.clone())
        .await;
    c.op("put with a lease", put)?;
    c.put("free", "stays").await?;
    let refreshed = c.op("keep_lease_alive", c.store.keep_lease_alive(lease).await)?;
    c.ensure(
        refreshed,
        "keep_lease_alive of a fresh lease returned false",
    )?;
    c.ensure(
        c.get("bound").await?.is_some(),
        "a key bound to a live lease is not readable",
    )?;
    let revoked = c.op("revoke_lease", c.store.revoke_lease(lease).await)?;
    c.ensure(revoked, "revoke_lease of a live lease returned false")?;
    c.ensure(
        c.get("bound").await?.is_none(),
        "a key bound to a revoked lease is still readable",
    )?;
    c.ensure(
        c.get("free").await?.is_some(),
        "revoking a lease deleted a key not bound to it",
    )?;
    let again = c.op("keep_lease_alive", c.store.keep_lease_alive(lease).await)?;
    c.ensure(!again, "keep_lease_alive of a revoked lease returned true")?;
    let stale = c
        .store
        .put(&key, Bytes::from_static(b"v"), options.clone())
        .await;
    c.ensure(
        matches!(&stale, Err(err) if err.is_lease_not_found()),
        format!("a put naming a revoked lease returned {stale:?}"),
    )?;

    let session = c.op(
        "Session::start",
        Session::start(Arc::clone(&c.store), LEASE_TTL).await,
    )?;
    let put = c
        .store
        .put(&key, Bytes::from_static(b"s"), session.put_options())
        .await;
    c.op("put bound to a session", put)?;
    // Time must pass here: the session has to outlive two TTLs by its keep-alives.
    tokio::time::sleep(LEASE_TTL * 2).await;
    c.ensure(
        session.is_alive() && c.get("bound").await?.is_some(),
        format!("a session's key vanished within two TTLs of keep-alives ({session:?})"),
    )?;
    drop(session);
    let deadline = tokio::time::Instant::now() + LEASE_TTL + WAIT;
    while c.get("bound").await?.is_some() {
        if tokio::time::Instant::now() > deadline {
            return Err(c.fail(format!(
                "a dropped session's key still exists {:?} later",
                LEASE_TTL + WAIT
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(Outcome::Passed)
}
