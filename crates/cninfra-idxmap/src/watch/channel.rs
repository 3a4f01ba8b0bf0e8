//! Channel subscribers: a bounded buffer per subscriber, with resync on overflow.
//!
//! Policy: writers never wait for a channel subscriber. When its buffer is full the
//! subscriber is marked lagged and every further event is dropped for it (and counted) until
//! it has read what is buffered; its next receive then returns
//! [`Notification::Resync`] with a snapshot of the whole map, and the events that follow are
//! exactly the changes made after that snapshot.
//!
//! # Why this is not `cninfra_kv::watch::event_channel`
//! Connectors' watch queues share one queue and policy, `cninfra_kv::watch::event_channel`.
//! This one gives the same guarantees (writers never wait; nothing is dropped without a
//! resync signal that comes before every later event and counts what was missed) but is
//! its own, for three reasons:
//! - The map's core depends on neither `cninfra-kv` nor tokio (both are optional, for the
//!   `cache` feature); using the kv queue would pull tokio, prost and serde into every user
//!   of the map.
//! - Subscribers also receive from plain threads ([`Subscription::recv_timeout`] blocks on a
//!   condition variable), which the async kv queue does not offer.
//! - The resync signal is a snapshot of the whole map, taken when the subscriber reaches
//!   it. The events buffered before the overflow are still exact changes that precede the
//!   snapshot, so they are kept and delivered (the kv queue drops them because its consumer
//!   re-lists anyway); the tests in `tests/watch_overflow.rs` pin this order.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::Snapshot;
use crate::event::{Event, Notification};

/// The state shared by the map (writer side) and one [`Subscription`].
pub(crate) struct Shared<V> {
    buffer: Mutex<Buffer<V>>,
    ready: Condvar,
    capacity: usize,
}

struct Buffer<V> {
    items: VecDeque<Arc<Event<V>>>,
    lagged: bool,
    missed: u64,
    /// Events with a smaller `seq` are already covered by the last resync snapshot.
    min_seq: u64,
    closed: bool,
    waker: Option<Waker>,
}

impl<V> Shared<V> {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            buffer: Mutex::new(Buffer {
                items: VecDeque::new(),
                lagged: false,
                missed: 0,
                min_seq: 0,
                closed: false,
                waker: None,
            }),
            ready: Condvar::new(),
            capacity,
        }
    }

    /// Buffers `event`, or drops and counts it when the subscriber lags.
    pub(crate) fn push(&self, title: &str, subscriber: &str, event: &Arc<Event<V>>) {
        let waker = {
            let mut buffer = self.buffer.lock();
            if event.seq < buffer.min_seq {
                return;
            }
            if buffer.lagged {
                buffer.missed += 1;
                return;
            }
            if buffer.items.len() >= self.capacity {
                buffer.lagged = true;
                buffer.missed += 1;
                tracing::warn!(
                    map = title,
                    subscriber,
                    capacity = self.capacity,
                    seq = event.seq,
                    "idxmap subscriber fell behind; it will get a resync snapshot"
                );
                return;
            }
            buffer.items.push_back(Arc::clone(event));
            buffer.waker.take()
        };
        self.ready.notify_one();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Tells the receiver that no more events will come (the map is gone).
    pub(crate) fn close(&self) {
        let waker = {
            let mut buffer = self.buffer.lock();
            buffer.closed = true;
            buffer.waker.take()
        };
        self.ready.notify_all();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// What the buffer allows the receiver to do next.
enum Step<V> {
    Item(Arc<Event<V>>),
    Resync,
    Closed,
    Empty,
}

impl<V> Buffer<V> {
    fn step(&mut self) -> Step<V> {
        if let Some(event) = self.items.pop_front() {
            Step::Item(event)
        } else if self.lagged {
            Step::Resync
        } else if self.closed {
            Step::Closed
        } else {
            Step::Empty
        }
    }
}

/// Why [`Subscription::try_recv`] returned nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TryRecvError {
    /// Nothing is buffered right now.
    #[error("no idxmap event is buffered")]
    Empty,
    /// The map is gone and everything was received.
    #[error("the idxmap was dropped")]
    Closed,
}

/// Why [`Subscription::recv_timeout`] returned nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecvTimeoutError {
    /// Nothing arrived within the time limit.
    #[error("no idxmap event arrived in time")]
    Timeout,
    /// The map is gone and everything was received.
    #[error("the idxmap was dropped")]
    Closed,
}

/// A channel subscriber of an [`IdxMap`](crate::IdxMap): receives its changes in order.
///
/// Created by [`IdxMap::subscribe`](crate::IdxMap::subscribe). Dropping it unsubscribes. It
/// buffers up to its capacity; a subscriber that falls further behind gets a
/// [`Notification::Resync`] instead of the events it missed (see the module policy in
/// [`IdxMap::subscribe`](crate::IdxMap::subscribe)). Receive with [`recv`](Self::recv) in
/// async code, or [`recv_timeout`](Self::recv_timeout) / [`try_recv`](Self::try_recv) from
/// threads.
pub struct Subscription<V> {
    name: String,
    id: u64,
    shared: Arc<Shared<V>>,
    source: Weak<dyn Snapshot<V>>,
}

impl<V> Subscription<V> {
    pub(crate) fn new(
        name: &str,
        id: u64,
        shared: Arc<Shared<V>>,
        source: Weak<dyn Snapshot<V>>,
    ) -> Self {
        Self {
            name: name.to_owned(),
            id,
            shared,
            source,
        }
    }

    /// The subscriber name given to [`IdxMap::subscribe`](crate::IdxMap::subscribe).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Waits for the next notification; `None` once the map is dropped and everything
    /// buffered was received.
    pub async fn recv(&mut self) -> Option<Notification<V>> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next notification (the building block of [`recv`](Self::recv)).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Notification<V>>> {
        let mut buffer = self.shared.buffer.lock();
        match buffer.step() {
            Step::Item(event) => Poll::Ready(Some(Notification::Event(event))),
            Step::Resync => {
                drop(buffer);
                Poll::Ready(self.resync())
            }
            Step::Closed => Poll::Ready(None),
            Step::Empty => {
                buffer.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }

    /// Returns the next notification if one is ready, without waiting.
    ///
    /// # Errors
    /// [`TryRecvError::Empty`] when nothing is buffered, [`TryRecvError::Closed`] when the
    /// map is gone.
    pub fn try_recv(&mut self) -> Result<Notification<V>, TryRecvError> {
        let step = self.shared.buffer.lock().step();
        match step {
            Step::Item(event) => Ok(Notification::Event(event)),
            Step::Resync => self.resync().ok_or(TryRecvError::Closed),
            Step::Closed => Err(TryRecvError::Closed),
            Step::Empty => Err(TryRecvError::Empty),
        }
    }

    /// Blocks the thread until the next notification or until `timeout` has passed.
    ///
    /// # Errors
    /// [`RecvTimeoutError::Timeout`] when nothing came in time, [`RecvTimeoutError::Closed`]
    /// when the map is gone.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Notification<V>, RecvTimeoutError> {
        let deadline = Instant::now() + timeout;
        let mut buffer = self.shared.buffer.lock();
        loop {
            match buffer.step() {
                Step::Item(event) => return Ok(Notification::Event(event)),
                Step::Resync => {
                    drop(buffer);
                    return self.resync().ok_or(RecvTimeoutError::Closed);
                }
                Step::Closed => return Err(RecvTimeoutError::Closed),
                Step::Empty => {
                    if self
                        .shared
                        .ready
                        .wait_until(&mut buffer, deadline)
                        .timed_out()
                        && buffer.items.is_empty()
                        && !buffer.lagged
                        && !buffer.closed
                    {
                        return Err(RecvTimeoutError::Timeout);
                    }
                }
            }
        }
    }

    /// Number of notifications buffered and not yet received.
    pub fn len(&self) -> usize {
        self.shared.buffer.lock().items.len()
    }

    /// True when nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes a snapshot of the map and resumes normal delivery after it.
    fn resync(&mut self) -> Option<Notification<V>> {
        let source = self.source.upgrade()?;
        let missed = {
            let mut buffer = self.shared.buffer.lock();
            buffer.lagged = false;
            std::mem::take(&mut buffer.missed)
        };
        // Events produced from here on are buffered again; those the snapshot already
        // contains are removed below or skipped by `min_seq`.
        let (entries, next_seq) = source.snapshot();
        let mut buffer = self.shared.buffer.lock();
        buffer.min_seq = next_seq;
        buffer.items.retain(|event| event.seq >= next_seq);
        Some(Notification::Resync { missed, entries })
    }
}

impl<V> Drop for Subscription<V> {
    fn drop(&mut self) {
        if let Some(source) = self.source.upgrade() {
            source.unsubscribe(self.id);
        }
    }
}

impl<V> fmt::Debug for Subscription<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("name", &self.name)
            .field("capacity", &self.shared.capacity)
            .finish_non_exhaustive()
    }
}
