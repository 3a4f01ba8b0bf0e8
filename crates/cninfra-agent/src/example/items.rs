//! The example's items: the value type and the view that holds them, an idxmap with a
//! secondary index by kind.

use std::collections::BTreeMap;
use std::sync::Arc;

use cninfra::idxmap::{IdxMap, IdxMapError};
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
    map: Arc<IdxMap<Item>>,
}

impl ItemView {
    pub(crate) fn new() -> Result<Self, IdxMapError> {
        let map = IdxMap::builder("example-items")
            .with_index_emit(BY_KIND, |item: &Item, emit| emit(&item.kind))
            .build()?;
        Ok(Self { map: Arc::new(map) })
    }

    /// The item's name from its key relative to the agent prefix.
    pub(crate) fn name_of(key: &str) -> &str {
        key.strip_prefix(ITEMS_PREFIX).unwrap_or(key)
    }

    /// Sets or removes one item; `None` when nothing changed.
    pub(crate) fn apply(&self, name: &str, item: Option<Item>) -> Option<ItemChange> {
        match item {
            Some(item) => match self.map.get(name) {
                Some(old) if *old == item => None,
                Some(_) => {
                    self.map.put(name, item);
                    Some(ItemChange::Updated)
                }
                None => {
                    self.map.put(name, item);
                    Some(ItemChange::Created)
                }
            },
            None => self.map.delete(name).map(|_| ItemChange::Deleted),
        }
    }

    /// Replaces every item with `items`; returns what changed, by name.
    pub(crate) fn replace(
        &self,
        items: impl IntoIterator<Item = (String, Item)>,
    ) -> Vec<(String, ItemChange)> {
        let items: BTreeMap<String, Item> = items.into_iter().collect();
        let mut changes = Vec::new();
        for name in self.map.list_names() {
            if !items.contains_key(&*name) && self.map.delete(&name).is_some() {
                changes.push((name.to_string(), ItemChange::Deleted));
            }
        }
        for (name, item) in items {
            if let Some(change) = self.apply(&name, Some(item)) {
                changes.push((name, change));
            }
        }
        changes
    }

    /// How many items there are.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// One item.
    pub(crate) fn get(&self, name: &str) -> Option<Item> {
        self.map.get(name).map(|item| Item::clone(&item))
    }

    /// Every item, sorted by name.
    pub(crate) fn all(&self) -> BTreeMap<String, Item> {
        self.map
            .list_all()
            .into_iter()
            .map(|(name, item)| (name.to_string(), Item::clone(&item)))
            .collect()
    }

    /// The items of one kind, through the secondary index.
    pub(crate) fn of_kind(&self, kind: &str) -> Result<BTreeMap<String, Item>, IdxMapError> {
        Ok(self
            .map
            .lookup_by_index(BY_KIND, kind)?
            .into_iter()
            .filter_map(|name| {
                let item = self.map.get(&name)?;
                Some((name.to_string(), Item::clone(&item)))
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
        assert_eq!(view.apply("a", Some(item("x"))), Some(ItemChange::Created));
        assert_eq!(view.apply("a", Some(item("x"))), None);
        assert_eq!(view.apply("a", Some(item("y"))), Some(ItemChange::Updated));
        assert_eq!(view.apply("a", None), Some(ItemChange::Deleted));
        assert_eq!(view.apply("a", None), None);
    }

    #[test]
    fn replace_deletes_the_missing_and_the_index_follows() {
        let view = ItemView::new().expect("view");
        view.apply("old", Some(item("x")));
        view.apply("kept", Some(item("x")));
        let changes = view.replace([("kept".into(), item("y")), ("new".into(), item("y"))]);
        assert_eq!(
            changes,
            [
                ("old".to_owned(), ItemChange::Deleted),
                ("kept".to_owned(), ItemChange::Updated),
                ("new".to_owned(), ItemChange::Created),
            ]
        );
        assert!(view.of_kind("x").expect("index").is_empty());
        assert_eq!(
            view.of_kind("y").expect("index").into_keys().collect::<Vec<_>>(),
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
