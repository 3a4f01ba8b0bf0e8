//! The example plugin: it watches items under `config/example/v1/items/` of the agent's
//! KV store (JSON values of a serde type: the model `example.items`, beside upstream's
//! protobuf models in the agent's registry, [`register_models`]), keeps them in an idxmap indexed by kind, logs every change and
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
use cninfra::health::{Criticality, StatusCheckPlugin, StatusReporter};
use cninfra::idxmap::WatchHandle;
use cninfra::kafka::KafkaPlugin;
use cninfra::models::{ModelError, ModelRegistry, ModelSpec};
use cninfra::prelude::*;
use cninfra::rpc::rest::HttpPlugin;
use cninfra_grpc_echo::EchoService;
use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

use self::kafka::ExampleConfig;

use self::items::{ITEMS_PREFIX, Item, ItemChange, ItemView, Origin};

/// Registers the items as a serde model: `example.items`, key prefix
/// `config/example/v1/items/`. Values are JSON of [`Item`]; an item's name is the last
/// segment of its key only (an item has no `name` field, so the default name template
/// `{{.Name}}` cannot make its key from a value).
pub(crate) fn register_models(models: &mut ModelRegistry) -> Result<(), ModelError> {
    models.register_serde::<Item>(ModelSpec::new("example", "v1", "items")?, None)?;
    Ok(())
}

/// The embedded store's first-run file: one example item.
pub(crate) fn sample() -> cninfra_agent_store::Sample {
    cninfra_agent_store::Sample::new("example-items.yaml", |agent_prefix| {
        format!(
            "# Key-value data of the embedded file DB; edit, add or remove files while the agent runs.\n\
             data:\n  - key: {agent_prefix}{ITEMS_PREFIX}hello\n    value: {{kind: greeting, description: written on first start}}\n"
        )
    })
}

/// The logger (tracing target) and plugin name.
const NAME: &str = ExamplePlugin::NAME;

/// The example plugin.
#[derive(Debug)]
pub(crate) struct ExamplePlugin {
    /// The items, indexed by kind; made in `init`.
    view: Ready<ItemView>,
    status: Ready<StatusReporter>,
    /// Keeps the publishing of changes to Kafka on.
    publishing: Mutex<Option<WatchHandle>>,
}

impl ExamplePlugin {
    /// The plugin's name and log target.
    pub(crate) const NAME: &str = "example";

    /// The plugin; its item view is made in `init`.
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            view: Ready::new(Self::NAME),
            status: Ready::new(Self::NAME),
            publishing: Mutex::new(None),
        })
    }
}

#[async_trait]
impl Plugin for ExamplePlugin {
    fn name(&self) -> &str {
        NAME
    }

    fn requires(&self) -> Vec<Requirement> {
        vec![
            Requirement::of::<StatusCheckPlugin>(),
            Requirement::of::<HttpPlugin>(),
            Requirement::of::<GrpcPlugin>(),
            Requirement::of::<KvdbSyncPlugin>(),
            Requirement::of::<KafkaPlugin>(),
        ]
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let config: ExampleConfig = ctx.config_or_default()?;
        self.view.set(ItemView::new()?)?;
        let view = self.view.get()?;
        let status = ctx.dep::<StatusCheckPlugin>()?;
        self.status
            .set(status.reporter(ctx, Criticality::Liveness, None))?;
        EchoService::register(&*ctx.dep::<GrpcPlugin>()?)?;
        ctx.dep::<HttpPlugin>()?.merge(rest::router(view.clone()))?;
        let watcher = ctx
            .dep::<KvdbSyncPlugin>()?
            .watch_json::<Item>(ctx, &[ITEMS_PREFIX])?;
        ctx.spawn(follow(watcher, view.clone(), ctx.shutdown_token()));
        let kafka = ctx.dep::<KafkaPlugin>()?;
        if let Some(mux) = kafka.multiplexer()? {
            let handle = kafka::connect(mux, &config, view).await?;
            *self.publishing.lock() = Some(handle);
            tracing::info!(target: NAME, changes = %config.changes_topic, items = %config.items_topic, "example items over Kafka");
        }
        Ok(())
    }

    async fn after_init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        self.status.get()?.ok();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_items_model_sits_beside_upstreams_protobuf_models() {
        let models = crate::models().expect("models register");
        let items = models.for_type::<Item>().expect("items registered");
        assert_eq!(items.key_prefix(), ITEMS_PREFIX);
        assert!(items.descriptor().is_none(), "a serde model");
        assert_eq!(
            models
                .for_key(&format!("{ITEMS_PREFIX}web"))
                .map(|m| m.name()),
            Some("example.items")
        );
        let tap = models
            .for_key("config/vpp/v2/interfaces/tap1")
            .expect("upstream's interface model");
        assert_eq!(tap.proto_name(), "ligato.vpp.interfaces.Interface");
        assert!(tap.descriptor().is_some(), "a protobuf model");
    }
}
