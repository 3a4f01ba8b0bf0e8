//! The consumer-group side of the multiplexer: one shared group consumer that routes each
//! message to the watcher of its topic, and a dispatch task per watcher that runs its
//! handler and marks the offset only after the handler acknowledged the message.

use std::collections::HashMap;
use std::sync::Arc;

use futures::FutureExt as _;
use rdkafka::Message as _;
use rdkafka::consumer::StreamConsumer;
use rdkafka::message::BorrowedMessage;
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

/// Most messages handed to a watcher at once: the messages librdkafka has ready go over in
/// one buffer slot (one hand-off and wake-up instead of one each).
pub(crate) const MAX_BATCH: usize = 64;

/// Where messages of one topic go.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    pub(crate) connection: Arc<str>,
    /// The topic, shared by the messages routed here.
    pub(crate) topic: Arc<str>,
    /// Most messages per batch (`MAX_BATCH`, or less for a small buffer).
    pub(crate) batch: usize,
    pub(crate) tx: mpsc::Sender<Vec<Message>>,
}

impl Route {
    /// A route whose buffer holds about `buffer_size` messages: batches of at most
    /// `min(buffer_size, MAX_BATCH)` messages, `buffer_size / batch` of them.
    pub(crate) fn new(
        connection: Arc<str>,
        topic: Arc<str>,
        buffer_size: usize,
    ) -> (Self, mpsc::Receiver<Vec<Message>>) {
        let batch = buffer_size.clamp(1, MAX_BATCH);
        let (tx, rx) = mpsc::channel((buffer_size / batch).max(1));
        let route = Self {
            connection,
            topic,
            batch,
            tx,
        };
        (route, rx)
    }
}

/// Reads the group consumer and hands the messages to their topics' buffers, in batches of
/// what librdkafka has ready. A full buffer holds this loop (and so the whole group
/// consumer) until the handler catches up: nothing is dropped.
pub(crate) async fn route_loop(
    consumer: Arc<StreamConsumer>,
    routes: Routes,
    stop: CancellationToken,
) {
    // One waiter for the whole loop, not one per message.
    let stopped = stop.cancelled();
    tokio::pin!(stopped);
    let mut batches: Vec<(Route, Vec<Message>)> = Vec::new();
    loop {
        let first = tokio::select! {
            biased;
            () = &mut stopped => return,
            received = consumer.recv() => received,
        };
        let mut next = Some(first);
        let mut taken = 0;
        while let Some(received) = next.take() {
            match received {
                Ok(msg) => add_to_batch(&routes, &mut batches, &msg),
                Err(err) => tracing::warn!(target: LOG, error = %err, "group consumer error"),
            }
            taken += 1;
            if taken < MAX_BATCH {
                next = consumer.recv().now_or_never();
            }
        }
        for (route, batch) in batches.drain(..) {
            // Fast path: room in the buffer. Else wait for room.
            let batch = match route.tx.try_send(batch) {
                Ok(()) => continue,
                Err(TrySendError::Full(batch)) => batch,
                Err(TrySendError::Closed(_)) => {
                    tracing::debug!(target: LOG, connection = %route.connection, "watcher gone; messages skipped");
                    continue;
                }
            };
            tokio::select! {
                biased;
                () = &mut stopped => return,
                sent = route.tx.send(batch) => if sent.is_err() {
                    tracing::debug!(target: LOG, connection = %route.connection, "watcher gone; messages skipped");
                },
            }
        }
    }
}

/// Copies `msg` into the open batch of its topic's route (a new one when there is none or
/// it is full); skips a message of a topic nobody watches.
fn add_to_batch(
    routes: &Routes,
    batches: &mut Vec<(Route, Vec<Message>)>,
    msg: &BorrowedMessage<'_>,
) {
    let topic = msg.topic();
    if let Some((route, batch)) = batches
        .iter_mut()
        .rev()
        .find(|(route, _)| &*route.topic == topic)
        && batch.len() < route.batch
    {
        batch.push(Message::from_borrowed(msg, route.topic.clone()));
        return;
    }
    let Some(route) = routes.lock().get(topic).cloned() else {
        tracing::debug!(target: LOG, topic, "message of an unwatched topic skipped");
        return;
    };
    let mut batch = Vec::with_capacity(route.batch);
    batch.push(Message::from_borrowed(msg, route.topic.clone()));
    batches.push((route, batch));
}

/// Runs `handler` for each buffered message in order; marks `offset + 1` for commit when
/// it returns `Ok`. After an `Err` the partition's marks stop at the failed message, so a
/// restart (or rebalance) delivers it again; a redelivery of that offset lifts the hold.
pub(crate) async fn dispatch_loop(
    marks: Marks,
    mut rx: mpsc::Receiver<Vec<Message>>,
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
        let batch = tokio::select! {
            biased;
            () = &mut stopped => return,
            batch = rx.recv() => match batch { Some(batch) => batch, None => return },
        };
        for msg in batch {
            if stop.is_cancelled() {
                return;
            }
            let (offset, partition) = (msg.offset, msg.partition);
            if held.get(&partition).is_some_and(|failed| offset <= *failed) {
                held.remove(&partition);
            }
            match handler.call(msg).await {
                Ok(()) if !held.contains_key(&partition) => {
                    marks.mark(&topic, partition, offset + 1);
                }
                Ok(()) => {}
                Err(err) => {
                    tracing::warn!(target: LOG, connection = %connection, %topic, partition, offset, error = %err,
                        "handler failed; the offset stays uncommitted");
                    held.entry(partition).or_insert(offset);
                }
            }
        }
    }
}
