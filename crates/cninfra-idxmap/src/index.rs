//! Secondary indexes: definitions and their incremental upkeep.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

/// The stored form of an index function: it hands each index value of a value to `emit`.
pub(crate) type KeyFn<V> = Box<dyn Fn(&V, &mut dyn FnMut(&str)) + Send + Sync>;

/// A named function from a value to its index values.
pub(crate) struct IndexDef<V> {
    pub(crate) name: String,
    pub(crate) keys: KeyFn<V>,
}

impl<V> fmt::Debug for IndexDef<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IndexDef")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Above this many (old × new) key pairs, re-indexing removes all old keys and inserts all
/// new ones instead of comparing the two lists.
const DIFF_LIMIT: usize = 256;

/// The contents of one secondary index: index value → names of the entries that have it.
#[derive(Debug, Default)]
pub(crate) struct Index {
    by_key: HashMap<Box<str>, HashSet<Arc<str>>>,
}

impl Index {
    /// Names of the entries whose index values include `key`.
    pub(crate) fn names(&self, key: &str) -> Vec<Arc<str>> {
        self.by_key
            .get(key)
            .map(|names| names.iter().cloned().collect())
            .unwrap_or_default()
    }

    pub(crate) fn clear(&mut self) {
        self.by_key.clear();
    }

    fn insert(&mut self, key: &str, name: &Arc<str>) {
        match self.by_key.get_mut(key) {
            Some(names) => {
                names.insert(Arc::clone(name));
            }
            None => {
                self.by_key
                    .insert(key.into(), HashSet::from([Arc::clone(name)]));
            }
        }
    }

    fn remove(&mut self, key: &str, name: &str) {
        if let Some(names) = self.by_key.get_mut(key) {
            names.remove(name);
            if names.is_empty() {
                self.by_key.remove(key);
            }
        }
    }

    /// Moves `name` from the index values of `old` to those of `new` (either may be absent).
    /// `old_keys` and `new_keys` are scratch buffers, reused so that no call allocates once
    /// they have grown.
    pub(crate) fn reindex<V>(
        &mut self,
        def: &IndexDef<V>,
        name: &Arc<str>,
        old: Option<&V>,
        new: Option<&V>,
        scratch: &mut Scratch,
    ) {
        let Scratch {
            old: old_keys,
            new: new_keys,
        } = scratch;
        old_keys.fill(def, old);
        new_keys.fill(def, new);
        if old_keys.len() * new_keys.len() > DIFF_LIMIT {
            old_keys.iter().for_each(|k| self.remove(k, name));
            new_keys.iter().for_each(|k| self.insert(k, name));
            return;
        }
        for key in old_keys.iter().filter(|k| !new_keys.contains(k)) {
            self.remove(key, name);
        }
        for key in new_keys.iter().filter(|k| !old_keys.contains(k)) {
            self.insert(key, name);
        }
    }
}

/// Two reusable key buffers (old value, new value).
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    old: KeyBuf,
    new: KeyBuf,
}

/// The index values of one value, packed in one string (no allocation per key).
#[derive(Debug, Default)]
pub(crate) struct KeyBuf {
    text: String,
    ends: Vec<usize>,
}

impl KeyBuf {
    /// Replaces the content with the index values `def` gives for `value`.
    pub(crate) fn fill<V>(&mut self, def: &IndexDef<V>, value: Option<&V>) {
        self.text.clear();
        self.ends.clear();
        if let Some(value) = value {
            (def.keys)(value, &mut |key| {
                self.text.push_str(key);
                self.ends.push(self.text.len());
            });
        }
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .map(|(start, end)| &self.text[start..end])
    }

    fn contains(&self, key: &str) -> bool {
        self.iter().any(|k| k == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags() -> IndexDef<Vec<&'static str>> {
        IndexDef {
            name: "tag".into(),
            keys: Box::new(|v: &Vec<&'static str>, emit: &mut dyn FnMut(&str)| {
                v.iter().for_each(|t| emit(t));
            }),
        }
    }

    #[test]
    fn key_buf_splits_keys_back() {
        let mut buf = KeyBuf::default();
        buf.fill(&tags(), Some(&vec!["a", "", "bc"]));
        assert_eq!(buf.iter().collect::<Vec<_>>(), ["a", "", "bc"]);
        buf.fill(&tags(), None);
        assert_eq!(buf.iter().count(), 0);
    }

    #[test]
    fn reindex_moves_name_between_keys_and_drops_empty_sets() {
        let def = tags();
        let mut index = Index::default();
        let mut scratch = Scratch::default();
        let name: Arc<str> = Arc::from("n1");
        index.reindex(&def, &name, None, Some(&vec!["a", "b"]), &mut scratch);
        assert_eq!(index.names("a"), std::slice::from_ref(&name));
        index.reindex(
            &def,
            &name,
            Some(&vec!["a", "b"]),
            Some(&vec!["b", "c"]),
            &mut scratch,
        );
        assert!(index.names("a").is_empty());
        assert!(!index.by_key.contains_key("a"), "empty set is dropped");
        assert_eq!(index.names("c"), std::slice::from_ref(&name));
        index.reindex(&def, &name, Some(&vec!["b", "c"]), None, &mut scratch);
        assert!(index.by_key.is_empty());
    }

    #[test]
    fn reindex_with_many_keys_takes_the_bulk_path() {
        let def = tags();
        let mut index = Index::default();
        let mut scratch = Scratch::default();
        let name: Arc<str> = Arc::from("n");
        let many: Vec<&'static str> = (0..40).map(|i| &*format!("k{i}").leak()).collect();
        let mut fewer = many[10..].to_vec();
        fewer.push("new");
        index.reindex(&def, &name, None, Some(&many), &mut scratch);
        index.reindex(&def, &name, Some(&many), Some(&fewer), &mut scratch);
        assert!(index.names("k0").is_empty());
        assert_eq!(index.names("k39"), std::slice::from_ref(&name));
        assert_eq!(index.names("new"), [name]);
        assert_eq!(index.by_key.len(), 31);
    }
}
