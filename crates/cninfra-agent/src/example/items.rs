//! The example's items: the value type and the view that holds them, an idxmap with a
//! secondary index by kind. Each item remembers where it came from (the KV store or
//! Kafka): a resync from the store replaces the store's items only.

use std::collections::BTreeMap;
use std::sync::Arc;

use cninfra::idxmap::{IdxMap, IdxMapError, WatchHandle};
use serde::{Deserialize, Serialize};

/// Where items live, relative to the agent prefix: `config/example/v1/items/<name>`.
pub(crate) const ITEMS_PREFIX: &str = "config/example/v1/items/";
/// The name of the secondary index by [`Item::kind`].
pub(crate) const BY_KIND: &str = "by-kind";

/// One item (JSON), e.g. `{"kind": "greeting", "description": "hi"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Item {
    /// What sort of item it is; indexed.
    pub(crate) kind: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) description: String,
}

/// Where an item came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Origin {
    /// The agent's KV store (`config/example/v1/items/<name>`).
    Store,
    /// The Kafka topic of items.
    Kafka,
}

/// An item with its origin, as the view holds and serves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Entry {
    #[serde(flatten)]
    pub(crate) item: Item,
    pub(crate) origin: Origin,
}

/// What happened to one item, as logged and published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ItemChange {
    Created,
    Updated,
    Deleted,
}

impl ItemChange {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Deleted => "deleted",
        }
    }
}

/// The items the example plugin knows, by name.
#[derive(Debug, Clone)]
pub(crate) struct ItemView {
    map: Arc<IdxMap<Entry>>,
}

impl ItemView {
    pub(crate) fn new() -> Result<Self, IdxMapError> {
        let map = IdxMap::builder("example-items")
            .with_index_emit(BY_KIND, |entry: &Entry, emit| emit(&entry.item.kind))
            .build()?;
        Ok(Self { map: Arc::new(map) })
    }

    /// The item's name from its key relative to the agent prefix.
    pub(crate) fn name_of(key: &str) -> &str {
        key.strip_prefix(ITEMS_PREFIX).unwrap_or(key)
    }

    /// Sets (from `origin`) or removes one item; `None` when nothing changed.
    pub(crate) fn apply(
        &self,
        origin: Origin,
        name: &str,
        item: Option<Item>,
    ) -> Option<ItemChange> {
        let Some(item) = item else {
            return self.map.delete(name).map(|_| ItemChange::Deleted);
        };
        let entry = Entry { item, origin };
        match self.map.get(name) {
            Some(old) if *old == entry => None,
            old => {
                self.map.put(name, entry);
                Some(if old.is_some() {
                    ItemChange::Updated
                } else {
                    ItemChange::Created
                })
            }
        }
    }

    /// Replaces every item from `origin` with `items`; returns what changed, by name.
    pub(crate) fn replace(
        &self,
        origin: Origin,
        items: impl IntoIterator<Item = (String, Item)>,
    ) -> Vec<(String, ItemChange)> {
        let items: BTreeMap<String, Item> = items.into_iter().collect();
        let mut changes = Vec::new();
        for (name, entry) in self.map.list_all() {
            if entry.origin == origin
                && !items.contains_key(&*name)
                && self.map.delete(&name).is_some()
            {
                changes.push((name.to_string(), ItemChange::Deleted));
            }
        }
        for (name, item) in items {
            if let Some(change) = self.apply(origin, &name, Some(item)) {
                changes.push((name, change));
            }
        }
        changes
    }

    /// Calls `on_change(name, item)` after every change, in order (`None`: deleted).
    pub(crate) fn watch(
        &self,
        subscriber: &str,
        on_change: impl Fn(&str, Option<&Item>) + Send + Sync + 'static,
    ) -> Result<WatchHandle, IdxMapError> {
        self.map.watch(subscriber, move |event| {
            on_change(&event.name, event.value.as_deref().map(|entry| &entry.item));
        })
    }

    /// How many items there are.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// One item.
    pub(crate) fn get(&self, name: &str) -> Option<Entry> {
        self.map.get(name).map(|entry| Entry::clone(&entry))
    }

    /// Every item, sorted by name.
    pub(crate) fn all(&self) -> BTreeMap<String, Entry> {
        self.map
            .list_all()
            .into_iter()
            .map(|(name, entry)| (name.to_string(), Entry::clone(&entry)))
            .collect()
    }

    /// The items of one kind, through the secondary index.
    pub(crate) fn of_kind(&self, kind: &str) -> Result<BTreeMap<String, Entry>, IdxMapError> {
        Ok(self
            .map
            .lookup_by_index(BY_KIND, kind)?
            .into_iter()
            .filter_map(|name| {
                let entry = self.map.get(&name)?;
                Some((name.to_string(), Entry::clone(&entry)))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(kind: &str) -> Item {
        Item {
            kind: kind.into(),
            description: String::new(),
        }
    }

    #[test]
    fn apply_reports_only_real_changes() {
        let view = ItemView::new().expect("view");
        let store = Origin::Store;
        assert_eq!(
            view.apply(store, "a", Some(item("x"))),
            Some(ItemChange::Created)
        );
        assert_eq!(view.apply(store, "a", Some(item("x"))), None);
        assert_eq!(
            view.apply(store, "a", Some(item("y"))),
            Some(ItemChange::Updated)
        );
        assert_eq!(
            view.apply(Origin::Kafka, "a", Some(item("y"))),
            Some(ItemChange::Updated)
        );
        assert_eq!(view.apply(store, "a", None), Some(ItemChange::Deleted));
        assert_eq!(view.apply(store, "a", None), None);
    }

    #[test]
    fn replace_deletes_the_missing_of_its_origin_and_the_index_follows() {
        let view = ItemView::new().expect("view");
        view.apply(Origin::Store, "old", Some(item("x")));
        view.apply(Origin::Store, "kept", Some(item("x")));
        view.apply(Origin::Kafka, "streamed", Some(item("z")));
        let changes = view.replace(
            Origin::Store,
            [("kept".into(), item("y")), ("new".into(), item("y"))],
        );
        assert_eq!(
            changes,
            [
                ("old".to_owned(), ItemChange::Deleted),
                ("kept".to_owned(), ItemChange::Updated),
                ("new".to_owned(), ItemChange::Created),
            ]
        );
        assert!(view.of_kind("x").expect("index").is_empty());
        assert_eq!(view.get("streamed").map(|e| e.origin), Some(Origin::Kafka));
        assert_eq!(
            view.of_kind("y")
                .expect("index")
                .into_keys()
                .collect::<Vec<_>>(),
            ["kept", "new"]
        );
    }

    #[test]
    fn names_come_from_keys_and_unknown_fields_are_refused() {
        assert_eq!(ItemView::name_of("config/example/v1/items/web"), "web");
        let err = serde_json::from_str::<Item>(r#"{"kind":"a","colour":"red"}"#).unwrap_err();
        assert!(err.to_string().contains("colour"), "{err}");
    }
}
