//! The per-watcher queue of the memory store and the stream reading it.
//!
//! Writers push while holding the store's write lock, so every watcher sees changes in
//! revision order. The queue is a [`watch::event_channel`](crate::watch::event_channel) and
//! follows its overflow policy: a push never blocks, and a watcher that lets it fill up
//! loses what is queued and reads one [`ResyncReason::Lagged`] before the later changes.

use std::collections::VecDeque;
use std::sync::Arc;

use futures::StreamExt;

use crate::watch::{EventSender, Received, ResyncReason, Sent, WatchEvent, WatchStream};
use crate::watch::{KeyChange, event_channel};

/// An item waiting in a queue; changes are shared with the history and other watchers.
#[derive(Debug)]
pub(super) enum Item {
    Change(Arc<KeyChange>),
    Resync(ResyncReason),
}

/// One watcher: what it watches and where its changes go.
#[derive(Debug)]
pub(super) struct WatchQueue {
    prefixes: Vec<String>,
    /// Live changes below this revision are not delivered (watch from a future revision).
    min_revision: u64,
    sender: EventSender<Item>,
}

impl WatchQueue {
    /// A queue holding `initial` (replayed history or a resync signal) that accepts
    /// `buffer` more items before it overflows, and the stream reading it.
    pub(super) fn new(
        prefixes: Vec<String>,
        min_revision: u64,
        initial: VecDeque<Item>,
        buffer: usize,
    ) -> (Self, WatchStream) {
        let (sender, receiver) = event_channel(initial.len() + buffer.max(1));
        for item in initial {
            // Room for every initial item was made above, and the receiver is alive.
            let _ = sender.send(item);
        }
        let stream = receiver
            .map(|received| {
                Ok(match received {
                    Received::Item(Item::Change(change)) => {
                        WatchEvent::Change(KeyChange::clone(&change))
                    }
                    Received::Item(Item::Resync(reason)) => WatchEvent::Resync(reason),
                    Received::Lagged { .. } => WatchEvent::Resync(ResyncReason::Lagged),
                })
            })
            .boxed();
        let queue = Self {
            prefixes,
            min_revision,
            sender,
        };
        (queue, stream)
    }

    /// True when `key` is under one of the watched prefixes.
    fn matches(&self, key: &str) -> bool {
        self.prefixes.iter().any(|p| key.starts_with(p.as_str()))
    }

    /// True once the stream was dropped; the store then forgets the queue.
    pub(super) fn is_abandoned(&self) -> bool {
        self.sender.is_closed()
    }

    /// Queues a change for this watcher if it matches; never blocks.
    pub(super) fn offer(&self, change: &Arc<KeyChange>) {
        if change.revision < self.min_revision || !self.matches(&change.key) {
            return;
        }
        if let Ok(Sent::Overflowed { dropped }) = self.sender.send(Item::Change(Arc::clone(change)))
        {
            tracing::warn!(
                prefixes = ?self.prefixes,
                dropped,
                revision = change.revision,
                "memory store watcher is too slow; dropping its queue and signalling resync"
            );
        }
    }

    /// Ends the stream once the queued items are read.
    pub(super) fn close(&self) {
        self.sender.close();
    }
}
