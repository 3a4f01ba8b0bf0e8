//! The data of the test server: KV entries, tombstones and the Raft-like index, with
//! Consul's rules for the index a read reports.

use std::collections::BTreeMap;

/// One stored key, with Consul's bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) value: Vec<u8>,
    pub(crate) flags: u64,
    pub(crate) create_index: u64,
    pub(crate) modify_index: u64,
    pub(crate) lock_index: u64,
}

/// One key as it was before a transaction touched it.
#[derive(Debug)]
pub(crate) struct Saved {
    key: String,
    entry: Option<Entry>,
    tombstone: Option<u64>,
}

/// All KV data. Every write (of any number of keys, as one request or transaction) takes
/// the next index; deletes leave tombstones so that list indexes never go backwards.
#[derive(Debug, Clone)]
pub(crate) struct Kv {
    pub(crate) entries: BTreeMap<String, Entry>,
    tombstones: BTreeMap<String, u64>,
    /// The index of the last KV write (the `kvs` table index).
    pub(crate) table_index: u64,
    /// The last index handed out.
    pub(crate) last_index: u64,
    /// Counts [`wipe`](Self::wipe)s: blocking queries end when the data they watch is
    /// replaced, as on a Consul whose state store is abandoned by a snapshot restore.
    pub(crate) generation: u64,
}

impl Default for Kv {
    fn default() -> Self {
        // A real cluster has done some Raft work before anyone writes a key.
        Self {
            entries: BTreeMap::new(),
            tombstones: BTreeMap::new(),
            table_index: 1,
            last_index: 1,
            generation: 0,
        }
    }
}

impl Kv {
    /// The index the next write gets.
    pub(crate) fn next_index(&self) -> u64 {
        self.last_index + 1
    }

    /// Records that a write at `index` happened.
    pub(crate) fn commit(&mut self, index: u64) {
        self.last_index = index;
        self.table_index = index;
    }

    pub(crate) fn set(&mut self, key: &str, value: Vec<u8>, flags: u64, index: u64) {
        self.tombstones.remove(key);
        match self.entries.get_mut(key) {
            Some(entry) => {
                entry.value = value;
                entry.flags = flags;
                entry.modify_index = index;
            }
            None => {
                self.entries.insert(
                    key.to_owned(),
                    Entry {
                        value,
                        flags,
                        create_index: index,
                        modify_index: index,
                        lock_index: 0,
                    },
                );
            }
        }
    }

    /// Deletes `key`; true when it existed.
    pub(crate) fn delete(&mut self, key: &str, index: u64) -> bool {
        let existed = self.entries.remove(key).is_some();
        if existed {
            self.tombstones.insert(key.to_owned(), index);
        }
        existed
    }

    /// Deletes every key under `prefix`; how many existed.
    pub(crate) fn delete_tree(&mut self, prefix: &str, index: u64) -> usize {
        let keys: Vec<String> = self.under(prefix).map(|(key, _)| key.clone()).collect();
        for key in &keys {
            self.delete(key, index);
        }
        keys.len()
    }

    /// The entries whose key starts with `prefix`, in key order.
    pub(crate) fn under<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a String, &'a Entry)> + 'a {
        self.entries
            .range(prefix.to_owned()..)
            .take_while(move |(key, _)| key.starts_with(prefix))
    }

    /// The index of a read of the tree under `prefix`, as Consul computes it: the highest
    /// modify index among the entries and tombstones under it, or the table index when
    /// there are none (and always for the empty prefix).
    pub(crate) fn list_index(&self, prefix: &str) -> u64 {
        if prefix.is_empty() {
            return self.table_index;
        }
        let live = self.under(prefix).map(|(_, e)| e.modify_index).max();
        let dead = self
            .tombstones
            .range(prefix.to_owned()..)
            .take_while(|(key, _)| key.starts_with(prefix))
            .map(|(_, index)| *index)
            .max();
        match live.max(dead) {
            Some(index) if index > 0 => index,
            _ => self.table_index,
        }
    }

    /// What `key` is now, so a failed transaction can put it back.
    pub(crate) fn save(&self, key: &str) -> Saved {
        Saved {
            key: key.to_owned(),
            entry: self.entries.get(key).cloned(),
            tombstone: self.tombstones.get(key).copied(),
        }
    }

    /// Puts a key back as [`save`](Self::save) found it.
    pub(crate) fn restore(&mut self, saved: Saved) {
        match saved.entry {
            Some(entry) => self.entries.insert(saved.key.clone(), entry),
            None => self.entries.remove(&saved.key),
        };
        match saved.tombstone {
            Some(index) => self.tombstones.insert(saved.key, index),
            None => self.tombstones.remove(&saved.key),
        };
    }

    /// Drops everything and starts the index again from 1.
    pub(crate) fn wipe(&mut self) {
        let generation = self.generation + 1;
        *self = Self {
            generation,
            ..Self::default()
        };
    }

    /// Forgets the tombstones (Consul reaps them after a while); list indexes may then go
    /// backwards, which clients must handle.
    pub(crate) fn reap_tombstones(&mut self) {
        self.tombstones.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_indexes_follow_consul() {
        let mut kv = Kv::default();
        let i = kv.next_index();
        kv.set("a/1", b"x".to_vec(), 0, i);
        kv.commit(i);
        let j = kv.next_index();
        kv.set("b/1", b"y".to_vec(), 0, j);
        kv.commit(j);
        assert_eq!(kv.list_index("a/"), i);
        assert_eq!(kv.list_index(""), j);
        assert_eq!(
            kv.list_index("c/"),
            j,
            "nothing under the prefix: the table index"
        );
        let k = kv.next_index();
        assert!(kv.delete("a/1", k));
        kv.commit(k);
        assert_eq!(
            kv.list_index("a/"),
            k,
            "the tombstone keeps the index from going back"
        );
        kv.reap_tombstones();
        assert_eq!(kv.list_index("a/"), k, "nothing left: the table index");
    }
}
