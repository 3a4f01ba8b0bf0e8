//! Data sync follows the connection of its store's connector: after a reconnect with
//! `resync-after-reconnect` every watcher gets a resync, with only library plugins wired.

mod support;

use std::sync::Arc;
use std::time::Duration;

use cninfra_core::{Agent, BoxError, InitContext, Plugin, Requirement, async_trait};
use cninfra_datasync::{Event, KvdbSyncPlugin, ResyncCause, ResyncPlugin, StoreSource, Watcher};
use cninfra_health::StatusCheckPlugin;
use cninfra_kv::{ConnectionState, KvStore, MemoryStore, PutOptions};
use cninfra_kv_etcd::{EtcdConfig, EtcdPlugin};
use cninfra_testsupport::EtcdServer;
use parking_lot::Mutex;
use support::{HandConnector, Stack, expect_resync, pairs, quick_config};

#[tokio::test]
async fn a_reconnect_with_resync_after_reconnect_resyncs_every_watcher() {
    let store = MemoryStore::new();
    store
        .put(
            "/vnf-agent/lbl/config/ex/a",
            "1".into(),
            PutOptions::default(),
        )
        .await
        .unwrap();
    let connector = HandConnector::new(Arc::new(store.clone()), true);
    let stack = Stack::start(
        StoreSource::connector(connector.clone()),
        quick_config(),
        &[("ex", &["config/ex/"])],
    )
    .await;
    let mut watcher = stack.watcher("ex");
    expect_resync(&mut watcher).await.done.ok();
    stack.rounds_done(1).await;

    connector.reconnect();
    let resync = expect_resync(&mut watcher).await;
    assert_eq!(
        resync.cause,
        ResyncCause::Requested("hand reconnected".into())
    );
    assert_eq!(pairs(&resync), [("config/ex/a".into(), "1".into())]);
    resync.done.ok();
    stack.stop().await;
}

/// The application's plugin: one watch, handed to the test.
struct App {
    watcher: Arc<Mutex<Option<Watcher>>>,
}

#[async_trait]
impl Plugin for App {
    fn name(&self) -> &str {
        "app"
    }
    fn requires(&self) -> Vec<Requirement> {
        vec![Requirement::of::<KvdbSyncPlugin>()]
    }
    fn has_config(&self) -> bool {
        false
    }
    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let watcher = ctx.dep::<KvdbSyncPlugin>()?.watch(ctx, &["config/app/"])?;
        *self.watcher.lock() = Some(watcher);
        Ok(())
    }
}

/// The next resync, acknowledging the changes before it.
async fn next_resync(watcher: &mut Watcher) -> cninfra_datasync::ResyncEvent {
    loop {
        let event = tokio::time::timeout(Duration::from_secs(30), watcher.recv())
            .await
            .expect("a resync in time")
            .expect("watcher open");
        match event {
            Event::Resync(resync) => return resync,
            Event::Change(change) => change.done.ok(),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_etcd_restart_resyncs_the_watchers_with_library_plugins_only() {
    let mut server = EtcdServer::start().await;
    let etcd = EtcdPlugin::builder()
        .with_config(EtcdConfig {
            dial_timeout: Duration::from_secs(2),
            operation_timeout: Duration::from_millis(500),
            reconnect_interval: Duration::from_millis(100),
            ..EtcdConfig::with_endpoints([server.endpoint()])
        })
        .build();
    let slot = Arc::new(Mutex::new(None));
    let running = Agent::builder()
        .plugin(StatusCheckPlugin::new())
        .plugin(ResyncPlugin::new())
        .plugin(etcd.clone())
        .plugin(KvdbSyncPlugin::new(StoreSource::connector(etcd.clone())))
        .plugin(App {
            watcher: slot.clone(),
        })
        .with_args(["test", "--microservice-label", "lbl"])
        .with_env(Vec::<(String, String)>::new())
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    let mut watcher = slot.lock().take().expect("app watches");
    let first = next_resync(&mut watcher).await;
    assert_eq!(first.cause, ResyncCause::Requested("startup".into()));
    first.done.ok();
    let store = etcd.store().unwrap().expect("etcd configured");
    store
        .put(
            "/vnf-agent/lbl/config/app/a",
            "1".into(),
            PutOptions::default(),
        )
        .await
        .unwrap();

    let mut connection = etcd.connection();
    server.kill();
    tokio::time::timeout(
        Duration::from_secs(30),
        connection.wait_for(|s| matches!(s, ConnectionState::Disconnected { .. })),
    )
    .await
    .expect("etcd seen gone")
    .unwrap();
    server.run().await;

    let resync = next_resync(&mut watcher).await;
    assert_eq!(
        resync.cause,
        ResyncCause::Requested("etcd reconnected".into())
    );
    assert_eq!(pairs(&resync), [("config/app/a".into(), "1".into())]);
    resync.done.ok();
    running.stop().await.unwrap();
}
