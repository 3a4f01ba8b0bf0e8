//! The supervisor: programs from `supervisor.conf` started and restarted through the
//! process manager, hooks run on their state changes, and a REST API.

mod config;
mod hooks;
mod metrics;
mod plugin;
mod rest;

use std::sync::Arc;

use parking_lot::Mutex;

pub use config::{HookConfig, ProgramConfig, SupervisorConfig};
pub use hooks::HookStats;
pub use plugin::{SupervisorPlugin, SupervisorPluginBuilder};

use crate::manager::ProcessManager;
use crate::process::ProcessInstance;

/// The log target of the supervisor: its plugin's name.
const LOG: &str = SupervisorPlugin::NAME;

/// The running supervisor: its programs, by the names of its config.
#[derive(Debug)]
pub struct Supervisor {
    manager: ProcessManager,
    names: Vec<String>,
    hook_stats: Arc<Mutex<HookStats>>,
}

impl Supervisor {
    /// The programs' names, in config order.
    pub fn program_names(&self) -> &[String] {
        &self.names
    }

    /// The program with this name (only the supervisor's own programs).
    pub fn program(&self, name: &str) -> Option<Arc<ProcessInstance>> {
        if self.names.iter().any(|known| known == name) {
            self.manager.get(name)
        } else {
            None
        }
    }

    /// How the hooks have fared so far.
    pub fn hook_stats(&self) -> HookStats {
        *self.hook_stats.lock()
    }

    /// Every program, in config order.
    pub fn programs(&self) -> Vec<Arc<ProcessInstance>> {
        self.names
            .iter()
            .filter_map(|name| self.manager.get(name))
            .collect()
    }
}
