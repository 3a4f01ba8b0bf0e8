//! The consumer-group side of the multiplexer: one shared group consumer that routes each
//! message to the watcher of its topic, and a dispatch task per watcher that runs its
//! handler and marks the offset only after the handler acknowledged the message.

use std::collections::HashMap;
use std::sync::Arc;

use rdkafka::Message as _;
use rdkafka::consumer::StreamConsumer;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio_util::sync::CancellationToken;

use crate::LOG;
use crate::message::{Handler, Message};

/// Topic → sender of the watching connection's buffer.
pub(crate) type Routes = Arc<parking_lot::Mutex<HashMap<String, Route>>>;

/// Offsets (`last acknowledged + 1`) waiting for commit, by topic and partition.
#[derive(Debug, Clone, Default)]
pub(crate) struct Marks(Arc<parking_lot::Mutex<HashMap<Arc<str>, PartitionMarks>>>);

/// Partition → next offset to commit.
type PartitionMarks = HashMap<i32, i64>;

impl Marks {
    /// Marks `next` as the offset to commit for `topic`/`partition`.
    fn mark(&self, topic: &Arc<str>, partition: i32, next: i64) {
        let mut marks = self.0.lock();
        match marks.get_mut(&**topic) {
            Some(partitions) => {
                partitions.insert(partition, next);
            }
            None => {
                marks.insert(topic.clone(), HashMap::from([(partition, next)]));
            }
        }
    }

    /// Takes every mark for a commit.
    pub(crate) fn take(&self) -> Vec<(Arc<str>, i32, i64)> {
        let taken = std::mem::take(&mut *self.0.lock());
        taken
            .into_iter()
            .flat_map(|(topic, partitions)| {
                partitions
                    .into_iter()
                    .map(move |(partition, next)| (topic.clone(), partition, next))
            })
            .collect()
    }

    /// Puts back marks whose commit failed, unless newer ones arrived meanwhile.
    pub(crate) fn restore(&self, marks: Vec<(Arc<str>, i32, i64)>) {
        let mut pending = self.0.lock();
        for (topic, partition, next) in marks {
            pending
                .entry(topic)
                .or_default()
                .entry(partition)
                .or_insert(next);
        }
    }
}

/// Where messages of one topic go.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    pub(crate) connection: Arc<str>,
    /// The topic, shared by the messages routed here.
    pub(crate) topic: Arc<str>,
    pub(crate) tx: mpsc::Sender<Message>,
}

/// Reads the group consumer and hands each message to its topic's buffer. A full buffer
/// holds this loop (and so the whole group consumer) until the handler catches up: nothing
/// is dropped.
pub(crate) async fn route_loop(
    consumer: Arc<StreamConsumer>,
    routes: Routes,
    stop: CancellationToken,
) {
    // One waiter for the whole loop, not one per message.
    let stopped = stop.cancelled();
    tokio::pin!(stopped);
    loop {
        let received = tokio::select! {
            biased;
            () = &mut stopped => return,
            received = consumer.recv() => received,
        };
        let received = match received {
            Ok(msg) => msg,
            Err(err) => {
                tracing::warn!(target: LOG, error = %err, "group consumer error");
                continue;
            }
        };
        // Fast path: room in the buffer. Else wait for room outside the lock.
        let (route, msg) = {
            let routes = routes.lock();
            let Some(route) = routes.get(received.topic()) else {
                tracing::debug!(target: LOG, topic = received.topic(), "message of an unwatched topic skipped");
                continue;
            };
            let msg = Message::from_borrowed(&received, route.topic.clone());
            match route.tx.try_send(msg) {
                Ok(()) => continue,
                Err(TrySendError::Full(msg)) => (route.clone(), msg),
                Err(TrySendError::Closed(_)) => {
                    tracing::debug!(target: LOG, connection = %route.connection, "watcher gone; message skipped");
                    continue;
                }
            }
        };
        tokio::select! {
            biased;
            () = &mut stopped => return,
            sent = route.tx.send(msg) => if sent.is_err() {
                tracing::debug!(target: LOG, connection = %route.connection, "watcher gone; message skipped");
            },
        }
    }
}

/// Runs `handler` for each buffered message in order; marks `offset + 1` for commit when
/// it returns `Ok`. After an `Err` the partition's marks stop at the failed message, so a
/// restart (or rebalance) delivers it again; a redelivery of that offset lifts the hold.
pub(crate) async fn dispatch_loop(
    marks: Marks,
    mut rx: mpsc::Receiver<Message>,
    handler: Handler,
    topic: Arc<str>,
    connection: Arc<str>,
    stop: CancellationToken,
) {
    // Partition → offset of the failed message that holds its marks back.
    let mut held: HashMap<i32, i64> = HashMap::new();
    let stopped = stop.cancelled();
    tokio::pin!(stopped);
    loop {
        let msg = tokio::select! {
            biased;
            () = &mut stopped => return,
            msg = rx.recv() => match msg { Some(msg) => msg, None => return },
        };
        let (offset, partition) = (msg.offset, msg.partition);
        if held.get(&partition).is_some_and(|failed| offset <= *failed) {
            held.remove(&partition);
        }
        match handler.call(msg).await {
            Ok(()) if !held.contains_key(&partition) => marks.mark(&topic, partition, offset + 1),
            Ok(()) => {}
            Err(err) => {
                tracing::warn!(target: LOG, connection = %connection, %topic, partition, offset, error = %err,
                    "handler failed; the offset stays uncommitted");
                held.entry(partition).or_insert(offset);
            }
        }
    }
}
