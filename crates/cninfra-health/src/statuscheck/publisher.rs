//! Publishers: where status changes go (a KV store, for instance), one at a time, in order.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use cninfra_core::{BoxError, async_trait};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::warn;

use super::StatusCheckPlugin;
use crate::status::{AgentStatus, PluginStatus};

/// Receives status changes from the status check.
///
/// The status check calls a publisher only when a status changed (state or error text),
/// from one task, in the order of the changes, each call within the publish time limit
/// (5 s by default); a failure is logged and does not stop later calls. A publisher added
/// while the agent runs first gets the agent status and every plugin status as they are.
///
/// # Examples
/// ```
/// use cninfra_core::{async_trait, BoxError};
/// use cninfra_health::{AgentStatus, PluginStatus, StatusPublisher};
///
/// #[derive(Debug)]
/// struct Printer;
///
/// #[async_trait]
/// impl StatusPublisher for Printer {
///     async fn publish_agent(&self, status: &AgentStatus) -> Result<(), BoxError> {
///         println!("agent is {}", status.state);
///         Ok(())
///     }
///     async fn publish_plugin(&self, status: &PluginStatus) -> Result<(), BoxError> {
///         println!("{} is {}", status.name, status.state);
///         Ok(())
///     }
/// }
/// ```
#[async_trait]
pub trait StatusPublisher: Send + Sync + fmt::Debug + 'static {
    /// The agent's aggregate state changed (upstream's key `check/status/v1/agent`).
    async fn publish_agent(&self, status: &AgentStatus) -> Result<(), BoxError>;

    /// A plugin's status changed or the plugin registered (upstream's key
    /// `check/status/v1/plugin/<name>`).
    async fn publish_plugin(&self, status: &PluginStatus) -> Result<(), BoxError>;
}

/// The publishers at the time of a change.
pub(super) type Targets = Arc<[Arc<dyn StatusPublisher>]>;

/// One thing to publish.
#[derive(Debug)]
pub(super) enum Record {
    Agent(AgentStatus),
    Plugin(PluginStatus),
}

/// A change to publish, and to whom: the publishers registered when it happened.
#[derive(Debug)]
pub(super) struct Event {
    pub(super) targets: Targets,
    pub(super) record: Record,
}

/// Delivers events until the token is cancelled or every sender is gone.
pub(super) async fn run(
    mut events: mpsc::UnboundedReceiver<Event>,
    limit: Duration,
    stop: CancellationToken,
) {
    loop {
        let event = tokio::select! {
            biased;
            () = stop.cancelled() => return,
            event = events.recv() => match event {
                Some(event) => event,
                None => return,
            },
        };
        for publisher in event.targets.iter() {
            let (what, call) = match &event.record {
                Record::Agent(status) => ("agent", publisher.publish_agent(status)),
                Record::Plugin(status) => (status.name.as_str(), publisher.publish_plugin(status)),
            };
            match tokio::time::timeout(limit, call).await {
                Ok(Ok(())) => {}
                Ok(Err(err)) => {
                    warn!(target: StatusCheckPlugin::NAME, ?publisher, status = what, error = %err, "publishing a status failed");
                }
                Err(_) => {
                    warn!(target: StatusCheckPlugin::NAME, ?publisher, status = what, ?limit, "publishing a status timed out");
                }
            }
        }
    }
}
