//! [`Watcher`]: the receiving end of a watch registration.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
use tokio::sync::mpsc;

use crate::event::Event;

/// The events of one watch, as returned by
/// [`KvdbSyncPlugin::watch`](crate::KvdbSyncPlugin::watch): a resync first, then changes
/// (see the [crate docs](crate#the-contract)). Also a [`Stream`] of [`Event`]s.
///
/// Dropping it ends the watch: its registration is removed and its name can be used again.
#[derive(Debug)]
pub struct Watcher {
    name: String,
    prefixes: Vec<String>,
    events: mpsc::Receiver<Event>,
}

impl Watcher {
    pub(crate) fn new(name: String, prefixes: Vec<String>, events: mpsc::Receiver<Event>) -> Self {
        Self {
            name,
            prefixes,
            events,
        }
    }

    /// The watch name (the watching plugin's status name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The watched key prefixes, relative to the agent prefix.
    pub fn prefixes(&self) -> &[String] {
        &self.prefixes
    }

    /// The next event; `None` once the data sync plugin closed.
    pub async fn recv(&mut self) -> Option<Event> {
        self.events.recv().await
    }
}

impl Stream for Watcher {
    type Item = Event;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.events.poll_recv(cx)
    }
}
