//! The desired state of every NB source, and how the sources merge.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::ItemLabels;
use crate::value::Value;

/// The values of each source by label (kept in label order: the precedence order), and
/// the item labels of those values that have some.
#[derive(Debug, Default)]
pub(crate) struct SourceStore {
    sources: BTreeMap<Arc<str>, HashMap<Arc<str>, Value>>,
    /// Source label → key → item labels (only keys with labels are here).
    item_labels: HashMap<Arc<str>, HashMap<Arc<str>, ItemLabels>>,
}

impl SourceStore {
    /// Sets (`Some`) or removes (`None`) the value of `key` in the share of `label`.
    pub(crate) fn set(&mut self, label: &Arc<str>, key: Arc<str>, value: Option<Value>) {
        match value {
            Some(value) => {
                self.sources
                    .entry(Arc::clone(label))
                    .or_default()
                    .insert(key, value);
            }
            None => {
                if let Some(share) = self.sources.get_mut(label) {
                    share.remove(&key);
                    if share.is_empty() {
                        self.sources.remove(label);
                    }
                }
            }
        }
    }

    /// Replaces the whole share of `label`.
    pub(crate) fn replace(&mut self, label: &Arc<str>, share: HashMap<Arc<str>, Value>) {
        if share.is_empty() {
            self.sources.remove(label);
        } else {
            self.sources.insert(Arc::clone(label), share);
        }
    }

    /// Sets (non-empty) or removes (`None`, empty) the item labels of `key` in the share of
    /// `label`.
    pub(crate) fn set_item_labels(
        &mut self,
        label: &Arc<str>,
        key: &Arc<str>,
        labels: Option<ItemLabels>,
    ) {
        match labels.filter(|labels| !labels.is_empty()) {
            Some(labels) => {
                self.item_labels
                    .entry(Arc::clone(label))
                    .or_default()
                    .insert(Arc::clone(key), labels);
            }
            None => {
                if let Some(keys) = self.item_labels.get_mut(label) {
                    keys.remove(key);
                    if keys.is_empty() {
                        self.item_labels.remove(label);
                    }
                }
            }
        }
    }

    /// Replaces every item label of the share of `label`.
    pub(crate) fn replace_item_labels(
        &mut self,
        label: &Arc<str>,
        labels: HashMap<Arc<str>, ItemLabels>,
    ) {
        if labels.is_empty() {
            self.item_labels.remove(label);
        } else {
            self.item_labels.insert(Arc::clone(label), labels);
        }
    }

    /// The item labels `label` gave `key`, if any.
    pub(crate) fn item_labels(&self, label: &str, key: &str) -> Option<&ItemLabels> {
        self.item_labels.get(label).and_then(|keys| keys.get(key))
    }

    /// The value `label` holds for `key`.
    pub(crate) fn get(&self, label: &str, key: &str) -> Option<&Value> {
        self.sources.get(label).and_then(|share| share.get(key))
    }

    /// The share of `label`.
    pub(crate) fn share(&self, label: &str) -> Option<&HashMap<Arc<str>, Value>> {
        self.sources.get(label)
    }

    /// Whether a source after `label` in label order holds `key` (it then wins).
    pub(crate) fn shadowed(&self, label: &str, key: &str) -> bool {
        use std::ops::Bound::{Excluded, Unbounded};
        self.sources
            .range::<str, _>((Excluded(label), Unbounded))
            .any(|(_, share)| share.contains_key(key))
    }

    /// The label and value that win for `key`: those of the last source in label order
    /// that holds it.
    pub(crate) fn winner(&self, key: &str) -> Option<(&Arc<str>, &Value)> {
        self.sources
            .iter()
            .rev()
            .find_map(|(label, share)| share.get(key).map(|value| (label, value)))
    }

    /// The merged desired state: every key once, with the winning value.
    pub(crate) fn merged(&self) -> HashMap<Arc<str>, Value> {
        self.merged_by_source()
            .into_iter()
            .map(|(key, (_, value))| (key, value))
            .collect()
    }

    /// The merged desired state with the label of the winning source of each key.
    pub(crate) fn merged_by_source(&self) -> HashMap<Arc<str>, (&Arc<str>, Value)> {
        let mut merged = HashMap::new();
        // Later labels overwrite earlier ones.
        for (label, share) in &self.sources {
            for (key, value) in share {
                merged.insert(Arc::clone(key), (label, value.clone()));
            }
        }
        merged
    }

    /// Every value of every source, sources in label order: a key held by several
    /// sources comes once per source, the winner last.
    pub(crate) fn layered(&self) -> impl Iterator<Item = (&Arc<str>, &Value)> {
        self.sources.values().flat_map(|share| share.iter())
    }

    /// The labels that hold at least one value.
    pub(crate) fn labels(&self) -> Vec<String> {
        self.sources.keys().map(|label| label.to_string()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(name: &str) -> Arc<str> {
        Arc::from(name)
    }

    #[test]
    fn the_alphabetically_last_source_wins() {
        let mut store = SourceStore::default();
        let (datasync, local) = (label("datasync"), label("localclient"));
        store.set(&datasync, "k".into(), Some(Value::new(1)));
        store.set(&local, "k".into(), Some(Value::new(2)));
        store.set(&datasync, "only-kv".into(), Some(Value::new(3)));
        assert_eq!(
            store.winner("k").map(|(l, v)| (&**l, v.clone())),
            Some(("localclient", Value::new(2)))
        );
        assert!(store.shadowed("datasync", "k"));
        assert!(!store.shadowed("localclient", "k"));
        assert!(!store.shadowed("datasync", "only-kv"));
        let merged = store.merged();
        assert_eq!(merged.len(), 2);
        assert_eq!(merged["k"], Value::new(2));
        let layered: Vec<_> = store.layered().filter(|(k, _)| &***k == "k").collect();
        assert_eq!(
            layered.last().map(|(_, v)| (*v).clone()),
            Some(Value::new(2))
        );
        assert_eq!(layered.len(), 2);

        // The winner goes away: the other source's value shows again.
        store.set(&local, "k".into(), None);
        assert_eq!(
            store.winner("k").map(|(_, v)| v.clone()),
            Some(Value::new(1))
        );
        assert_eq!(store.labels(), ["datasync"]);
    }

    #[test]
    fn replace_swaps_one_share_only() {
        let mut store = SourceStore::default();
        let (a, b) = (label("a"), label("b"));
        store.set(&a, "x".into(), Some(Value::new(1)));
        store.set(&b, "y".into(), Some(Value::new(2)));
        store.replace(&a, HashMap::from([(Arc::from("z"), Value::new(3))]));
        assert!(store.get("a", "x").is_none());
        assert_eq!(store.get("a", "z"), Some(&Value::new(3)));
        assert_eq!(store.get("b", "y"), Some(&Value::new(2)));
        store.replace(&a, HashMap::new());
        assert_eq!(store.labels(), ["b"]);
    }

    #[test]
    fn item_labels_are_kept_per_source_and_key() {
        let mut store = SourceStore::default();
        let (grpc, key) = (label("grpc"), label("k"));
        let owner = ItemLabels::from([("com.example.owner".to_owned(), "a".to_owned())]);
        store.set_item_labels(&grpc, &key, Some(owner.clone()));
        assert_eq!(store.item_labels("grpc", "k"), Some(&owner));
        assert_eq!(store.item_labels("datasync", "k"), None);
        store.set_item_labels(&grpc, &key, Some(ItemLabels::new()));
        assert_eq!(store.item_labels("grpc", "k"), None);
        store.set_item_labels(&grpc, &key, Some(owner.clone()));
        store.replace_item_labels(&grpc, HashMap::new());
        assert_eq!(store.item_labels("grpc", "k"), None);
    }
}
