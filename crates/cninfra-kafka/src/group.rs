//! The consumer-group side of the multiplexer: one shared group consumer that routes each
//! message to the watcher of its topic, and a dispatch task per watcher that runs its
//! handler and marks the offset only after the handler acknowledged the message.

use std::collections::HashMap;
use std::sync::Arc;

use rdkafka::consumer::StreamConsumer;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::LOG;
use crate::message::{Handler, Message};

/// Topic → sender of the watching connection's buffer.
pub(crate) type Routes = Arc<parking_lot::Mutex<HashMap<String, Route>>>;

/// Offsets (`last acknowledged + 1`) waiting for commit, by topic and partition.
pub(crate) type Marks = Arc<parking_lot::Mutex<HashMap<(String, i32), i64>>>;

/// Where messages of one topic go.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    pub(crate) connection: Arc<str>,
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
    loop {
        let received = tokio::select! {
            () = stop.cancelled() => return,
            received = consumer.recv() => received,
        };
        let msg = match received {
            Ok(msg) => Message::from_borrowed(&msg),
            Err(err) => {
                tracing::warn!(target: LOG, error = %err, "group consumer error");
                continue;
            }
        };
        let route = routes.lock().get(&msg.topic).cloned();
        let Some(route) = route else {
            tracing::debug!(target: LOG, topic = %msg.topic, "message of an unwatched topic skipped");
            continue;
        };
        tokio::select! {
            () = stop.cancelled() => return,
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
    connection: Arc<str>,
    stop: CancellationToken,
) {
    let mut held: HashMap<(String, i32), i64> = HashMap::new();
    loop {
        let msg = tokio::select! {
            () = stop.cancelled() => return,
            msg = rx.recv() => match msg { Some(msg) => msg, None => return },
        };
        let at = (msg.topic.clone(), msg.partition);
        if held.get(&at).is_some_and(|failed| msg.offset <= *failed) {
            held.remove(&at);
        }
        let (offset, partition) = (msg.offset, msg.partition);
        match handler.call(msg).await {
            Ok(()) if !held.contains_key(&at) => {
                marks.lock().insert(at, offset + 1);
            }
            Ok(()) => {}
            Err(err) => {
                tracing::warn!(target: LOG, connection = %connection, topic = %at.0, partition, offset, error = %err,
                    "handler failed; the offset stays uncommitted");
                held.entry(at).or_insert(offset);
            }
        }
    }
}
