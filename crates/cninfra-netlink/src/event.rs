//! [`Event`]: what a watched namespace reports (links, addresses, routes, neighbours
//! appearing, changing, going away), and the channel they arrive on.

use crate::{Address, Link, Namespace, Neighbour, Route};

/// The receiving end of a subscription to events (see
/// [`Netlink::subscribe`](crate::Netlink::subscribe)).
pub type EventReceiver = tokio::sync::mpsc::UnboundedReceiver<Event>;

/// The sending end of a subscription.
pub(crate) type EventSender = tokio::sync::mpsc::UnboundedSender<Event>;

/// Something changed in a watched namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Where.
    pub namespace: Namespace,
    /// What.
    pub kind: EventKind,
}

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventKind {
    /// A link appeared (created, or moved into the namespace).
    LinkAdded(Link),
    /// A link changed (up/down, carrier, name, MTU, ...).
    LinkChanged(Link),
    /// A link went away (deleted, or moved out of the namespace).
    LinkRemoved(Link),
    /// An address was added.
    AddressAdded(Address),
    /// An address was removed.
    AddressRemoved(Address),
    /// A route was added or replaced.
    RouteAdded(Route),
    /// A route was removed.
    RouteRemoved(Route),
    /// A neighbour entry was added or changed state.
    NeighbourUpdated(Neighbour),
    /// A neighbour entry was removed.
    NeighbourRemoved(Neighbour),
    /// The namespace is gone; it is no longer watched.
    NamespaceGone,
    /// Events of the namespace were lost (the socket's buffer overflowed): re-read what
    /// matters.
    Overrun,
}

/// Hands events to the current subscribers, forgetting those that hung up.
#[derive(Debug, Default)]
pub(crate) struct Subscribers {
    senders: parking_lot::Mutex<Vec<EventSender>>,
}

impl Subscribers {
    /// A new subscription.
    pub(crate) fn subscribe(&self) -> EventReceiver {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        self.senders.lock().push(tx);
        rx
    }

    /// Sends `event` to every subscriber (never blocks).
    pub(crate) fn send(&self, event: Event) {
        self.senders
            .lock()
            .retain(|tx| tx.send(event.clone()).is_ok());
    }
}
