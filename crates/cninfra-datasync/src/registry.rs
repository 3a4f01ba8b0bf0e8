//! The watch registrations shared by the transports, and how their outcomes reach the
//! status check.

use std::sync::Arc;

use cninfra_core::ErrorChain;
use cninfra_health::{Criticality, State, StatusCheckPlugin};
use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};
use tracing::{info, warn};

use crate::LOG;
use crate::error::DatasyncError;
use crate::event::{Event, ResyncCause};

/// A request to a registration's store task.
#[derive(Debug)]
pub(crate) enum Command {
    /// Re-read the store and deliver a resync; answer with the outcome.
    Resync {
        cause: ResyncCause,
        reply: oneshot::Sender<Result<(), DatasyncError>>,
    },
}

/// One watch: a name (the watching plugin), key prefixes and the plugin's event channel.
#[derive(Debug)]
pub(crate) struct Registration {
    pub(crate) name: Arc<str>,
    pub(crate) prefixes: Vec<String>,
    pub(crate) events: mpsc::Sender<Event>,
    pub(crate) commands: mpsc::Sender<Command>,
    command_rx: Mutex<Option<mpsc::Receiver<Command>>>,
    pub(crate) reporter: Reporter,
}

impl Registration {
    pub(crate) fn new(
        name: &str,
        prefixes: Vec<String>,
        events: mpsc::Sender<Event>,
        status: Arc<StatusCheckPlugin>,
    ) -> Self {
        let (commands, command_rx) = mpsc::channel(4);
        let name: Arc<str> = Arc::from(name);
        Self {
            reporter: Reporter::new(status, Arc::clone(&name)),
            name,
            prefixes,
            events,
            commands,
            command_rx: Mutex::new(Some(command_rx)),
        }
    }

    /// Whether `key` is under one of the prefixes.
    pub(crate) fn matches(&self, key: &str) -> bool {
        self.prefixes.iter().any(|prefix| key.starts_with(prefix))
    }

    /// The receiving end of the commands, for the one task that serves them.
    pub(crate) fn take_commands(&self) -> Option<mpsc::Receiver<Command>> {
        self.command_rx.lock().take()
    }
}

/// Every registration, in registration order, and whether the first resync round started.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    registrations: Vec<Arc<Registration>>,
    activated: bool,
}

impl Registry {
    /// Adds a registration; returns whether the first resync round already started (then
    /// the registration needs a resync of its own).
    pub(crate) fn add(&self, registration: Arc<Registration>) -> Result<bool, DatasyncError> {
        let mut inner = self.inner.lock();
        if inner
            .registrations
            .iter()
            .any(|r| r.name == registration.name)
        {
            return Err(DatasyncError::DuplicateWatch {
                name: registration.name.to_string(),
            });
        }
        inner.registrations.push(registration);
        Ok(inner.activated)
    }

    /// The registrations now, in registration order.
    pub(crate) fn snapshot(&self) -> Vec<Arc<Registration>> {
        self.inner.lock().registrations.clone()
    }

    /// Marks the first round as started and returns the registrations it covers; later
    /// registrations see `activated` in [`add`](Self::add).
    pub(crate) fn activate(&self) -> Vec<Arc<Registration>> {
        let mut inner = self.inner.lock();
        inner.activated = true;
        inner.registrations.clone()
    }

    /// Forgets a registration whose watcher was dropped.
    pub(crate) fn remove(&self, name: &str) {
        self.inner.lock().registrations.retain(|r| &*r.name != name);
    }

    /// Forgets every registration (the plugin closes): watchers then see the end.
    pub(crate) fn clear(&self) {
        self.inner.lock().registrations.clear();
    }
}

/// What was last told to the status check about one watching plugin.
#[derive(Debug, PartialEq, Eq)]
enum Reported {
    Nothing,
    Ok,
    Error(String),
}

/// Reports delivery outcomes of one registration to the log and the status check, under
/// the watch name; only transitions reach the status check.
#[derive(Debug)]
pub(crate) struct Reporter {
    status: Arc<StatusCheckPlugin>,
    name: Arc<str>,
    reported: Mutex<Reported>,
}

impl Reporter {
    fn new(status: Arc<StatusCheckPlugin>, name: Arc<str>) -> Self {
        Self {
            status,
            name,
            reported: Mutex::new(Reported::Nothing),
        }
    }

    /// Registers the watch name with the status check (as a readiness concern: a plugin
    /// that cannot apply config should not be restarted over it) unless the plugin did.
    pub(crate) fn register(&self) {
        if self.status.plugin_status(&self.name).is_none() {
            self.status
                .register_as(&*self.name, Criticality::Readiness, None);
        }
    }

    /// Reports an outcome: OK after an error, or the error.
    pub(crate) fn outcome(&self, outcome: &Result<(), DatasyncError>) {
        match outcome {
            Ok(()) => self.ok(),
            Err(err) => self.failed(err),
        }
    }

    /// An event was applied: back to OK if the last report was not.
    pub(crate) fn ok(&self) {
        let mut reported = self.reported.lock();
        if *reported == Reported::Ok {
            return;
        }
        if matches!(*reported, Reported::Error(_)) {
            info!(target: LOG, plugin = %self.name, "watching plugin applies events again");
        }
        *reported = Reported::Ok;
        self.report(State::Ok, None);
    }

    /// A delivery failed: log it with plugin and key, and report ERROR with the text.
    pub(crate) fn failed(&self, err: &DatasyncError) {
        match err.key() {
            Some(key) => {
                warn!(target: LOG, plugin = %self.name, key = %key, error = %ErrorChain(err), "event delivery failed");
            }
            None => {
                warn!(target: LOG, plugin = %self.name, error = %ErrorChain(err), "event delivery failed");
            }
        }
        let text = ErrorChain(err).to_string();
        let mut reported = self.reported.lock();
        if matches!(&*reported, Reported::Error(last) if *last == text) {
            return;
        }
        *reported = Reported::Error(text.clone());
        self.report(State::Error, Some(text));
    }

    fn report(&self, state: State, error: Option<String>) {
        if let Err(err) = self.status.report_state_change(&self.name, state, error) {
            warn!(target: LOG, plugin = %self.name, error = %err, "status report dropped");
        }
    }
}
