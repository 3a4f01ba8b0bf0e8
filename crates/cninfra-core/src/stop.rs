//! Stop requests: the handle and the signal listener.

use tokio::signal::unix::{SignalKind, signal};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::AGENT_LOGGER;

/// Stops an agent: [`Agent::run`](crate::Agent::run) and
/// [`RunningAgent::wait`](crate::RunningAgent::wait) return after closing the plugins. A stop
/// requested while the agent starts interrupts the start. Cheap to clone.
#[derive(Debug, Clone)]
pub struct StopHandle(CancellationToken);

impl StopHandle {
    pub(crate) fn new(token: CancellationToken) -> Self {
        Self(token)
    }

    /// Requests the stop; later calls do nothing.
    pub fn stop(&self) {
        self.0.cancel();
    }

    /// Whether a stop was requested.
    pub fn is_stopped(&self) -> bool {
        self.0.is_cancelled()
    }

    /// Completes when a stop is requested.
    pub async fn stopped(&self) {
        self.0.cancelled().await;
    }
}

/// Requests a stop on the first SIGINT or SIGTERM.
pub(crate) fn listen_for_signals(stop: StopHandle) -> std::io::Result<JoinHandle<()>> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(tokio::spawn(async move {
        let name = tokio::select! {
            _ = interrupt.recv() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        };
        info!(target: AGENT_LOGGER, signal = name, "stop requested by signal");
        stop.stop();
    }))
}
