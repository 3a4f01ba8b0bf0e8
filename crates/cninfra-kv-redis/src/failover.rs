//! Sentinel mode: finding the master through the sentinels, and following it when it
//! changes.
//!
//! Every new connection (the command connection at start, each watch subscription) asks
//! the sentinels in config order for the master's address (`SENTINEL
//! get-master-addr-by-name`) and checks that the node named says it is the master (during
//! a failover the sentinels may still name the old one). The command connection
//! reconnects by itself, but to the same node; so when a command fails for lack of a
//! connection, or with `READONLY` (the node was demoted to a replica), or a watch loses
//! its master, the store stops using the command connection, asks the sentinels again in
//! the background and, once they name a master that says it is one, moves the command
//! connection there (or keeps it, when that is its node). Commands fail meanwhile with
//! retryable errors: had the old master restarted empty before the sentinels demoted it,
//! the connection, reconnecting to it by itself, would read and write there.
//! Redis replicates asynchronously: a write that the old master took after the sentinels
//! switched and before it was demoted is lost, as with any Redis client.
//!
//! Each watch also subscribes to a sentinel's `+switch-master` channel (before it finds
//! the master, so no switch goes unseen); when the sentinel announces a new master for
//! the configured name, the watch leaves the old node, subscribes on the new master and
//! sends a resync, as after any reconnect.

use std::sync::atomic::Ordering;
use std::time::Duration;

use redis::Client;
use redis::aio::PubSubStream;

use crate::connect::{Target, timed};
use crate::error::RedisError;
use crate::store::RedisStore;

/// What went wrong with one sentinel's answer.
enum Miss {
    /// This sentinel could not help; ask the next one.
    Sentinel(String),
    /// The master named cannot be used (e.g. it refuses the password): give up.
    Node(RedisError),
}

/// The master's `host:port` and a client of it, as the first sentinel that knows it says.
pub(crate) async fn find_master(
    target: &Target,
    master_name: &str,
    sentinels: &[Client],
) -> Result<(String, Client), RedisError> {
    let mut reasons = Vec::new();
    for sentinel in sentinels {
        match ask(target, sentinel, master_name).await {
            Ok(found) => return Ok(found),
            Err(Miss::Sentinel(reason)) => reasons.push(reason),
            Err(Miss::Node(err)) => return Err(err),
        }
    }
    Err(RedisError::NoMaster {
        master_name: master_name.to_owned(),
        reasons: reasons.join("; "),
    })
}

async fn ask(target: &Target, sentinel: &Client, name: &str) -> Result<(String, Client), Miss> {
    let at = sentinel.get_connection_info().addr().to_string();
    let limit = target.dial_timeout;
    let miss = |err: redis::RedisError| Miss::Sentinel(format!("sentinel {at}: {err}"));
    let mut con = timed(limit, sentinel.get_multiplexed_async_connection())
        .await
        .map_err(miss)?;
    let named: Option<(String, u16)> = timed(
        limit,
        redis::cmd("SENTINEL")
            .arg("get-master-addr-by-name")
            .arg(name)
            .query_async(&mut con),
    )
    .await
    .map_err(miss)?;
    let Some((host, port)) = named else {
        return Err(Miss::Sentinel(format!(
            "sentinel {at} knows no master named `{name}`"
        )));
    };
    let address = format!("{host}:{port}");
    let client = target.client_for(host, port).map_err(Miss::Node)?;
    let node_error = |source| match target.connect_error(source) {
        err @ RedisError::Auth { .. } | err @ RedisError::Tls { .. } => Miss::Node(err),
        err => Miss::Sentinel(format!("master {address} named by sentinel {at}: {err}")),
    };
    let mut node = timed(limit, client.get_multiplexed_async_connection())
        .await
        .map_err(node_error)?;
    let info: String = timed(
        limit,
        redis::cmd("INFO").arg("replication").query_async(&mut node),
    )
    .await
    .map_err(node_error)?;
    if !info.lines().any(|line| line.trim() == "role:master") {
        return Err(Miss::Sentinel(format!(
            "{address}, named by sentinel {at}, is not a master (a failover is under way)"
        )));
    }
    Ok((address, client))
}

/// The least time between two searches for the master that find none.
const SEARCH_PAUSE: Duration = Duration::from_millis(100);

/// In sentinel mode, after the master's connection failed in a way that may mean the
/// master moved: commands are refused until the sentinels confirm a master, and the
/// search for it starts ([`follow`]).
pub(crate) fn master_lost(store: &RedisStore) {
    if store.inner.target.is_sentinel() {
        store.inner.unconfirmed.store(true, Ordering::Release);
        follow(store);
    }
}

/// Asks the sentinels again in the background (one search at a time), moves the command
/// connection to the master they name if it is another node, and lets commands run again.
pub(crate) fn follow(store: &RedisStore) {
    let inner = &store.inner;
    if !inner.target.is_sentinel() || inner.following.swap(true, Ordering::AcqRel) {
        return;
    }
    let store = store.clone();
    tokio::spawn(async move {
        let inner = &store.inner;
        match inner.target.manager().await {
            Ok((address, con)) => {
                let moved = inner.set_master(address.clone(), con);
                inner.unconfirmed.store(false, Ordering::Release);
                if moved {
                    tracing::info!(target: crate::LOG, master = %address, "following the new redis master");
                }
            }
            Err(err) => {
                tracing::debug!(target: crate::LOG, error = %err, "no new redis master yet");
                // Commands refused meanwhile would start the next search at once: pause.
                tokio::select! {
                    () = inner.closed.cancelled() => {}
                    () = tokio::time::sleep(SEARCH_PAUSE) => {}
                }
            }
        }
        inner.following.store(false, Ordering::Release);
    });
}

/// The channel on which sentinels announce a new master.
pub(crate) const SWITCH_MASTER: &str = "+switch-master";

/// In sentinel mode, the `+switch-master` messages of the first sentinel that takes the
/// subscription; `None` for a single node.
pub(crate) async fn switch_events(target: &Target) -> Result<Option<PubSubStream>, RedisError> {
    let Some((master_name, sentinels)) = target.sentinels() else {
        return Ok(None);
    };
    let mut reasons = Vec::new();
    for sentinel in sentinels {
        let opening = async {
            let mut pubsub = sentinel.get_async_pubsub().await?;
            pubsub.subscribe(SWITCH_MASTER).await?;
            Ok(pubsub.into_on_message())
        };
        match timed(target.dial_timeout, opening).await {
            Ok(messages) => return Ok(Some(messages)),
            Err(err) => {
                let at = sentinel.get_connection_info().addr().to_string();
                reasons.push(format!("sentinel {at}: {err}"));
            }
        }
    }
    Err(RedisError::NoMaster {
        master_name: master_name.to_owned(),
        reasons: reasons.join("; "),
    })
}

/// Whether a `+switch-master` payload (`<name> <old ip> <old port> <new ip> <new port>`)
/// is about `master_name`.
pub(crate) fn is_switch_of(payload: &[u8], master_name: &str) -> bool {
    payload
        .split(|&b| b == b' ')
        .next()
        .is_some_and(|name| name == master_name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switch_messages_are_matched_by_master_name() {
        let payload = b"mymaster 127.0.0.1 7000 127.0.0.1 7001";
        assert!(is_switch_of(payload, "mymaster"));
        assert!(!is_switch_of(payload, "my"));
        assert!(!is_switch_of(b"other 1 2 3 4", "mymaster"));
    }
}
