//! The bounded event queue between a watch loop and its consumer.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use futures::task::AtomicWaker;
use futures::{Stream, StreamExt};
use parking_lot::Mutex;
use tokio::sync::Notify;

use super::event::{ResyncReason, WatchEvent, WatchStream};
use crate::error::KvError;

/// A bounded queue of events for one consumer; returns its two ends.
///
/// # Overflow policy
/// The sender never waits and never drops an event silently. When `capacity` events are
/// queued and another one is sent, everything queued is dropped and the consumer's next
/// receive is one [`Received::Lagged`] counting what it lost; the new event and those
/// after it follow in order. The consumer then re-reads the state it mirrors (for a
/// key-value watch: lists the watched prefixes, see [`ResyncReason::Lagged`]) and goes on
/// applying the events after the marker. Dropping the queue rather than the newest events
/// means a lagging consumer does not work through stale events before it learns that it
/// must re-read, and the marker always comes before every event it did not cover.
///
/// The queue ends (the receiver returns `None` after the queued events) once every sender
/// is dropped or [`EventSender::close`] is called. A capacity of 0 counts as 1.
///
/// ```
/// use cninfra_kv::watch::{Received, event_channel};
///
/// let (sender, mut receiver) = event_channel(2);
/// for n in 1..=5 {
///     let _sent = sender.send(n).unwrap(); // never blocks
/// }
/// drop(sender);
/// assert_eq!(receiver.try_recv(), Ok(Received::Lagged { missed: 4 })); // 1 to 4
/// assert_eq!(receiver.try_recv(), Ok(Received::Item(5)));
/// assert!(receiver.try_recv().is_err()); // closed
/// ```
pub fn event_channel<T>(capacity: usize) -> (EventSender<T>, EventReceiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            items: VecDeque::new(),
            missed: None,
            closed: false,
        }),
        capacity: capacity.max(1),
        waker: AtomicWaker::new(),
        senders: AtomicUsize::new(1),
        receiver_gone: AtomicBool::new(false),
        gone: Notify::new(),
    });
    (
        EventSender {
            shared: Arc::clone(&shared),
        },
        EventReceiver { shared },
    )
}

struct Shared<T> {
    state: Mutex<State<T>>,
    capacity: usize,
    waker: AtomicWaker,
    senders: AtomicUsize,
    receiver_gone: AtomicBool,
    gone: Notify,
}

struct State<T> {
    items: VecDeque<T>,
    /// Events dropped since the consumer last received a lag marker; the marker is owed
    /// before every queued item.
    missed: Option<u64>,
    closed: bool,
}

impl<T> Shared<T> {
    fn close(&self) {
        self.state.lock().closed = true;
        self.waker.wake();
    }
}

/// What an [`EventReceiver`] hands out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received<T> {
    /// The next event.
    Item(T),
    /// The consumer fell behind and `missed` events were dropped before the events that
    /// follow: re-read the state, then go on.
    Lagged {
        /// How many events were dropped.
        missed: u64,
    },
}

/// How [`EventSender::send`] queued an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "an overflow is worth a log line with the watch's context"]
pub enum Sent {
    /// Queued behind the others.
    Queued,
    /// The queue was full: its `dropped` events were replaced by a lag marker, and the
    /// event was queued after it.
    Overflowed {
        /// How many queued events were dropped.
        dropped: usize,
    },
}

/// The event could not be queued: the receiver is gone or the queue was closed.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("the event queue is closed")]
pub struct SendError<T>(pub T);

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendError").finish_non_exhaustive()
    }
}

/// Why [`EventReceiver::try_recv`] returned nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TryRecvError {
    /// Nothing is queued right now.
    #[error("no event is queued")]
    Empty,
    /// Every sender is gone (or the queue was closed) and everything was received.
    #[error("the event queue is closed")]
    Closed,
}

/// The sending end of an [`event_channel`]; clones feed the same queue.
pub struct EventSender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> EventSender<T> {
    /// Queues `item` without waiting, following the [overflow policy](event_channel).
    ///
    /// # Errors
    /// [`SendError`] with the item when the receiver is gone or the queue was closed.
    pub fn send(&self, item: T) -> Result<Sent, SendError<T>> {
        if self.is_closed() {
            return Err(SendError(item));
        }
        let sent = {
            let mut state = self.shared.state.lock();
            if state.closed {
                return Err(SendError(item));
            }
            let sent = if state.items.len() >= self.shared.capacity {
                let dropped = state.items.len();
                state.items.clear();
                *state.missed.get_or_insert(0) += dropped as u64;
                Sent::Overflowed { dropped }
            } else {
                Sent::Queued
            };
            state.items.push_back(item);
            sent
        };
        self.shared.waker.wake();
        Ok(sent)
    }

    /// Ends the queue for every sender: the receiver gets what is queued, then `None`.
    pub fn close(&self) {
        self.shared.close();
    }

    /// True once the receiver is dropped: nothing sent will be read.
    pub fn is_closed(&self) -> bool {
        self.shared.receiver_gone.load(Ordering::Acquire)
    }

    /// Resolves once the receiver is dropped (for `select!` in a watch loop).
    pub async fn closed(&self) {
        loop {
            let notified = self.shared.gone.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            if self.is_closed() {
                return;
            }
            notified.await;
        }
    }
}

impl<T> Clone for EventSender<T> {
    fn clone(&self) -> Self {
        self.shared.senders.fetch_add(1, Ordering::Relaxed);
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Drop for EventSender<T> {
    fn drop(&mut self) {
        if self.shared.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.shared.close();
        }
    }
}

impl<T> fmt::Debug for EventSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSender")
            .field("capacity", &self.shared.capacity)
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

/// The receiving end of an [`event_channel`]; also a [`Stream`] of [`Received`] items.
/// Dropping it closes the queue for the senders.
pub struct EventReceiver<T> {
    shared: Arc<Shared<T>>,
}

impl<T> EventReceiver<T> {
    /// Waits for the next item; `None` once the queue is closed and everything was received.
    pub async fn recv(&mut self) -> Option<Received<T>> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next item (the building block of [`recv`](Self::recv)).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Received<T>>> {
        if let Ok(next) = self.next_ready() {
            return Poll::Ready(next);
        }
        self.shared.waker.register(cx.waker());
        match self.next_ready() {
            Ok(next) => Poll::Ready(next),
            Err(()) => Poll::Pending,
        }
    }

    /// The next item if one is queued, without waiting.
    ///
    /// # Errors
    /// [`TryRecvError::Empty`] when nothing is queued, [`TryRecvError::Closed`] when the
    /// queue is closed and everything was received.
    pub fn try_recv(&mut self) -> Result<Received<T>, TryRecvError> {
        match self.next_ready() {
            Ok(Some(next)) => Ok(next),
            Ok(None) => Err(TryRecvError::Closed),
            Err(()) => Err(TryRecvError::Empty),
        }
    }

    /// `Ok(None)` when closed and drained, `Err(())` when empty for now.
    fn next_ready(&self) -> Result<Option<Received<T>>, ()> {
        let mut state = self.shared.state.lock();
        if let Some(missed) = state.missed.take() {
            return Ok(Some(Received::Lagged { missed }));
        }
        match state.items.pop_front() {
            Some(item) => Ok(Some(Received::Item(item))),
            None if state.closed => Ok(None),
            None => Err(()),
        }
    }
}

impl EventReceiver<Result<WatchEvent, KvError>> {
    /// The [`WatchStream`] of a key-value watch: a lag marker becomes
    /// [`WatchEvent::Resync`] with [`ResyncReason::Lagged`].
    pub fn into_watch_stream(self) -> WatchStream {
        self.map(|received| match received {
            Received::Item(item) => item,
            Received::Lagged { .. } => Ok(WatchEvent::Resync(ResyncReason::Lagged)),
        })
        .boxed()
    }
}

impl<T> Stream for EventReceiver<T> {
    type Item = Received<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_recv(cx)
    }
}

impl<T> Drop for EventReceiver<T> {
    fn drop(&mut self) {
        self.shared.receiver_gone.store(true, Ordering::Release);
        self.shared.gone.notify_waiters();
        self.shared.state.lock().items.clear();
    }
}

impl<T> fmt::Debug for EventReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventReceiver")
            .field("capacity", &self.shared.capacity)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn events_arrive_in_order_while_there_is_room() {
        let (sender, mut receiver) = event_channel(3);
        for n in 0..3 {
            assert_eq!(sender.send(n).unwrap(), Sent::Queued);
        }
        for n in 0..3 {
            assert_eq!(receiver.try_recv(), Ok(Received::Item(n)));
        }
        assert_eq!(receiver.try_recv(), Err(TryRecvError::Empty));
    }

    #[test]
    fn overflow_drops_the_queue_and_puts_one_marker_before_later_events() {
        let (sender, mut receiver) = event_channel(2);
        assert_eq!(sender.send(1).unwrap(), Sent::Queued);
        assert_eq!(sender.send(2).unwrap(), Sent::Queued);
        assert_eq!(sender.send(3).unwrap(), Sent::Overflowed { dropped: 2 });
        assert_eq!(sender.send(4).unwrap(), Sent::Queued);
        assert_eq!(receiver.try_recv(), Ok(Received::Lagged { missed: 2 }));
        assert_eq!(receiver.try_recv(), Ok(Received::Item(3)));
        assert_eq!(receiver.try_recv(), Ok(Received::Item(4)));
        assert_eq!(receiver.try_recv(), Err(TryRecvError::Empty));
    }

    #[test]
    fn repeated_overflows_owe_one_marker_counting_every_loss() {
        let (sender, mut receiver) = event_channel(2);
        for n in 0..7 {
            let _ = sender.send(n).unwrap();
        }
        // 0,1 dropped at 2; 2,3 at 4; 4,5 at 6.
        assert_eq!(receiver.try_recv(), Ok(Received::Lagged { missed: 6 }));
        assert_eq!(receiver.try_recv(), Ok(Received::Item(6)));
        let _ = sender.send(7).unwrap();
        assert_eq!(
            receiver.try_recv(),
            Ok(Received::Item(7)),
            "no second marker"
        );
    }

    #[test]
    fn the_queue_ends_after_the_last_sender_and_after_close() {
        let (sender, mut receiver) = event_channel(4);
        let other = sender.clone();
        let _ = sender.send(1).unwrap();
        drop(sender);
        assert_eq!(receiver.try_recv(), Ok(Received::Item(1)));
        assert_eq!(
            receiver.try_recv(),
            Err(TryRecvError::Empty),
            "a clone is alive"
        );
        let _ = other.send(2).unwrap();
        other.close();
        assert!(other.send(3).is_err(), "nothing is queued after close");
        assert_eq!(receiver.try_recv(), Ok(Received::Item(2)));
        assert_eq!(receiver.try_recv(), Err(TryRecvError::Closed));
    }

    #[tokio::test]
    async fn senders_learn_that_the_receiver_is_gone() {
        let (sender, receiver) = event_channel::<u32>(4);
        let waiting = tokio::spawn({
            let sender = sender.clone();
            async move { sender.closed().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        drop(receiver);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("closed() resolves")
            .unwrap();
        assert!(sender.is_closed());
        assert_eq!(sender.send(1).unwrap_err().0, 1);
    }

    #[tokio::test]
    async fn a_waiting_receiver_wakes_for_a_marker() {
        let (sender, mut receiver) = event_channel(1);
        let reader = tokio::spawn(async move {
            let first = receiver.recv().await;
            (first, receiver)
        });
        tokio::task::yield_now().await;
        let _ = sender.send("a").unwrap();
        let (first, mut receiver) = reader.await.unwrap();
        assert_eq!(first, Some(Received::Item("a")));
        let _ = sender.send("b").unwrap();
        let _ = sender.send("c").unwrap();
        drop(sender);
        let rest: Vec<_> = (&mut receiver).collect().await;
        assert_eq!(rest, [Received::Lagged { missed: 1 }, Received::Item("c")]);
    }
}
