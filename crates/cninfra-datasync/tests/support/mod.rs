//! Test fixtures: an agent with data sync over a store, watches the test drives by hand, a
//! store wrapper that can send resync signals or fail listings, and log capture.
#![allow(dead_code, unreachable_pub, missing_docs)]

pub mod logs;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use cninfra_core::{Agent, BoxError, InitContext, NotReady, Plugin, RunningAgent, async_trait};
use cninfra_datasync::{
    ChangeEvent, Event, KvdbSyncPlugin, ResyncEvent, ResyncPlugin, StoreSource, SyncConfig, Watcher,
};
use cninfra_health::{PluginStatus, State, StatusCheckPlugin};
use cninfra_kv::{Connection, ConnectionState, KvConnector, KvStore};
use parking_lot::Mutex;

/// The label every test agent runs with.
pub const LABEL: &str = "lbl";
/// Its agent prefix.
pub const PREFIX: &str = "/vnf-agent/lbl/";

/// How long a test waits for anything.
pub const WAIT: Duration = Duration::from_secs(5);

/// A plugin that registers one watch in `init` and leaves the watcher to the test.
struct Watching {
    sync: Arc<KvdbSyncPlugin>,
    name: String,
    prefixes: Vec<String>,
    slot: Arc<Mutex<Option<Watcher>>>,
}

#[async_trait]
impl Plugin for Watching {
    fn name(&self) -> &str {
        &self.name
    }
    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        vec![self.sync.clone()]
    }
    fn has_config(&self) -> bool {
        false
    }
    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let prefixes: Vec<&str> = self.prefixes.iter().map(String::as_str).collect();
        let watcher = self.sync.watch(ctx, &prefixes)?;
        *self.slot.lock() = Some(watcher);
        Ok(())
    }
}

/// A running agent: status check, resync orchestrator, data sync and the watching plugins.
#[derive(Debug)]
pub struct Stack {
    pub agent: RunningAgent,
    pub status: Arc<StatusCheckPlugin>,
    pub resync: Arc<ResyncPlugin>,
    pub sync: Arc<KvdbSyncPlugin>,
    watchers: Vec<(String, Arc<Mutex<Option<Watcher>>>)>,
}

impl Stack {
    /// Starts an agent labelled `lbl` over `source`, with one watching plugin per entry of
    /// `watches` (name, prefixes).
    pub async fn start(
        source: StoreSource,
        config: SyncConfig,
        watches: &[(&str, &[&str])],
    ) -> Self {
        let status = StatusCheckPlugin::new();
        let resync = ResyncPlugin::new();
        let sync = KvdbSyncPlugin::builder(source).with_config(config).build();
        let mut builder = Agent::builder()
            .plugin(status.clone())
            .plugin(resync.clone());
        let mut watchers = Vec::new();
        for (name, prefixes) in watches {
            let slot = Arc::new(Mutex::new(None));
            builder = builder.plugin(Watching {
                sync: sync.clone(),
                name: (*name).to_owned(),
                prefixes: prefixes.iter().map(|p| (*p).to_owned()).collect(),
                slot: slot.clone(),
            });
            watchers.push(((*name).to_owned(), slot));
        }
        let agent = builder
            .plugin(sync.clone())
            .with_args(["test", "--microservice-label", LABEL])
            .with_env(Vec::<(String, String)>::new())
            .build()
            .expect("agent builds")
            .start()
            .await
            .expect("agent starts");
        Self {
            agent,
            status,
            resync,
            sync,
            watchers,
        }
    }

    /// The watcher of the plugin `name`.
    pub fn watcher(&self, name: &str) -> Watcher {
        self.watchers
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, slot)| slot.lock().take())
            .expect("a watcher registered under that name, not taken yet")
    }

    /// Waits until the round count reaches `rounds`.
    pub async fn rounds_done(&self, rounds: u64) {
        let mut changes = self.resync.subscribe();
        tokio::time::timeout(WAIT, changes.wait_for(|s| s.rounds_done >= rounds))
            .await
            .expect("resync rounds done in time")
            .expect("orchestrator alive");
    }

    pub async fn stop(self) {
        self.agent.stop().await.expect("agent stops");
    }
}

/// The context a plugin named `name` would get, to watch from outside a plugin.
pub fn ctx(name: &str) -> InitContext {
    InitContext::for_tests(name)
}

/// A connector over a store the test holds, whose connection the test moves by hand.
#[derive(Debug)]
pub struct HandConnector {
    store: Arc<dyn KvStore>,
    pub connection: Connection,
}

impl HandConnector {
    pub fn new(store: Arc<dyn KvStore>, resync_after_reconnect: bool) -> Arc<Self> {
        let connection = Connection::new("hand");
        connection.set_resync_after_reconnect(resync_after_reconnect);
        Arc::new(Self { store, connection })
    }

    /// The connection drops and comes back.
    pub fn reconnect(&self) {
        self.connection.down("cable pulled");
        self.connection.up();
    }
}

#[async_trait]
impl Plugin for HandConnector {
    fn name(&self) -> &str {
        "hand"
    }
    fn has_config(&self) -> bool {
        false
    }
    async fn init(&self, _ctx: &InitContext) -> Result<(), BoxError> {
        self.connection.set(ConnectionState::Connected);
        Ok(())
    }
}

impl KvConnector for HandConnector {
    fn kv(&self) -> Result<Option<Arc<dyn KvStore>>, NotReady> {
        Ok(Some(Arc::clone(&self.store)))
    }
    fn connection(&self) -> tokio::sync::watch::Receiver<ConnectionState> {
        self.connection.subscribe()
    }
}

/// A config with short time limits for tests.
pub fn quick_config() -> SyncConfig {
    SyncConfig {
        retry_interval: Duration::from_millis(100),
        ..SyncConfig::default()
    }
}

/// The next event, within [`WAIT`].
pub async fn next_event(watcher: &mut Watcher) -> Event {
    tokio::time::timeout(WAIT, watcher.recv())
        .await
        .expect("an event in time")
        .expect("watcher open")
}

/// The next event, which must be a resync.
pub async fn expect_resync(watcher: &mut Watcher) -> ResyncEvent {
    match next_event(watcher).await {
        Event::Resync(resync) => resync,
        Event::Change(change) => panic!("expected a resync, got a change of {}", change.key),
    }
}

/// The next event, which must be a change.
pub async fn expect_change(watcher: &mut Watcher) -> ChangeEvent {
    match next_event(watcher).await {
        Event::Change(change) => change,
        Event::Resync(resync) => panic!("expected a change, got a resync ({})", resync.cause),
    }
}

/// Keys and values (as text) of a resync.
pub fn pairs(resync: &ResyncEvent) -> Vec<(String, String)> {
    resync
        .values
        .iter()
        .map(|e| {
            (
                e.key.clone(),
                String::from_utf8_lossy(&e.value).into_owned(),
            )
        })
        .collect()
}

/// The value of a change as text (`None` for a delete).
pub fn text(value: Option<&bytes::Bytes>) -> Option<String> {
    value.map(|v| String::from_utf8_lossy(v).into_owned())
}

/// Waits until the status of plugin `name` satisfies `check`.
pub async fn plugin_status(
    status: &StatusCheckPlugin,
    name: &str,
    mut check: impl FnMut(&PluginStatus) -> bool,
) -> PluginStatus {
    let mut changes = status.subscribe();
    let found = tokio::time::timeout(
        WAIT,
        changes.wait_for(|agent| agent.plugins.iter().any(|p| p.name == name && check(p))),
    )
    .await
    .unwrap_or_else(|_| {
        panic!(
            "status of `{name}` as expected in time; now {:?}",
            status.plugin_status(name)
        )
    })
    .expect("status check alive");
    found
        .plugins
        .iter()
        .find(|p| p.name == name)
        .cloned()
        .expect("present")
}

/// Waits for plugin `name` to be in `state`; returns its error text.
pub async fn plugin_state(status: &StatusCheckPlugin, name: &str, state: State) -> Option<String> {
    plugin_status(status, name, |p| p.state == state)
        .await
        .error
}
