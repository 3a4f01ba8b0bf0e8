//! Change events delivered to watchers.

use std::sync::Arc;

/// What a change did to an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventKind {
    /// A name that was absent got a value.
    Created,
    /// The value of a present name was replaced.
    Updated,
    /// A present name was removed.
    Deleted,
}

/// One change of one entry, as seen by watchers.
///
/// Values are shared (`Arc`), so fanning an event out to many subscribers never clones a
/// value. `seq` grows by one with every change of the map, so a subscriber can tell the order
/// of events and whether it missed some.
#[derive(Debug)]
#[non_exhaustive]
pub struct Event<V> {
    /// Title of the map the change happened in.
    pub title: Arc<str>,
    /// Name of the entry.
    pub name: Arc<str>,
    /// Value before the change (`None` when the entry was created).
    pub prev: Option<Arc<V>>,
    /// Value after the change (`None` when the entry was deleted).
    pub value: Option<Arc<V>>,
    /// Position of the change in the history of the map, starting at 0.
    pub seq: u64,
}

impl<V> Event<V> {
    /// Whether the entry was created, updated or deleted.
    pub fn kind(&self) -> EventKind {
        match (&self.prev, &self.value) {
            (_, None) => EventKind::Deleted,
            (None, Some(_)) => EventKind::Created,
            (Some(_), Some(_)) => EventKind::Updated,
        }
    }

    /// True when the entry was removed.
    pub fn is_delete(&self) -> bool {
        self.value.is_none()
    }
}

/// What a channel [`Subscription`](crate::Subscription) receives.
#[derive(Debug)]
pub enum Notification<V> {
    /// The next change, in the order the map applied them.
    Event(Arc<Event<V>>),
    /// The subscriber fell behind, `missed` changes were dropped for it, and this is the
    /// whole content of the map instead. Events received after it are exactly the changes
    /// made after this snapshot, so a mirror that replaces its content with `entries` and
    /// then applies the following events stays exact.
    Resync {
        /// How many events were dropped since the subscriber fell behind.
        missed: u64,
        /// Every entry of the map at the time of the snapshot, in no particular order.
        entries: Vec<(Arc<str>, Arc<V>)>,
    },
}
