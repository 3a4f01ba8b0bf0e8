//! Further KV stores as sources of their own (`OrchestratorPlugin::builder().with_stores`):
//! the store data sync reads stays the source `datasync`, every other store with a config
//! is listed and watched as `datastore:<plugin>`, below `datasync`; and item labels go
//! with their source's values.

use std::sync::Arc;
use std::time::Duration;

use cninfra_core::{Agent, BoxError, InitContext, NotReady, Plugin, async_trait};
use cninfra_datasync::{KvdbSyncPlugin, ResyncPlugin, StoreSource, SyncConfig};
use cninfra_health::StatusCheckPlugin;
use cninfra_kv::{
    Connection, ConnectionState, DeleteOptions, KvConnector, KvStore, MemoryStore, PutOptions,
};
use cninfra_kvscheduler::orchestrator::{
    DATASYNC_SOURCE, ItemLabels, LOCAL_SOURCE, OrchestratorPlugin, store_source_label,
};
use cninfra_kvscheduler::{KvSchedulerPlugin, Value, ValueState};
use cninfra_kvscheduler_example::{Dataplane, ExampleDescriptorsPlugin, interface_key};
use serde_json::json;

const LABEL: &str = "stores";
const WAIT: Duration = Duration::from_secs(10);

/// A connector plugin over a memory store ("configured" from the start).
#[derive(Debug)]
struct MemoryConnector {
    name: &'static str,
    store: MemoryStore,
    connection: Connection,
}

impl MemoryConnector {
    fn new(name: &'static str, store: &MemoryStore) -> Arc<Self> {
        Arc::new(Self {
            name,
            store: store.clone(),
            connection: Connection::new(name),
        })
    }
}

impl KvConnector for MemoryConnector {
    fn kv(&self) -> Result<Option<Arc<dyn KvStore>>, NotReady> {
        Ok(Some(Arc::new(self.store.clone())))
    }

    fn connection(&self) -> tokio::sync::watch::Receiver<ConnectionState> {
        self.connection.subscribe()
    }
}

#[async_trait]
impl Plugin for MemoryConnector {
    fn name(&self) -> &str {
        self.name
    }

    fn has_config(&self) -> bool {
        false
    }

    async fn init(&self, _ctx: &InitContext) -> Result<(), BoxError> {
        self.connection.set(ConnectionState::Connected);
        Ok(())
    }
}

async fn put(store: &MemoryStore, key: &str, value: serde_json::Value) {
    store
        .put(
            &format!("/vnf-agent/{LABEL}/{key}"),
            value.to_string().into(),
            PutOptions::default(),
        )
        .await
        .unwrap();
}

async fn delete(store: &MemoryStore, key: &str) {
    store
        .delete(
            &format!("/vnf-agent/{LABEL}/{key}"),
            DeleteOptions::default(),
        )
        .await
        .unwrap();
}

fn tap(name: &str, enabled: bool) -> serde_json::Value {
    json!({"name": name, "type": "TAP", "enabled": enabled})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_other_store_is_a_source_below_data_sync() {
    let (main, initial) = (MemoryStore::new(), MemoryStore::new());
    // Before the start: the initial store's resync brings these in.
    put(&initial, &interface_key("tap1"), tap("tap1", false)).await;
    put(&initial, &interface_key("tap2"), tap("tap2", true)).await;
    put(&main, &interface_key("tap1"), tap("tap1", true)).await;

    let (main_connector, initial_connector) = (
        MemoryConnector::new("main-db", &main),
        MemoryConnector::new("initial-db", &initial),
    );
    let dataplane = Dataplane::new();
    let orchestrator = OrchestratorPlugin::builder()
        // Data sync reads the first: it is not read twice.
        .with_stores([
            main_connector.clone() as Arc<dyn KvConnector>,
            initial_connector.clone(),
        ])
        .build();
    let sync = KvdbSyncPlugin::builder(StoreSource::first_of([
        StoreSource::connector(main_connector),
        StoreSource::connector(initial_connector),
    ]))
    .with_config(SyncConfig::default())
    .build();
    let agent = Agent::builder()
        .plugin(StatusCheckPlugin::new())
        .plugin(ResyncPlugin::new())
        .plugin(sync)
        .plugin(KvSchedulerPlugin::new())
        .plugin(orchestrator.clone())
        .plugin(
            ExampleDescriptorsPlugin::builder()
                .with_dataplane(dataplane.clone())
                .build(),
        )
        .with_args(["test", "--microservice-label", LABEL])
        .with_env(Vec::<(String, String)>::new())
        .build()
        .expect("agent builds")
        .start()
        .await
        .expect("agent starts");
    let orchestrator = orchestrator.orchestrator().unwrap();
    let initial_label = store_source_label("initial-db");
    assert_eq!(initial_label, "datastore:initial-db");
    let enabled = |name: &str| {
        dataplane
            .interfaces()
            .iter()
            .find(|i| i.name == name)
            .map(|i| i.enabled)
    };

    // Both stores are sources; on tap1, data sync's store wins.
    cninfra_testsupport::wait_until("both stores applied", WAIT, || {
        enabled("tap1") == Some(true) && enabled("tap2") == Some(true)
    })
    .await;
    assert_eq!(
        orchestrator.labels(),
        [initial_label.as_str(), DATASYNC_SOURCE],
        "one source per store"
    );
    assert_eq!(
        orchestrator.provider(&interface_key("tap1")).as_deref(),
        Some(DATASYNC_SOURCE)
    );
    assert_eq!(
        orchestrator.provider(&interface_key("tap2")).as_deref(),
        Some(initial_label.as_str())
    );

    // The main store lets go of tap1: the initial store's value applies.
    delete(&main, &interface_key("tap1")).await;
    cninfra_testsupport::wait_until("tap1 from the initial store", WAIT, || {
        enabled("tap1") == Some(false)
    })
    .await;

    // Changes of the initial store are watched.
    put(&initial, &interface_key("tap3"), tap("tap3", true)).await;
    delete(&initial, &interface_key("tap2")).await;
    cninfra_testsupport::wait_until("the initial store's changes", WAIT, || {
        enabled("tap3") == Some(true) && enabled("tap2").is_none()
    })
    .await;
    let scheduler = orchestrator.scheduler().clone();
    assert_eq!(
        scheduler.status(&interface_key("tap3")).value.state,
        ValueState::Configured
    );
    agent.stop().await.unwrap();
}

fn labels(pairs: &[(&str, &str)]) -> ItemLabels {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_labels_go_with_their_sources_values() {
    let scheduler = cninfra_kvscheduler::Scheduler::new(Default::default()).unwrap();
    let orchestrator = cninfra_kvscheduler::orchestrator::Orchestrator::new(scheduler);
    let (local, kv) = (
        orchestrator.source(LOCAL_SOURCE),
        orchestrator.source(DATASYNC_SOURCE),
    );
    let value = |n: i32| Some(Value::from_json(json!(n)));
    let owner = labels(&[("com.example.owner", "ann")]);
    let mut txn = kv.txn();
    txn.set_labeled("config/demo/v1/a", value(1), owner.clone());
    txn.set_labeled(
        "config/demo/v1/b",
        value(2),
        labels(&[("com.example.tier", "db")]),
    );
    txn.commit().await.unwrap();
    assert_eq!(kv.item_labels("config/demo/v1/a"), owner);

    // The winning source's labels show; the local value has none.
    local
        .txn()
        .put("config/demo/v1/a", Value::from_json(json!(9)))
        .commit()
        .await
        .unwrap();
    let a = orchestrator.desired_item("config/demo/v1/a").unwrap();
    assert_eq!((a.source.as_str(), a.labels.len()), (LOCAL_SOURCE, 0));
    local
        .txn()
        .delete("config/demo/v1/a")
        .commit()
        .await
        .unwrap();
    let items = orchestrator.desired_items();
    assert_eq!(items.len(), 2);
    assert_eq!(
        (items[0].source.as_str(), &items[0].labels),
        (DATASYNC_SOURCE, &owner)
    );

    // A change without labels drops them; a resync replaces them all.
    let mut txn = kv.txn();
    txn.set("config/demo/v1/b", value(3));
    txn.commit().await.unwrap();
    assert!(kv.item_labels("config/demo/v1/b").is_empty());
    let mut resync = kv.resync();
    resync.set_labeled("config/demo/v1/c", value(4), owner.clone());
    resync.commit().await.unwrap();
    assert!(kv.item_labels("config/demo/v1/a").is_empty());
    assert_eq!(kv.item_labels("config/demo/v1/c"), owner);
    assert_eq!(orchestrator.desired_items().len(), 1);
}
