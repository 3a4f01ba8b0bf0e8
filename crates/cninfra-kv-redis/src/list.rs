//! Listing by `SCAN` (never `KEYS`): one page per call, values by `MGET`, streamed lazily.
//! In a cluster every master is scanned in turn (`MGET` is split by slot by the client).
//!
//! `SCAN` guarantees that a key present during the whole listing is returned, perhaps more
//! than once, in no particular order. The stream drops the repeats (it remembers the keys
//! it yielded) and keeps SCAN's order, so lists are not sorted
//! ([`Capabilities::sorted_lists`](cninfra_kv::Capabilities::sorted_lists) is false). A key
//! deleted while the listing runs may be missing; one written meanwhile may or may not be
//! listed.

use std::collections::{HashSet, VecDeque};

use bytes::Bytes;
use cninfra_kv::{KvEntry, KvError, KvStream};
use futures::StreamExt;
use futures::stream;

use crate::store::RedisStore;

/// The `COUNT` hint of each `SCAN` (and the size of each prefix-delete batch).
pub(crate) const SCAN_COUNT: usize = 1000;

/// The keys under `prefix` with their values.
pub(crate) fn entries(store: RedisStore, prefix: &str) -> KvStream<'static, KvEntry> {
    scan(store, prefix, true)
        .map(|item| {
            item.map(|(key, value)| KvEntry {
                key,
                value: value.unwrap_or_default(),
                revision: 0,
            })
        })
        .boxed()
}

/// The keys under `prefix`.
pub(crate) fn keys(store: RedisStore, prefix: &str) -> KvStream<'static, String> {
    scan(store, prefix, false)
        .map(|item| item.map(|(key, _)| key))
        .boxed()
}

/// `prefix` as a glob that matches exactly the keys starting with it: the glob characters
/// in it are escaped (upstream passed them through, so `a[1]/` listed `a1/`).
pub(crate) fn glob_prefix(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len() + 2);
    for c in prefix.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('*');
    pattern
}

struct Scan {
    store: RedisStore,
    prefix: String,
    pattern: String,
    with_values: bool,
    cursor: u64,
    /// Cluster masters still to scan, the current one last; `None` until the first page
    /// (then empty for a single node).
    nodes: Option<Vec<String>>,
    finished: bool,
    seen: HashSet<String>,
    ready: VecDeque<Result<(String, Option<Bytes>), KvError>>,
}

fn scan(
    store: RedisStore,
    prefix: &str,
    with_values: bool,
) -> KvStream<'static, (String, Option<Bytes>)> {
    let state = Scan {
        store,
        prefix: prefix.to_owned(),
        pattern: glob_prefix(prefix),
        with_values,
        cursor: 0,
        nodes: None,
        finished: false,
        seen: HashSet::new(),
        ready: VecDeque::new(),
    };
    stream::unfold(state, |mut state| async move {
        loop {
            if let Some(item) = state.ready.pop_front() {
                return Some((item, state));
            }
            if state.finished {
                return None;
            }
            if let Err(err) = state.next_page().await {
                state.finished = true;
                return Some((Err(err), state));
            }
        }
    })
    .boxed()
}

impl Scan {
    /// Fetches one page into `ready`.
    async fn next_page(&mut self) -> Result<(), KvError> {
        let mut con = self.store.inner.con();
        if self.nodes.is_none() {
            let mut masters = self.store.run("list", con.masters()).await?;
            masters.reverse();
            self.nodes = Some(masters);
        }
        let node = self.nodes.as_ref().and_then(|nodes| nodes.last().cloned());
        let mut scan = redis::cmd("SCAN");
        scan.arg(self.cursor)
            .arg("MATCH")
            .arg(&self.pattern)
            .arg("COUNT")
            .arg(SCAN_COUNT);
        let call = con.query_on::<(u64, Vec<Vec<u8>>)>(node.as_deref(), scan);
        let (cursor, raw_keys) = self.store.run("list", call).await?;
        self.cursor = cursor;
        if cursor == 0 {
            // This node is done: the next master, or the end.
            let nodes = self.nodes.get_or_insert_default();
            nodes.pop();
            self.finished = nodes.is_empty();
        }
        let mut keys = Vec::with_capacity(raw_keys.len());
        for raw in raw_keys {
            match String::from_utf8(raw) {
                Ok(key) if key.starts_with(&self.prefix) && self.seen.insert(key.clone()) => {
                    keys.push(key);
                }
                Ok(_) => {}
                Err(err) => self.ready.push_back(Err(KvError::InvalidKey {
                    key: String::from_utf8_lossy(err.as_bytes()).into_owned(),
                    reason: "the key stored in redis is not UTF-8",
                })),
            }
        }
        if !self.with_values || keys.is_empty() {
            self.ready
                .extend(keys.into_iter().map(|key| Ok((key, None))));
            return Ok(());
        }
        let mut mget = redis::cmd("MGET");
        mget.arg(&keys);
        let call = mget.query_async::<Vec<Option<Vec<u8>>>>(&mut con);
        let values = self.store.run("list", call).await?;
        // A key deleted since the SCAN (or holding another type) has no value: skip it.
        self.ready.extend(
            keys.into_iter()
                .zip(values)
                .filter_map(|(key, value)| value.map(|value| Ok((key, Some(Bytes::from(value)))))),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_characters_in_prefixes_are_escaped() {
        assert_eq!(glob_prefix(""), "*");
        assert_eq!(glob_prefix("/vnf/a/"), "/vnf/a/*");
        assert_eq!(glob_prefix("a[1]/*?\\"), "a\\[1\\]/\\*\\?\\\\*");
    }
}
