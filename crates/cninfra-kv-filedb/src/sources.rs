//! Which file defines which key, and how the merged view changes when files change.
//!
//! Precedence: the status file wins over every configuration file; among configuration
//! files defining one key, the last in path order wins (a warning names them).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{DefaultHasher, Hasher};
use std::ops::Bound;
use std::path::PathBuf;

use bytes::Bytes;
use cninfra_kv::{DeleteOptions, PutOptions, TxnOp};

use crate::LOG;
use crate::format::Content;

/// The last good content of every data file.
#[derive(Debug, Default)]
pub(crate) struct Sources {
    files: HashMap<PathBuf, Content>,
    /// For each key of a configuration file, the files defining it.
    owners: BTreeMap<String, BTreeSet<PathBuf>>,
    status: Content,
    /// Digest of the status file as this process last wrote or read it.
    status_digest: Option<u64>,
}

/// A digest of file bytes, to skip re-parsing a status file this process wrote itself.
pub(crate) fn digest(bytes: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    hasher.write(bytes);
    hasher.finish()
}

impl Sources {
    /// The configuration files known under any of `paths`.
    pub(crate) fn files_under(&self, paths: &BTreeSet<PathBuf>) -> BTreeSet<PathBuf> {
        self.files
            .keys()
            .filter(|file| paths.iter().any(|p| file.starts_with(p)))
            .cloned()
            .collect()
    }

    /// The status file's content.
    pub(crate) fn status(&self) -> &Content {
        &self.status
    }

    /// The digest of the status file as this process last wrote or read it.
    pub(crate) fn status_digest(&self) -> Option<u64> {
        self.status_digest
    }

    /// True when a configuration file defines `key`.
    pub(crate) fn is_configured(&self, key: &str) -> bool {
        self.owners.contains_key(key)
    }

    /// A key under `prefix` that a configuration file defines, if any.
    pub(crate) fn configured_under(&self, prefix: &str) -> Option<&str> {
        self.owners
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .next()
            .map(|(key, _)| key.as_str())
            .filter(|key| key.starts_with(prefix))
    }

    /// The merged value of `key`.
    fn winner(&self, key: &str) -> Option<&Bytes> {
        self.status.get(key).or_else(|| {
            let file = self.owners.get(key)?.last()?;
            self.files.get(file)?.get(key)
        })
    }

    /// Replaces the content of configuration files (`None`: the file is gone) and returns
    /// the changes of the merged view.
    pub(crate) fn update_files(
        &mut self,
        updates: BTreeMap<PathBuf, Option<Content>>,
    ) -> Vec<TxnOp> {
        let mut before = BTreeMap::new();
        for (path, new) in &updates {
            let old = self.files.get(path);
            for key in old.into_iter().chain(new.as_ref()).flat_map(|c| c.keys()) {
                if !before.contains_key(key) {
                    before.insert(key.clone(), self.winner(key).cloned());
                }
            }
        }
        for (path, new) in updates {
            if let Some(old) = self.files.remove(&path) {
                for key in old.keys() {
                    if let Some(owners) = self.owners.get_mut(key) {
                        owners.remove(&path);
                        if owners.is_empty() {
                            self.owners.remove(key);
                        }
                    }
                }
            }
            if let Some(new) = new {
                for key in new.keys() {
                    self.owners
                        .entry(key.clone())
                        .or_default()
                        .insert(path.clone());
                }
                self.files.insert(path, new);
            }
        }
        self.changes_since(before)
    }

    /// Replaces the status file's content (as read from disk, with its digest) and returns
    /// the changes of the merged view.
    pub(crate) fn replace_status(&mut self, new: Content, digest: u64) -> Vec<TxnOp> {
        let keys: BTreeSet<String> = self.status.keys().chain(new.keys()).cloned().collect();
        let before = keys
            .into_iter()
            .map(|key| {
                let value = self.winner(&key).cloned();
                (key, value)
            })
            .collect();
        self.status = new;
        self.status_digest = Some(digest);
        self.changes_since(before)
    }

    /// Sets the status content this process wrote (its changes are applied by the writer).
    pub(crate) fn wrote_status(&mut self, content: Content, digest: u64) {
        self.status = content;
        self.status_digest = Some(digest);
    }

    /// The ops that turn the merged values in `before` into the current ones.
    fn changes_since(&self, before: BTreeMap<String, Option<Bytes>>) -> Vec<TxnOp> {
        let mut ops = Vec::new();
        for (key, old) in before {
            let new = self.winner(&key);
            if let Some(owners) = self.owners.get(&key).filter(|o| o.len() > 1) {
                tracing::warn!(target: LOG, %key, files = ?owners, winner = ?owners.last(), "key defined by several files; the last one wins");
            }
            match (old, new) {
                (Some(old), Some(new)) if old == new => {}
                (_, Some(new)) => ops.push(TxnOp::Put {
                    key,
                    value: new.clone(),
                    options: PutOptions::default(),
                }),
                (Some(_), None) => ops.push(TxnOp::Delete {
                    key,
                    options: DeleteOptions::default(),
                }),
                (None, None) => {}
            }
        }
        ops
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key and new value (`None`: delete) of each op.
    fn describe(ops: &[TxnOp]) -> Vec<(String, Option<&Bytes>)> {
        ops.iter()
            .map(|op| match op {
                TxnOp::Put { key, value, .. } => (key.clone(), Some(value)),
                other => (other.key().to_owned(), None),
            })
            .collect()
    }

    fn content(pairs: &[(&str, &str)]) -> Content {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Bytes::copy_from_slice(v.as_bytes())))
            .collect()
    }

    fn update(
        sources: &mut Sources,
        path: &str,
        pairs: Option<&[(&str, &str)]>,
    ) -> Vec<(String, Option<String>)> {
        let ops = sources.update_files([(PathBuf::from(path), pairs.map(content))].into());
        describe(&ops)
            .into_iter()
            .map(|(k, v)| (k, v.map(|b| String::from_utf8_lossy(b).into_owned())))
            .collect()
    }

    #[test]
    fn edits_become_puts_and_deletes_of_changed_keys_only() {
        let mut s = Sources::default();
        assert_eq!(
            update(&mut s, "/a.yaml", Some(&[("k1", "1"), ("k2", "2")])).len(),
            2
        );
        let ops = update(&mut s, "/a.yaml", Some(&[("k1", "1"), ("k3", "3")]));
        assert_eq!(ops, [("k2".into(), None), ("k3".into(), Some("3".into()))]);
        let ops = update(&mut s, "/a.yaml", None);
        assert_eq!(ops, [("k1".into(), None), ("k3".into(), None)]);
        assert!(s.owners.is_empty());
    }

    #[test]
    fn the_last_file_in_path_order_wins_and_the_status_file_wins_over_all() {
        let mut s = Sources::default();
        update(&mut s, "/b.yaml", Some(&[("k", "from b")]));
        // An earlier path does not change the winner.
        assert!(update(&mut s, "/a.yaml", Some(&[("k", "from a")])).is_empty());
        // The winner going away hands the key to the other file, not a delete.
        assert_eq!(
            update(&mut s, "/b.yaml", None),
            [("k".into(), Some("from a".into()))]
        );
        let ops = s.replace_status(content(&[("k", "status")]), 1);
        assert_eq!(describe(&ops)[0].1.map(|b| &b[..]), Some(&b"status"[..]));
        assert!(s.is_configured("k") && s.status_digest() == Some(1));
        assert_eq!(s.configured_under("k"), Some("k"));
        assert_eq!(s.configured_under("x"), None);
        // Config edits under a status key do not show.
        assert!(update(&mut s, "/a.yaml", Some(&[("k", "edited")])).is_empty());
    }

    #[test]
    fn moving_a_key_between_files_in_one_batch_is_no_change() {
        let mut s = Sources::default();
        update(&mut s, "/a.yaml", Some(&[("k", "v")]));
        let ops = s.update_files(
            [
                (PathBuf::from("/a.yaml"), None),
                (PathBuf::from("/b.yaml"), Some(content(&[("k", "v")]))),
            ]
            .into(),
        );
        assert!(ops.is_empty(), "{:?}", describe(&ops));
        assert_eq!(
            s.files_under(&["/".into()].into()),
            [PathBuf::from("/b.yaml")].into()
        );
    }
}
