//! Watchers: registration and ordered delivery of change events.
//!
//! A write that changes the map appends its [`Event`] to a queue while it still holds the
//! map's write lock, so the queue is in the order of the changes. After releasing the map
//! lock, the writer takes the dispatch lock and delivers everything queued, oldest first, to
//! every subscriber. Whoever holds the dispatch lock delivers the events of all writers, so
//! each subscriber sees one global order, and a write returns only after its own event was
//! delivered. Callbacks run without the map lock held: they may read the map, and a write
//! made from inside a callback is queued and delivered after the current event.

mod channel;

use std::collections::VecDeque;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::{Mutex, RwLock};

pub use channel::{RecvTimeoutError, Subscription, TryRecvError};

use crate::error::IdxMapError;
use crate::event::Event;
pub(crate) use channel::Shared as ChannelShared;

/// The signature of a callback subscriber.
pub(crate) type Callback<V> = Box<dyn Fn(&Event<V>) + Send + Sync>;

/// What the map offers to handles that outlive a single call.
pub(crate) trait Detach: Send + Sync {
    /// Removes the subscriber `id`; unknown ids are ignored.
    fn unsubscribe(&self, id: u64);
}

/// Every entry of a map, in no particular order.
pub(crate) type Entries<V> = Vec<(Arc<str>, Arc<V>)>;

/// What a channel subscription needs from the map to resynchronise.
pub(crate) trait Snapshot<V>: Detach {
    /// Every entry, and the `seq` the next change will get.
    fn snapshot(&self) -> (Entries<V>, u64);
}

/// Where a subscriber's events go.
pub(crate) enum Sink<V> {
    Callback(Callback<V>),
    Channel(Arc<ChannelShared<V>>),
}

/// One registered subscriber.
pub(crate) struct Subscriber<V> {
    pub(crate) id: u64,
    name: String,
    /// Events with a smaller `seq` happened before the subscription and are skipped.
    min_seq: AtomicU64,
    active: AtomicBool,
    sink: Sink<V>,
}

impl<V> Subscriber<V> {
    fn deliver(&self, title: &str, event: &Arc<Event<V>>) {
        if !self.active.load(Ordering::Acquire) || event.seq < self.min_seq.load(Ordering::Acquire)
        {
            return;
        }
        match &self.sink {
            Sink::Callback(callback) => {
                if catch_unwind(AssertUnwindSafe(|| callback(event))).is_err() {
                    tracing::error!(map = title, subscriber = %self.name, name = %event.name,
                        seq = event.seq, "idxmap watch callback panicked; event skipped for it");
                }
            }
            Sink::Channel(shared) => shared.push(title, &self.name, event),
        }
    }
}

impl<V> Drop for Subscriber<V> {
    fn drop(&mut self) {
        if let Sink::Channel(shared) = &self.sink {
            shared.close();
        }
    }
}

/// The subscribers of one map and the queue of events not yet delivered.
pub(crate) struct Hub<V> {
    title: Arc<str>,
    subscribers: RwLock<Arc<Vec<Arc<Subscriber<V>>>>>,
    /// Number of activated subscribers; writers skip building events while it is 0.
    active: AtomicUsize,
    queue: Mutex<VecDeque<Arc<Event<V>>>>,
    dispatch: Mutex<()>,
    /// Token of the thread delivering events right now (0: none).
    dispatcher: AtomicU64,
    next_id: AtomicU64,
}

impl<V> Hub<V> {
    pub(crate) fn new(title: Arc<str>) -> Self {
        Self {
            title,
            subscribers: RwLock::new(Arc::new(Vec::new())),
            active: AtomicUsize::new(0),
            queue: Mutex::new(VecDeque::new()),
            dispatch: Mutex::new(()),
            dispatcher: AtomicU64::new(0),
            next_id: AtomicU64::new(1),
        }
    }

    /// Whether any subscriber is active. Read under the map's write lock; subscribers are
    /// counted under the map's read lock, so the lock orders the two.
    pub(crate) fn has_subscribers(&self) -> bool {
        self.active.load(Ordering::Relaxed) > 0
    }

    /// Adds a subscriber that receives nothing until [`Hub::activate`].
    ///
    /// # Errors
    /// [`IdxMapError::DuplicateSubscriber`] when the name is taken.
    pub(crate) fn register(
        &self,
        name: &str,
        sink: Sink<V>,
    ) -> Result<Arc<Subscriber<V>>, IdxMapError> {
        let mut list = self.subscribers.write();
        if list.iter().any(|s| s.name == name) {
            return Err(IdxMapError::DuplicateSubscriber {
                map: self.title.to_string(),
                subscriber: name.to_owned(),
            });
        }
        let subscriber = Arc::new(Subscriber {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            name: name.to_owned(),
            min_seq: AtomicU64::new(u64::MAX),
            active: AtomicBool::new(true),
            sink,
        });
        let mut next = Vec::with_capacity(list.len() + 1);
        next.extend(list.iter().cloned());
        next.push(Arc::clone(&subscriber));
        *list = Arc::new(next);
        Ok(subscriber)
    }

    /// Starts delivery to `subscriber` from change `next_seq` on. Must be called under the
    /// map's read lock, which fixes `next_seq`.
    pub(crate) fn activate(&self, subscriber: &Subscriber<V>, next_seq: u64) {
        subscriber.min_seq.store(next_seq, Ordering::Release);
        self.active.fetch_add(1, Ordering::Relaxed);
    }

    /// Removes subscriber `id`; no callback of it starts after this returns.
    pub(crate) fn remove(&self, id: u64) {
        let mut list = self.subscribers.write();
        let Some(found) = list.iter().find(|s| s.id == id) else {
            return;
        };
        found.active.store(false, Ordering::Release);
        if found.min_seq.load(Ordering::Acquire) != u64::MAX {
            self.active.fetch_sub(1, Ordering::Relaxed);
        }
        *list = Arc::new(list.iter().filter(|s| s.id != id).cloned().collect());
    }

    /// Queues an event. Must be called under the map's write lock.
    pub(crate) fn enqueue(&self, event: Event<V>) {
        self.queue.lock().push_back(Arc::new(event));
    }

    /// Delivers every queued event, in order. Called by writers after releasing the map lock.
    pub(crate) fn drain(&self) {
        let me = thread_token();
        if self.dispatcher.load(Ordering::Acquire) == me {
            // A write made by a callback: the loop below, further up this thread's stack,
            // delivers it after the current event.
            return;
        }
        let _dispatch = self.dispatch.lock();
        self.dispatcher.store(me, Ordering::Release);
        let _reset = ResetOnDrop(&self.dispatcher);
        loop {
            let Some(event) = self.queue.lock().pop_front() else {
                break;
            };
            let subscribers = Arc::clone(&self.subscribers.read());
            for subscriber in subscribers.iter() {
                subscriber.deliver(&self.title, &event);
            }
        }
    }
}

impl<V> fmt::Debug for Hub<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self
            .subscribers
            .read()
            .iter()
            .map(|s| s.name.clone())
            .collect();
        f.debug_struct("Hub")
            .field("subscribers", &names)
            .finish_non_exhaustive()
    }
}

/// Clears the dispatcher token even if delivery unwinds.
struct ResetOnDrop<'a>(&'a AtomicU64);

impl Drop for ResetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(0, Ordering::Release);
    }
}

/// A number unique to the calling thread (never 0).
fn thread_token() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    thread_local!(static TOKEN: u64 = NEXT.fetch_add(1, Ordering::Relaxed));
    TOKEN.with(|token| *token)
}

/// Keeps a callback subscriber registered; dropping it (or calling
/// [`WatchHandle::unsubscribe`]) removes the subscriber. No callback starts after that
/// returns; one already running on another thread finishes.
#[must_use = "dropping the handle unsubscribes the callback at once"]
pub struct WatchHandle {
    id: u64,
    map: Weak<dyn Detach>,
}

impl WatchHandle {
    pub(crate) fn new(id: u64, map: Weak<dyn Detach>) -> Self {
        Self { id, map }
    }

    /// Removes the callback subscriber (same as dropping the handle).
    pub fn unsubscribe(self) {}
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        if let Some(map) = self.map.upgrade() {
            map.unsubscribe(self.id);
        }
    }
}

impl fmt::Debug for WatchHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WatchHandle")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}
