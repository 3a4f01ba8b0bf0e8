//! A set of keys that stays a small vector until it grows.

use std::sync::Arc;

use crate::hash::FastSet;

const SMALL: usize = 16;

/// A set of keys: a vector up to 16 entries (the usual fan-in), a hash set above.
#[derive(Debug, Clone)]
pub(crate) enum KeySet {
    Small(Vec<Arc<str>>),
    Large(FastSet<Arc<str>>),
}

impl Default for KeySet {
    fn default() -> Self {
        Self::Small(Vec::new())
    }
}

impl KeySet {
    pub(crate) fn insert(&mut self, key: &Arc<str>) {
        match self {
            Self::Small(keys) => {
                if keys.iter().any(|k| k == key) {
                    return;
                }
                if keys.len() < SMALL {
                    keys.push(Arc::clone(key));
                } else {
                    let mut set: FastSet<Arc<str>> = keys.drain(..).collect();
                    set.insert(Arc::clone(key));
                    *self = Self::Large(set);
                }
            }
            Self::Large(set) => {
                set.insert(Arc::clone(key));
            }
        }
    }

    pub(crate) fn remove(&mut self, key: &str) {
        match self {
            Self::Small(keys) => {
                if let Some(pos) = keys.iter().position(|k| &**k == key) {
                    keys.swap_remove(pos);
                }
            }
            Self::Large(set) => {
                set.remove(key);
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Self::Small(keys) => keys.is_empty(),
            Self::Large(set) => set.is_empty(),
        }
    }

    pub(crate) fn iter(&self) -> Box<dyn Iterator<Item = &Arc<str>> + '_> {
        match self {
            Self::Small(keys) => Box::new(keys.iter()),
            Self::Large(set) => Box::new(set.iter()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_into_a_hash_set_and_keeps_members() {
        let mut set = KeySet::default();
        let keys: Vec<Arc<str>> = (0..40).map(|i| Arc::from(format!("k{i}"))).collect();
        for key in &keys {
            set.insert(key);
            set.insert(key);
        }
        assert!(matches!(set, KeySet::Large(_)));
        assert_eq!(set.iter().count(), 40);
        for key in &keys {
            set.remove(key);
        }
        assert!(set.is_empty());
    }
}
