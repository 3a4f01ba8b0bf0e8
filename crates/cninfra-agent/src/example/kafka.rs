//! The example over Kafka (when the agent has a `--kafka-config`): every item change is
//! published to the changes topic, and the items topic feeds the item view.

use cninfra::idxmap::WatchHandle;
use cninfra::kafka::{Callbacks, Handler, Message, Multiplexer, Partitioner, Record};
use cninfra::prelude::BoxError;
use serde::{Deserialize, Serialize};

use super::items::{Item, ItemView, Origin};
use super::{NAME, log_change};

/// The example plugin's settings (`example.conf`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ExampleConfig {
    /// Topic every item change is published to: key = item name, value = the item's JSON,
    /// empty for a delete. Default `example-changes`.
    pub(crate) changes_topic: String,
    /// Topic whose messages (key = item name, value = item JSON; empty = delete) are added
    /// to the item view, consumed in the agent's consumer group. Default `example-items`.
    pub(crate) items_topic: String,
}

impl Default for ExampleConfig {
    fn default() -> Self {
        Self {
            changes_topic: "example-changes".into(),
            items_topic: "example-items".into(),
        }
    }
}

/// Wires the view to Kafka: consumes the items topic (joins the group when the
/// multiplexer starts) and publishes every change of the view; the handle keeps the
/// publishing on.
pub(crate) async fn connect(
    mux: &Multiplexer,
    config: &ExampleConfig,
    view: &ItemView,
) -> Result<WatchHandle, BoxError> {
    let conn = mux.connection(NAME);
    let incoming = view.clone();
    conn.watch(
        &config.items_topic,
        Handler::new(move |msg| {
            take_item(&incoming, &msg);
            async { Ok(()) }
        }),
    )?;
    let publisher = conn
        .async_publisher(
            &config.changes_topic,
            Partitioner::Hash,
            Callbacks::log_errors(),
        )
        .await?;
    let topic = config.changes_topic.clone();
    let handle = view.watch("kafka-changes", move |name, item| {
        let record = match item.map(serde_json::to_vec) {
            Some(Ok(json)) => Record::new(json).with_key(name.to_owned()),
            Some(Err(err)) => {
                tracing::warn!(target: NAME, item = name, error = %err, "item not published: cannot encode it");
                return;
            }
            None => Record::tombstone(name.to_owned()),
        };
        if let Err(err) = publisher.send(record) {
            tracing::warn!(target: NAME, item = name, %topic, error = %err, "item change not published");
        }
    })?;
    Ok(handle)
}

/// Applies one message of the items topic. A message the view cannot take is logged with
/// its position and skipped (acknowledged), so one bad message never stops the topic.
fn take_item(view: &ItemView, msg: &Message) {
    let Some(name) = msg.key_str().filter(|k| !k.is_empty()) else {
        tracing::warn!(target: NAME, topic = %msg.topic, partition = msg.partition, offset = msg.offset, "message without an item name as key skipped");
        return;
    };
    let item = if msg.value.is_empty() {
        None
    } else {
        match serde_json::from_slice::<Item>(&msg.value) {
            Ok(item) => Some(item),
            Err(err) => {
                tracing::warn!(target: NAME, topic = %msg.topic, partition = msg.partition, offset = msg.offset, item = name, error = %err, "message skipped: not an item");
                return;
            }
        }
    };
    if let Some(change) = view.apply(Origin::Kafka, name, item) {
        log_change(name, change);
    }
}
