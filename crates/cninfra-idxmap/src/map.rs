//! The map itself: entries, secondary indexes and the write path.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Weak};

use parking_lot::RwLock;

use crate::error::IdxMapError;
use crate::event::Event;
use crate::index::{Index, IndexDef, KeyBuf, Scratch};
use crate::watch::{
    ChannelShared, Detach, Entries, Hub, Sink, Snapshot, Subscriber, Subscription, WatchHandle,
};

/// Channel capacity of subscribers created with [`IdxMap::subscribe`] unless the builder sets
/// another.
pub const DEFAULT_CHANNEL_CAPACITY: usize = 1024;

/// A thread-safe map from names to shared values, with secondary indexes and ordered watch.
///
/// Cloning an `IdxMap` is cheap and gives another handle to the same map. Reads take a
/// shared lock and run concurrently; writes take the exclusive lock for the change and the
/// index upkeep only. Values are stored as `Arc<V>` and handed out as `Arc<V>`.
///
/// # Secondary indexes
/// Each index is a named function from a value to its index values (for example its type,
/// or its tags), set with [`IdxMapBuilder::with_index`]. The map keeps, for each index value,
/// the set of names whose value has it, updated on every write (never by scanning), so
/// [`lookup_by_index`](Self::lookup_by_index) costs one hash lookup. Index functions must
/// depend only on the value: the map recomputes them on the old value to remove it.
///
/// # Watch
/// [`subscribe`](Self::subscribe) (bounded channel) and [`watch`](Self::watch) (callback)
/// receive every change made after the call, in the one order in which the map applied
/// them. See each method for the delivery rules.
///
/// # Examples
/// ```
/// use cninfra_idxmap::IdxMap;
///
/// #[derive(Debug)]
/// struct Iface { kind: String }
///
/// let map = IdxMap::builder("interfaces")
///     .with_index("by-type", |v: &Iface| vec![v.kind.clone()])
///     .build()?;
/// map.put("eth0", Iface { kind: "ethernet".into() });
/// map.put("lo", Iface { kind: "loopback".into() });
/// assert_eq!(map.get("lo").map(|v| v.kind.clone()).as_deref(), Some("loopback"));
/// assert_eq!(map.lookup_by_index("by-type", "ethernet")?, [std::sync::Arc::from("eth0")]);
/// # Ok::<(), cninfra_idxmap::IdxMapError>(())
/// ```
pub struct IdxMap<V> {
    inner: Arc<Inner<V>>,
}

pub(crate) struct Inner<V> {
    title: Arc<str>,
    defs: Vec<IndexDef<V>>,
    state: RwLock<State<V>>,
    hub: Hub<V>,
    channel_capacity: usize,
}

struct State<V> {
    entries: HashMap<Arc<str>, Arc<V>>,
    indexes: Vec<Index>,
    /// `seq` of the next change.
    next_seq: u64,
    scratch: Scratch,
}

impl<V> Clone for IdxMap<V> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<V: Send + Sync + 'static> IdxMap<V> {
    /// A map without secondary indexes.
    pub fn new(title: impl Into<String>) -> Self {
        Self::from_parts(title.into(), Vec::new(), DEFAULT_CHANNEL_CAPACITY)
    }

    /// Starts building a map with secondary indexes or another channel capacity.
    pub fn builder(title: impl Into<String>) -> IdxMapBuilder<V> {
        IdxMapBuilder {
            title: title.into(),
            defs: Vec::new(),
            channel_capacity: DEFAULT_CHANNEL_CAPACITY,
        }
    }

    fn from_parts(title: String, defs: Vec<IndexDef<V>>, channel_capacity: usize) -> Self {
        let title: Arc<str> = Arc::from(title);
        let indexes = defs.iter().map(|_| Index::default()).collect();
        Self {
            inner: Arc::new(Inner {
                hub: Hub::new(Arc::clone(&title)),
                title,
                defs,
                state: RwLock::new(State {
                    entries: HashMap::new(),
                    indexes,
                    next_seq: 0,
                    scratch: Scratch::default(),
                }),
                channel_capacity,
            }),
        }
    }

    /// The title (registry name) of the map.
    pub fn title(&self) -> &str {
        &self.inner.title
    }

    /// Stores `value` under `name`, replacing and returning any previous value. Watchers get
    /// a created or updated event.
    pub fn put(&self, name: &str, value: impl Into<Arc<V>>) -> Option<Arc<V>> {
        self.write(name, Some(value.into()), false)
    }

    /// Replaces the value of `name` only if it is present, returning the previous value.
    /// When `name` is absent nothing changes, `value` is dropped and `None` is returned.
    pub fn update(&self, name: &str, value: impl Into<Arc<V>>) -> Option<Arc<V>> {
        self.write(name, Some(value.into()), true)
    }

    /// Removes `name`, returning its value if it was present.
    pub fn delete(&self, name: &str) -> Option<Arc<V>> {
        self.write(name, None, true)
    }

    /// The one write path: `value` `None` deletes; `only_present` refuses to create.
    fn write(&self, name: &str, value: Option<Arc<V>>, only_present: bool) -> Option<Arc<V>> {
        let inner = &*self.inner;
        let mut guard = inner.state.write();
        let state = &mut *guard;
        let (key, prev) = match (state.entries.get_key_value(name), &value) {
            (None, _) if only_present => return None,
            (None, None) => return None,
            (None, Some(value)) => {
                let key: Arc<str> = Arc::from(name);
                state.entries.insert(Arc::clone(&key), Arc::clone(value));
                (key, None)
            }
            (Some((key, _)), Some(value)) => {
                let key = Arc::clone(key);
                (
                    Arc::clone(&key),
                    state.entries.insert(key, Arc::clone(value)),
                )
            }
            (Some(_), None) => match state.entries.remove_entry(name) {
                Some((key, prev)) => (key, Some(prev)),
                None => return None,
            },
        };
        for (def, index) in inner.defs.iter().zip(&mut state.indexes) {
            index.reindex(
                def,
                &key,
                prev.as_deref(),
                value.as_deref(),
                &mut state.scratch,
            );
        }
        let seq = state.next_seq;
        state.next_seq += 1;
        if inner.hub.has_subscribers() {
            inner.hub.enqueue(Event {
                title: Arc::clone(&inner.title),
                name: key,
                prev: prev.clone(),
                value,
                seq,
            });
            drop(guard);
            inner.hub.drain();
        }
        prev
    }

    /// Removes every entry. Watchers get one delete event per entry (in no particular
    /// order among them), so mirrors stay exact. Returns how many entries were removed.
    pub fn clear(&self) -> usize {
        let inner = &*self.inner;
        let mut guard = inner.state.write();
        let state = &mut *guard;
        let removed = std::mem::take(&mut state.entries);
        state.indexes.iter_mut().for_each(Index::clear);
        let count = removed.len();
        let notify = inner.hub.has_subscribers();
        for (name, prev) in removed {
            let seq = state.next_seq;
            state.next_seq += 1;
            if notify {
                inner.hub.enqueue(Event {
                    title: Arc::clone(&inner.title),
                    name,
                    prev: Some(prev),
                    value: None,
                    seq,
                });
            }
        }
        drop(guard);
        if notify {
            inner.hub.drain();
        }
        count
    }

    /// The value stored under `name`.
    pub fn get(&self, name: &str) -> Option<Arc<V>> {
        self.inner.state.read().entries.get(name).cloned()
    }

    /// Whether `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.inner.state.read().entries.contains_key(name)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.inner.state.read().entries.len()
    }

    /// True when the map has no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every name, in no particular order.
    pub fn list_names(&self) -> Vec<Arc<str>> {
        self.inner.state.read().entries.keys().cloned().collect()
    }

    /// Every entry, in no particular order.
    pub fn list_all(&self) -> Vec<(Arc<str>, Arc<V>)> {
        self.inner.snapshot().0
    }

    /// Names of the secondary indexes, in the order they were defined.
    pub fn index_names(&self) -> impl Iterator<Item = &str> {
        self.inner.defs.iter().map(|def| def.name.as_str())
    }

    /// Names of the entries whose `index` values include `value` (in no particular order).
    ///
    /// # Errors
    /// [`IdxMapError::UnknownIndex`] when the map has no index called `index`.
    ///
    /// # Examples
    /// ```
    /// # use cninfra_idxmap::IdxMap;
    /// let map = IdxMap::builder("routes")
    ///     .with_index("by-vrf", |vrf: &u32| [vrf.to_string()])
    ///     .build()?;
    /// map.put("r1", 0);
    /// map.put("r2", 7);
    /// map.put("r1", 7); // r1 moves from vrf 0 to vrf 7
    /// let mut names = map.lookup_by_index("by-vrf", "7")?;
    /// names.sort();
    /// assert_eq!(names, ["r1".into(), "r2".into()] as [std::sync::Arc<str>; 2]);
    /// assert!(map.lookup_by_index("by-vrf", "0")?.is_empty());
    /// # Ok::<(), cninfra_idxmap::IdxMapError>(())
    /// ```
    pub fn lookup_by_index(&self, index: &str, value: &str) -> Result<Vec<Arc<str>>, IdxMapError> {
        let position = self.index_position(index)?;
        Ok(self.inner.state.read().indexes[position].names(value))
    }

    /// The index values of entry `name`, per index name; `None` when `name` is absent.
    pub fn list_fields(&self, name: &str) -> Option<BTreeMap<String, Vec<String>>> {
        let value = self.get(name)?;
        let mut keys = KeyBuf::default();
        let fields = self.inner.defs.iter().map(|def| {
            keys.fill(def, Some(&*value));
            (def.name.clone(), keys.iter().map(str::to_owned).collect())
        });
        Some(fields.collect())
    }

    fn index_position(&self, index: &str) -> Result<usize, IdxMapError> {
        self.inner
            .defs
            .iter()
            .position(|def| def.name == index)
            .ok_or_else(|| IdxMapError::UnknownIndex {
                map: self.title().to_owned(),
                index: index.to_owned(),
            })
    }

    /// Subscribes a bounded channel, with the capacity set on the builder
    /// ([`DEFAULT_CHANNEL_CAPACITY`] by default). It receives every change made after this
    /// call, in order.
    ///
    /// Writers never wait for a channel subscriber. When its buffer is full, further events
    /// are dropped for it and counted; once it has read what was buffered it receives
    /// [`Notification::Resync`](crate::Notification::Resync) with a snapshot of the whole map,
    /// followed by exactly the changes made after that snapshot.
    ///
    /// # Errors
    /// [`IdxMapError::DuplicateSubscriber`] when a subscriber of this name already exists.
    ///
    /// # Examples
    /// ```
    /// # use std::time::Duration;
    /// use cninfra_idxmap::{IdxMap, Notification};
    ///
    /// let map: IdxMap<u32> = IdxMap::new("counters");
    /// let mut sub = map.subscribe("printer")?;
    /// map.put("a", 1);
    /// map.delete("a");
    /// for _ in 0..2 {
    ///     match sub.recv_timeout(Duration::from_secs(1)) {
    ///         Ok(Notification::Event(ev)) => println!("{:?} {}", ev.kind(), ev.name),
    ///         other => panic!("unexpected {other:?}"),
    ///     }
    /// }
    /// # Ok::<(), cninfra_idxmap::IdxMapError>(())
    /// ```
    pub fn subscribe(&self, subscriber: &str) -> Result<Subscription<V>, IdxMapError> {
        self.subscribe_with_capacity(subscriber, self.inner.channel_capacity)
    }

    /// Like [`subscribe`](Self::subscribe), with room for `capacity` buffered events.
    ///
    /// # Errors
    /// [`IdxMapError::DuplicateSubscriber`] when the name is taken,
    /// [`IdxMapError::ZeroCapacity`] when `capacity` is 0.
    pub fn subscribe_with_capacity(
        &self,
        subscriber: &str,
        capacity: usize,
    ) -> Result<Subscription<V>, IdxMapError> {
        if capacity == 0 {
            return Err(IdxMapError::ZeroCapacity {
                map: self.title().to_owned(),
                subscriber: subscriber.to_owned(),
            });
        }
        let shared = Arc::new(ChannelShared::new(capacity));
        let registered = self.register(subscriber, Sink::Channel(Arc::clone(&shared)))?;
        let source: Weak<dyn Snapshot<V>> = Arc::downgrade(&self.inner) as Weak<dyn Snapshot<V>>;
        Ok(Subscription::new(subscriber, registered.id, shared, source))
    }

    /// Subscribes a callback. It runs synchronously on a writing thread, once per change made
    /// after this call, in the map's order, never for two changes at once; the write that made
    /// a change returns after its callbacks ran. Keep it fast: writers wait for it.
    ///
    /// The callback may read the map. A write it makes is applied at once and its event is
    /// delivered after the current one. A panicking callback is logged and the other
    /// subscribers still get the event. Dropping the returned handle unsubscribes.
    ///
    /// # Errors
    /// [`IdxMapError::DuplicateSubscriber`] when a subscriber of this name already exists.
    ///
    /// # Examples
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use cninfra_idxmap::IdxMap;
    ///
    /// let map: IdxMap<u32> = IdxMap::new("counters");
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let log = Arc::clone(&seen);
    /// let handle = map.watch("log", move |ev| log.lock().unwrap().push(ev.name.to_string()))?;
    /// map.put("a", 1);
    /// drop(handle);
    /// map.put("b", 2);
    /// assert_eq!(*seen.lock().unwrap(), ["a"]);
    /// # Ok::<(), cninfra_idxmap::IdxMapError>(())
    /// ```
    pub fn watch<F>(&self, subscriber: &str, callback: F) -> Result<WatchHandle, IdxMapError>
    where
        F: Fn(&Event<V>) + Send + Sync + 'static,
    {
        let registered = self.register(subscriber, Sink::Callback(Box::new(callback)))?;
        let detach: Weak<dyn Detach> = Arc::downgrade(&self.inner) as Weak<dyn Detach>;
        Ok(WatchHandle::new(registered.id, detach))
    }

    /// Registers, then activates under the read lock so that the subscriber gets exactly the
    /// changes made after this point.
    fn register(&self, subscriber: &str, sink: Sink<V>) -> Result<Arc<Subscriber<V>>, IdxMapError> {
        let registered = self.inner.hub.register(subscriber, sink)?;
        let state = self.inner.state.read();
        self.inner.hub.activate(&registered, state.next_seq);
        drop(state);
        Ok(registered)
    }
}

impl<V: Send + Sync + 'static> Detach for Inner<V> {
    fn unsubscribe(&self, id: u64) {
        self.hub.remove(id);
    }
}

impl<V: Send + Sync + 'static> Snapshot<V> for Inner<V> {
    fn snapshot(&self) -> (Entries<V>, u64) {
        let state = self.state.read();
        let entries = state
            .entries
            .iter()
            .map(|(k, v)| (Arc::clone(k), Arc::clone(v)))
            .collect();
        (entries, state.next_seq)
    }
}

impl<V> fmt::Debug for IdxMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let indexes: Vec<&str> = self.inner.defs.iter().map(|d| d.name.as_str()).collect();
        f.debug_struct("IdxMap")
            .field("title", &self.inner.title)
            .field("len", &self.inner.state.read().entries.len())
            .field("indexes", &indexes)
            .field("watch", &self.inner.hub)
            .finish()
    }
}

/// Builds an [`IdxMap`] with secondary indexes. Made by [`IdxMap::builder`].
pub struct IdxMapBuilder<V> {
    title: String,
    defs: Vec<IndexDef<V>>,
    channel_capacity: usize,
}

impl<V: Send + Sync + 'static> IdxMapBuilder<V> {
    /// Adds a secondary index: `keys` returns the index values of a value (none, one or
    /// many). It must depend only on the value.
    ///
    /// # Examples
    /// ```
    /// # use cninfra_idxmap::IdxMap;
    /// struct Route { vrf: u32, tags: Vec<String> }
    /// let map = IdxMap::builder("routes")
    ///     .with_index("by-vrf", |r: &Route| [r.vrf.to_string()])
    ///     .with_index("by-tag", |r: &Route| r.tags.clone())
    ///     .build()?;
    /// # Ok::<(), cninfra_idxmap::IdxMapError>(())
    /// ```
    pub fn with_index<F, I>(self, name: impl Into<String>, keys: F) -> Self
    where
        F: Fn(&V) -> I + Send + Sync + 'static,
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.with_index_emit(name, move |value, emit| {
            keys(value).into_iter().for_each(|key| emit(key.as_ref()));
        })
    }

    /// Adds a secondary index whose function hands each index value to `emit` instead of
    /// returning a collection: values borrowed from the value need no allocation, which
    /// keeps writes cheaper.
    ///
    /// # Examples
    /// ```
    /// # use cninfra_idxmap::IdxMap;
    /// struct Iface { kind: String }
    /// let map = IdxMap::builder("interfaces")
    ///     .with_index_emit("by-type", |v: &Iface, emit| emit(&v.kind))
    ///     .build()?;
    /// map.put("eth0", Iface { kind: "ethernet".into() });
    /// assert_eq!(map.lookup_by_index("by-type", "ethernet")?.len(), 1);
    /// # Ok::<(), cninfra_idxmap::IdxMapError>(())
    /// ```
    pub fn with_index_emit<F>(mut self, name: impl Into<String>, keys: F) -> Self
    where
        F: Fn(&V, &mut dyn FnMut(&str)) + Send + Sync + 'static,
    {
        self.defs.push(IndexDef {
            name: name.into(),
            keys: Box::new(keys),
        });
        self
    }

    /// Buffer size of channel subscribers made with [`IdxMap::subscribe`]
    /// (default [`DEFAULT_CHANNEL_CAPACITY`]).
    pub fn with_channel_capacity(mut self, capacity: usize) -> Self {
        self.channel_capacity = capacity;
        self
    }

    /// Builds the map.
    ///
    /// # Errors
    /// [`IdxMapError::DuplicateIndex`] when two indexes share a name,
    /// [`IdxMapError::ZeroCapacity`] when the channel capacity is 0.
    pub fn build(self) -> Result<IdxMap<V>, IdxMapError> {
        if self.channel_capacity == 0 {
            return Err(IdxMapError::ZeroCapacity {
                map: self.title,
                subscriber: "<default>".into(),
            });
        }
        for (i, def) in self.defs.iter().enumerate() {
            if self.defs[..i].iter().any(|d| d.name == def.name) {
                return Err(IdxMapError::DuplicateIndex {
                    map: self.title,
                    index: def.name.clone(),
                });
            }
        }
        Ok(IdxMap::from_parts(
            self.title,
            self.defs,
            self.channel_capacity,
        ))
    }
}

impl<V> fmt::Debug for IdxMapBuilder<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdxMapBuilder")
            .field("title", &self.title)
            .field("indexes", &self.defs)
            .field("channel_capacity", &self.channel_capacity)
            .finish()
    }
}
