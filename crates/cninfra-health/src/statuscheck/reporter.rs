//! [`StatusReporter`]: one plugin's handle on the status check.

use std::fmt;
use std::sync::Arc;

use cninfra_core::ErrorChain;
use tracing::warn;

use super::plugin::StatusCheckPlugin;
use crate::state::State;

/// The handle a plugin reports its state through, made by
/// [`StatusCheckPlugin::reporter`]. It carries the plugin's name, so a report cannot go to
/// another plugin's status. Cloning is cheap.
#[derive(Clone)]
pub struct StatusReporter {
    name: Arc<str>,
    status: Arc<StatusCheckPlugin>,
}

impl StatusReporter {
    pub(super) fn new(name: String, status: Arc<StatusCheckPlugin>) -> Self {
        Self {
            name: name.into(),
            status,
        }
    }

    /// The name the plugin is registered under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Reports the plugin's state, with the error text for ERROR.
    pub fn report(&self, state: State, error: Option<String>) {
        // The reporter registered the name, so the status check always knows it.
        if let Err(err) = self.status.report_state_change(&self.name, state, error) {
            warn!(target: StatusCheckPlugin::NAME, plugin = %self.name, error = %err, "status report dropped");
        }
    }

    /// Reports OK.
    pub fn ok(&self) {
        self.report(State::Ok, None);
    }

    /// Reports ERROR with `error`'s text and the texts of its sources.
    pub fn error(&self, error: &(dyn std::error::Error + 'static)) {
        self.report(State::Error, Some(ErrorChain(error).to_string()));
    }
}

impl fmt::Debug for StatusReporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatusReporter")
            .field("name", &self.name)
            .finish()
    }
}
