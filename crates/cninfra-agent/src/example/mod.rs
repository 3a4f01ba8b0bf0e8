//! The example plugin: it watches items under `config/example/v1/items/` of the agent's
//! KV store (JSON values), keeps them in an idxmap indexed by kind, logs every change and
//! serves them at `GET /example/v1/items`. With a `--kafka-config` it also publishes every
//! item change to the topic `example-changes` and adds the items of the topic
//! `example-items` to its view (topics set in `example.conf`). It reports its status and
//! offers the
//! example gRPC service (`cninfra.example.v1.Echo`), served when a `grpc.conf` turns the
//! gRPC server on.

mod items;
mod kafka;
mod rest;

use std::sync::Arc;

use cninfra::datasync::{JsonWatcher, KvdbSyncPlugin, TypedSyncEvent};
use cninfra::grpc::GrpcPlugin;
use cninfra::grpc::example::EchoService;
use cninfra::health::{State, StatusCheckPlugin};
use cninfra::idxmap::WatchHandle;
use cninfra::kafka::KafkaPlugin;
use cninfra::prelude::*;
use cninfra::rpc::rest::HttpPlugin;
use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

use self::kafka::ExampleConfig;

use self::items::{ITEMS_PREFIX, Item, ItemChange, ItemView, Origin};

/// The logger (tracing target) and plugin name.
const NAME: &str = "example";

/// The example plugin.
#[derive(Debug)]
pub(crate) struct ExamplePlugin {
    status: Arc<StatusCheckPlugin>,
    http: Arc<HttpPlugin>,
    grpc: Arc<GrpcPlugin>,
    sync: Arc<KvdbSyncPlugin>,
    kafka: Arc<KafkaPlugin>,
    view: ItemView,
    /// Keeps the publishing of changes to Kafka on.
    publishing: Mutex<Option<WatchHandle>>,
}

impl ExamplePlugin {
    pub(crate) fn new(
        status: Arc<StatusCheckPlugin>,
        http: Arc<HttpPlugin>,
        grpc: Arc<GrpcPlugin>,
        sync: Arc<KvdbSyncPlugin>,
        kafka: Arc<KafkaPlugin>,
    ) -> Result<Self, BoxError> {
        Ok(Self {
            status,
            http,
            grpc,
            sync,
            kafka,
            view: ItemView::new()?,
            publishing: Mutex::new(None),
        })
    }
}

#[async_trait]
impl Plugin for ExamplePlugin {
    fn name(&self) -> &str {
        NAME
    }

    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        vec![
            self.status.clone(),
            self.http.clone(),
            self.grpc.clone(),
            self.sync.clone(),
            self.kafka.clone(),
        ]
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let config: ExampleConfig = ctx.config_or_default()?;
        self.status.register(NAME, None);
        EchoService::register(&self.grpc)?;
        self.http.merge(rest::router(self.view.clone()))?;
        let watcher = self.sync.watch_json::<Item>(ctx, &[ITEMS_PREFIX])?;
        ctx.spawn(follow(watcher, self.view.clone(), ctx.shutdown_token()));
        if let Some(mux) = self.kafka.multiplexer()? {
            let handle = kafka::connect(mux, &config, &self.view).await?;
            *self.publishing.lock() = Some(handle);
            tracing::info!(target: NAME, changes = %config.changes_topic, items = %config.items_topic, "example items over Kafka");
        }
        Ok(())
    }

    async fn after_init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        self.status.report_state_change(NAME, State::Ok, None)?;
        tracing::info!(target: NAME, prefix = %ctx.service_label().agent_prefix(), "example plugin ready");
        Ok(())
    }
}

/// Applies the watched items to the view until the agent stops: a resync replaces the
/// view, a change sets or removes one item; each event is acknowledged once applied.
async fn follow(mut watcher: JsonWatcher<Item>, view: ItemView, stop: CancellationToken) {
    while let Some(Some(event)) = stop.run_until_cancelled(watcher.recv()).await {
        match event {
            TypedSyncEvent::Resync(resync) => {
                let items = resync
                    .values
                    .into_iter()
                    .map(|entry| (ItemView::name_of(&entry.key).to_owned(), entry.value));
                let changes = view.replace(Origin::Store, items);
                tracing::info!(target: NAME, items = view.len(), changed = changes.len(), cause = ?resync.cause, "items resynced");
                for (name, change) in &changes {
                    log_change(name, *change);
                }
                resync.done.ok();
            }
            TypedSyncEvent::Change(change) => {
                let name = ItemView::name_of(&change.key);
                if let Some(done) = view.apply(Origin::Store, name, change.value) {
                    log_change(name, done);
                }
                change.done.ok();
            }
        }
    }
}

fn log_change(name: &str, change: ItemChange) {
    tracing::info!(target: NAME, item = name, change = change.as_str(), "item changed");
}
