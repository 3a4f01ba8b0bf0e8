//! The `ui` plugin.

use std::sync::Arc;

use cninfra_core::{BoxError, InitContext, Plugin, Requirement, async_trait};
use cninfra_exec::{ProcessManagerPlugin, SupervisorPlugin};
use cninfra_health::StatusCheckPlugin;
use cninfra_kvscheduler::{KvSchedulerPlugin, StatusUpdate};
use cninfra_rpc::rest::HttpPlugin;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::agent::Parts;
use crate::events::{Events, Topic};
use crate::{agent, assets, events};

/// The dashboard as a plugin (`ui`): serves the page under `/ui/` on the agent's HTTP port.
///
/// Requires, by type, the `HttpPlugin` (where the page is served) and the
/// `StatusCheckPlugin` (the agent view's live refresh); uses, when the agent has them, the
/// `KvSchedulerPlugin` (values, graph and history refresh on each status change) and the
/// `SupervisorPlugin` (programs refresh on each process event). It has no config.
#[derive(Debug)]
pub struct UiPlugin {
    _private: (),
}

impl UiPlugin {
    /// The plugin's name and log target.
    pub const NAME: &'static str = "ui";

    /// The plugin.
    pub fn new() -> Arc<Self> {
        Arc::new(Self { _private: () })
    }
}

#[async_trait]
impl Plugin for UiPlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn requires(&self) -> Vec<Requirement> {
        vec![
            Requirement::of::<HttpPlugin>(),
            Requirement::of::<StatusCheckPlugin>(),
            Requirement::optional::<KvSchedulerPlugin>(),
            Requirement::optional::<SupervisorPlugin>(),
            Requirement::optional::<ProcessManagerPlugin>(),
        ]
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let stop = ctx.shutdown_token();
        let events = Events::new(stop.clone());
        let status = ctx.dep::<StatusCheckPlugin>()?;
        ctx.spawn(follow_agent(
            Arc::clone(&status),
            events.clone(),
            stop.clone(),
        ));
        let scheduler = ctx
            .try_dep::<KvSchedulerPlugin>()
            .and_then(|plugin| plugin.scheduler().ok());
        if let Some(scheduler) = &scheduler {
            ctx.spawn(follow_values(
                scheduler.watch_status(&[]),
                events.clone(),
                stop.clone(),
            ));
        }
        // Programs exist only while the supervisor runs; their processes belong to the
        // process manager, whose events name them.
        let supervised = ctx
            .try_dep::<SupervisorPlugin>()
            .is_some_and(|plugin| plugin.supervisor().is_ok());
        if let Some(manager) = ctx.try_dep::<ProcessManagerPlugin>().filter(|_| supervised) {
            let changes = manager.manager()?.subscribe();
            ctx.spawn(follow_programs(changes, events.clone(), stop.clone()));
        }
        let parts = Parts {
            scheduler: scheduler.is_some(),
            supervisor: supervised,
        };
        let http = ctx.dep::<HttpPlugin>()?;
        http.merge(assets::router())?;
        http.merge(agent::router(status, ctx.plugin_names().into(), parts))?;
        http.merge(events::router(events))?;
        info!(target: UiPlugin::NAME, path = "/ui/", "dashboard served");
        Ok(())
    }
}

/// Each change of the agent's status is an `agent` event.
async fn follow_agent(status: Arc<StatusCheckPlugin>, events: Events, stop: CancellationToken) {
    let mut changes = status.subscribe();
    while let Some(Ok(())) = stop.run_until_cancelled(changes.changed()).await {
        events.send(Topic::Agent);
    }
}

/// Each status change of a value (or a lag) is a `values` event.
async fn follow_values(
    mut watch: cninfra_kvscheduler::StatusWatch,
    events: Events,
    stop: CancellationToken,
) {
    while let Some(Some(update)) = stop.run_until_cancelled(watch.recv()).await {
        match update {
            StatusUpdate::Changed(_) | StatusUpdate::Lagged { .. } => events.send(Topic::Values),
        }
    }
}

/// Each process event (or a lag) is a `programs` event.
async fn follow_programs(
    mut changes: tokio::sync::broadcast::Receiver<cninfra_exec::Notification>,
    events: Events,
    stop: CancellationToken,
) {
    while let Some(received) = stop.run_until_cancelled(changes.recv()).await {
        match received {
            Ok(_) | Err(RecvError::Lagged(_)) => events.send(Topic::Programs),
            Err(RecvError::Closed) => break,
        }
    }
}
