//! The bounded per-watcher queue of the memory store and the stream reading it.
//!
//! Writers push while holding the store's write lock, so every watcher sees changes in
//! revision order. A push never blocks: when the queue is full its content is dropped and
//! replaced by one [`ResyncReason::Lagged`] signal, so the consumer learns that it must
//! re-read the state instead of silently missing changes.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use futures::Stream;
use futures::task::AtomicWaker;
use parking_lot::Mutex;

use crate::error::KvError;
use crate::watch::{KeyChange, ResyncReason, WatchEvent};

/// An item waiting in a queue; changes are shared with the history and other watchers.
#[derive(Debug)]
pub(super) enum Item {
    Change(Arc<KeyChange>),
    Resync(ResyncReason),
}

#[derive(Debug)]
struct Slots {
    items: VecDeque<Item>,
    closed: bool,
}

/// One watcher: what it watches and what it has not read yet.
#[derive(Debug)]
pub(super) struct WatchQueue {
    prefixes: Vec<String>,
    /// Live changes below this revision are not delivered (watch from a future revision).
    min_revision: u64,
    capacity: usize,
    slots: Mutex<Slots>,
    waker: AtomicWaker,
    receiver_gone: AtomicBool,
}

impl WatchQueue {
    /// A queue holding `initial` (replayed history or a resync signal); it accepts
    /// `buffer` more items before it overflows.
    pub(super) fn new(
        prefixes: Vec<String>,
        min_revision: u64,
        initial: VecDeque<Item>,
        buffer: usize,
    ) -> Arc<Self> {
        Arc::new(Self {
            prefixes,
            min_revision,
            capacity: initial.len() + buffer.max(1),
            slots: Mutex::new(Slots {
                items: initial,
                closed: false,
            }),
            waker: AtomicWaker::new(),
            receiver_gone: AtomicBool::new(false),
        })
    }

    /// True when `key` is under one of the watched prefixes.
    pub(super) fn matches(&self, key: &str) -> bool {
        self.prefixes.iter().any(|p| key.starts_with(p.as_str()))
    }

    /// True once the stream was dropped; the store then forgets the queue.
    pub(super) fn is_abandoned(&self) -> bool {
        self.receiver_gone.load(Ordering::Relaxed)
    }

    /// Queues a change for this watcher if it matches; never blocks.
    pub(super) fn offer(&self, change: &Arc<KeyChange>) {
        if change.revision < self.min_revision || !self.matches(&change.key) {
            return;
        }
        {
            let mut slots = self.slots.lock();
            if slots.items.len() >= self.capacity {
                tracing::warn!(
                    prefixes = ?self.prefixes,
                    dropped = slots.items.len(),
                    revision = change.revision,
                    "memory store watcher is too slow; dropping its queue and signalling resync"
                );
                slots.items.clear();
                slots.items.push_back(Item::Resync(ResyncReason::Lagged));
            }
            slots.items.push_back(Item::Change(Arc::clone(change)));
        }
        self.waker.wake();
    }

    /// Ends the stream once the queued items are read.
    pub(super) fn close(&self) {
        self.slots.lock().closed = true;
        self.waker.wake();
    }

    fn try_next(&self) -> Option<Option<WatchEvent>> {
        let mut slots = self.slots.lock();
        match slots.items.pop_front() {
            Some(Item::Change(change)) => Some(Some(WatchEvent::Change(KeyChange::clone(&change)))),
            Some(Item::Resync(reason)) => Some(Some(WatchEvent::Resync(reason))),
            None if slots.closed => Some(None),
            None => None,
        }
    }
}

/// The receiving end of a [`WatchQueue`].
#[derive(Debug)]
pub(super) struct QueueStream {
    queue: Arc<WatchQueue>,
}

impl QueueStream {
    pub(super) fn new(queue: Arc<WatchQueue>) -> Self {
        Self { queue }
    }
}

impl Stream for QueueStream {
    type Item = Result<WatchEvent, KvError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(next) = self.queue.try_next() {
            return Poll::Ready(next.map(Ok));
        }
        self.queue.waker.register(cx.waker());
        match self.queue.try_next() {
            Some(next) => Poll::Ready(next.map(Ok)),
            None => Poll::Pending,
        }
    }
}

impl Drop for QueueStream {
    fn drop(&mut self) {
        self.queue.receiver_gone.store(true, Ordering::Relaxed);
    }
}
