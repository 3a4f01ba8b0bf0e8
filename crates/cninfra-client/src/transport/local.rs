//! The local transport: in process, through the orchestrator as its own source
//! (`localclient`, which wins over gRPC and the KV store), as upstream's `localclient`.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use cninfra_kvscheduler::orchestrator::{LOCAL_SOURCE, Orchestrator, OrchestratorError, Source};
use cninfra_kvscheduler::{
    BaseValueStatus, DumpView, Origin, Scheduler, StatusSelector, StatusUpdate, StatusWatch,
    ValueState,
};
use cninfra_models::ModelRegistry;

use super::Transport;
use crate::error::ClientError;
use crate::filter::Filter;
use crate::item::{ConfigItem, Item, ItemResult, Notification, Reply, StateItem, Value};
use crate::request::SetConfig;
use crate::subscription::Subscription;

const NAME: &str = "the local client";

/// The orchestrator's `localclient` source and the scheduler behind it.
#[derive(Debug)]
pub(crate) struct LocalTransport {
    orchestrator: Orchestrator,
    source: Source,
    scheduler: Scheduler,
    models: Arc<ModelRegistry>,
}

impl LocalTransport {
    pub(crate) fn new(orchestrator: &Orchestrator, models: Arc<ModelRegistry>) -> Self {
        Self {
            orchestrator: orchestrator.clone(),
            source: orchestrator.source(LOCAL_SOURCE),
            scheduler: orchestrator.scheduler().clone(),
            models,
        }
    }

    fn model_name(&self, key: &str) -> Option<String> {
        self.models.for_key(key).map(|m| m.name().to_owned())
    }

    fn item(&self, key: String, json: serde_json::Value) -> Item {
        let model = self.models.for_key(&key);
        // Values reach the scheduler as JSON; read them back as messages where the model
        // has a descriptor (a value that does not decode stays JSON: it is INVALID there).
        let value = match model {
            Some(m) => Value::decode(Some(m), &key, json.to_string().as_bytes())
                .unwrap_or(Value::Json(json)),
            None => Value::Json(json),
        };
        Item {
            model: model.map(|m| m.name().to_owned()),
            key,
            value,
        }
    }
}

#[async_trait]
impl Transport for LocalTransport {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn set_config(&self, request: SetConfig) -> Result<Reply, ClientError> {
        if request.has_labels() {
            return Err(ClientError::Unsupported {
                transport: NAME,
                operation: "item labels",
            });
        }
        let mut txn = if request.resync {
            self.source.resync()
        } else {
            self.source.txn()
        }
        .with_retry_default()
        .with_description("local client");
        let mut keys = Vec::with_capacity(request.ops.len());
        for op in request.ops {
            let value = op
                .value
                .map(|v| cninfra_kvscheduler::Value::from_json(v.to_json()));
            txn.set(op.key.clone(), value);
            keys.push(op.key);
        }
        // A task of its own: a caller that gives up (its time limit) does not cut the
        // source transaction between the share update and the scheduler commit.
        let committed = tokio::spawn(txn.commit())
            .await
            .map_err(|_| ClientError::Gone {
                what: "orchestrator",
            })?;
        let seq = match committed {
            Ok(seq) => seq,
            // Failed keys are reported per key, as every transport does.
            Err(OrchestratorError::Keys { seq, .. }) => Some(seq),
            Err(err) => return Err(ClientError::Local(err)),
        };
        if let Some(limit) = request.wait {
            wait_not_pending(&self.scheduler, &keys, limit).await;
        }
        let results = keys
            .into_iter()
            .map(|key| ItemResult {
                model: self.model_name(&key),
                status: Some(self.scheduler.status(&key).value),
                key,
            })
            .collect();
        Ok(Reply { seq, results })
    }

    async fn get_config(&self, filter: &Filter) -> Result<Vec<ConfigItem>, ClientError> {
        if !filter.labels.is_empty() {
            return Err(ClientError::Unsupported {
                transport: NAME,
                operation: "label filters",
            });
        }
        // The merged desired state of every source: what the agent is asked to configure.
        let desired = self.orchestrator.desired_state();
        Ok(desired
            .into_iter()
            .filter(|(key, _)| filter.matches_key(key))
            .map(|(key, value)| {
                let status = self.scheduler.status(&key).value;
                ConfigItem {
                    item: self.item(key, value.to_json()),
                    status: Some(status),
                    labels: BTreeMap::new(),
                }
            })
            .collect())
    }

    async fn dump_state(&self) -> Result<Vec<StateItem>, ClientError> {
        let dumped = self
            .scheduler
            .dump(&StatusSelector::All, DumpView::Sb)
            .await
            .map_err(|_| ClientError::Gone { what: "scheduler" })?;
        Ok(dumped
            .into_iter()
            .map(|kv| {
                let mut metadata = BTreeMap::new();
                if let Some(origin) = origin_name(kv.origin) {
                    metadata.insert("origin".to_owned(), origin.to_owned());
                }
                if let Some(text) = kv.metadata {
                    metadata.insert("metadata".to_owned(), text);
                }
                StateItem {
                    item: self.item(kv.key, kv.value.to_json()),
                    metadata,
                }
            })
            .collect())
    }

    async fn subscribe(&self, keys: &[String]) -> Result<Subscription, ClientError> {
        let prefixes: Vec<&str> = if keys.is_empty() {
            vec![""]
        } else {
            keys.iter().map(String::as_str).collect()
        };
        let watch = self.scheduler.watch_status(&prefixes);
        let state = Watching {
            watch,
            scheduler: self.scheduler.clone(),
            models: Arc::clone(&self.models),
            keys: keys.iter().cloned().collect(),
            queued: VecDeque::new(),
        };
        Ok(Subscription::new(futures::stream::unfold(
            state,
            |mut state| async move {
                let next = state.next().await?;
                Some((Ok(next), state))
            },
        )))
    }
}

/// Upstream's names of known value origins.
fn origin_name(origin: Origin) -> Option<&'static str> {
    match origin {
        Origin::FromNb => Some("FromNB"),
        Origin::FromSb => Some("FromSB"),
        _ => None,
    }
}

/// Waits until none of `keys` is PENDING or RETRYING (values that may still change on
/// their own), at most `limit`.
async fn wait_not_pending(scheduler: &Scheduler, keys: &[String], limit: Duration) {
    let prefixes: Vec<&str> = keys.iter().map(String::as_str).collect();
    // Watch first, then look: no change between the two is missed.
    let mut watch = scheduler.watch_status(&prefixes);
    let deadline = tokio::time::Instant::now() + limit;
    while keys.iter().any(|key| {
        matches!(
            scheduler.status(key).value.state,
            ValueState::Pending | ValueState::Retrying
        )
    }) {
        match tokio::time::timeout_at(deadline, watch.recv()).await {
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return,
        }
    }
}

/// The state of a local subscription.
struct Watching {
    watch: StatusWatch,
    scheduler: Scheduler,
    models: Arc<ModelRegistry>,
    /// The keys subscribed to; empty: all.
    keys: HashSet<String>,
    /// Statuses re-read after the watch lagged, still to hand out.
    queued: VecDeque<BaseValueStatus>,
}

impl Watching {
    async fn next(&mut self) -> Option<Notification> {
        loop {
            if let Some(status) = self.queued.pop_front() {
                return Some(self.notification(status));
            }
            match self.watch.recv().await? {
                StatusUpdate::Changed(status) => {
                    if self.wanted(&status.value.key) {
                        return Some(self.notification(status));
                    }
                }
                StatusUpdate::Lagged { .. } => self.reread(),
            }
        }
    }

    fn wanted(&self, key: &str) -> bool {
        self.keys.is_empty() || self.keys.contains(key)
    }

    /// After a lag: the current status of every subscribed value.
    fn reread(&mut self) {
        if self.keys.is_empty() {
            if let Ok(all) = self.scheduler.statuses(&StatusSelector::All) {
                self.queued.extend(all);
            }
        } else {
            let mut keys: Vec<&String> = self.keys.iter().collect();
            keys.sort();
            self.queued
                .extend(keys.into_iter().map(|key| self.scheduler.status(key)));
        }
    }

    fn notification(&self, status: BaseValueStatus) -> Notification {
        Notification {
            model: self
                .models
                .for_key(&status.value.key)
                .map(|m| m.name().to_owned()),
            status: status.value,
        }
    }
}
