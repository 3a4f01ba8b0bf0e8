//! [`Subscription`]: a stream of the status changes of subscribed items.

use std::collections::BTreeSet;

use cninfra_kvscheduler::orchestrator::Orchestrator;
use cninfra_kvscheduler::{BaseValueStatus, StatusSelector, StatusUpdate, StatusWatch};
use futures::StreamExt;
use futures::stream::BoxStream;
use tokio_util::sync::CancellationToken;

use crate::error::GenericError;
use crate::filter::id_matches;
use crate::item::ItemCodec;
use crate::pb::{Notification, SubscribeResponse, item};
use crate::status::item_status;

/// Most notifications in one response.
const BATCH: usize = 1000;

/// Capacity of a subscriber's status queue; beyond it the subscriber gets every current
/// state again.
const QUEUE: usize = 10_000;

/// One subscriber: the status watch of its items and how to turn updates into
/// notifications.
pub(crate) struct Subscription {
    orchestrator: Orchestrator,
    codec: ItemCodec,
    ids: Vec<item::Id>,
    /// The watched key prefixes (empty: every key).
    prefixes: Vec<String>,
    watch: StatusWatch,
    closed: CancellationToken,
}

impl Subscription {
    /// Opens the status watch now (a change made after this returns is delivered) and
    /// gives the stream of responses.
    pub(crate) fn open(
        orchestrator: Orchestrator,
        codec: ItemCodec,
        ids: Vec<item::Id>,
        closed: CancellationToken,
    ) -> Result<BoxStream<'static, SubscribeResponse>, GenericError> {
        // Every model named must be served; an id without a model means every item.
        let mut prefixes = BTreeSet::new();
        for id in ids.iter().filter(|id| !id.model.is_empty()) {
            let (model, _) = codec.model(&id.model)?;
            prefixes.insert(model.key_prefix().to_owned());
        }
        let every = ids.iter().any(|id| id.model.is_empty());
        let prefixes: Vec<String> = if every {
            Vec::new()
        } else {
            prefixes.into_iter().collect()
        };
        let refs: Vec<&str> = prefixes.iter().map(String::as_str).collect();
        let watch = orchestrator
            .scheduler()
            .watch_status_with_capacity(&refs, QUEUE);
        let subscription = Self {
            orchestrator,
            codec,
            ids,
            prefixes,
            watch,
            closed,
        };
        let stream = futures::stream::unfold(subscription, |mut sub| async move {
            let first = tokio::select! {
                () = sub.closed.cancelled() => None,
                update = sub.watch.recv() => update,
            }?;
            let mut batch = vec![first];
            while batch.len() < BATCH {
                match sub.watch.try_recv() {
                    Some(update) => batch.push(update),
                    None => break,
                }
            }
            let notifications = sub.notifications(batch);
            Some((SubscribeResponse { notifications }, sub))
        })
        .filter(|response| std::future::ready(!response.notifications.is_empty()));
        Ok(stream.boxed())
    }

    fn notifications(&self, updates: Vec<StatusUpdate>) -> Vec<Notification> {
        let mut out = Vec::with_capacity(updates.len());
        for update in updates {
            match update {
                StatusUpdate::Changed(status) => out.extend(self.notification(&status)),
                StatusUpdate::Lagged { missed } => {
                    tracing::debug!(target: crate::LOG, missed, "subscriber fell behind: sending every state");
                    out.extend(
                        self.current()
                            .iter()
                            .filter_map(|status| self.notification(status)),
                    );
                }
            }
        }
        out
    }

    /// The notification of a status change of a subscribed item.
    fn notification(&self, status: &BaseValueStatus) -> Option<Notification> {
        let key = &status.value.key;
        let (_, id) = self.codec.id_of_key(key)?;
        if !id_matches(&self.ids, &id) {
            return None;
        }
        let value = self.orchestrator.desired_item(key).map(|item| item.value);
        Some(Notification {
            item: self.codec.item(key, value.as_ref()),
            status: Some(item_status(&status.value)),
        })
    }

    /// The current statuses under the watched prefixes.
    fn current(&self) -> Vec<BaseValueStatus> {
        let scheduler = self.orchestrator.scheduler();
        let selectors: Vec<StatusSelector> = if self.prefixes.is_empty() {
            vec![StatusSelector::All]
        } else {
            self.prefixes
                .iter()
                .map(|prefix| StatusSelector::KeyPrefix(prefix.clone()))
                .collect()
        };
        selectors
            .iter()
            .filter_map(|selector| scheduler.statuses(selector).ok())
            .flatten()
            .collect()
    }
}
