//! The `process-manager` plugin.

use std::ffi::OsStr;
use std::sync::{Arc, OnceLock};

use cninfra_core::{BoxError, InitContext, Plugin, async_trait};
use tracing::info;

use crate::LOG;
use crate::error::ExecError;
use crate::manager::{ManagerConfig, ProcessManager};

/// The process manager as a plugin (`process-manager`).
///
/// Reads `process-manager.conf` (`--process-manager-config`, `PROCESS_MANAGER_CONFIG`);
/// without one it runs without templates, as upstream. In `init` it loads the templates
/// (a malformed one fails the start, naming file and field) and starts those marked
/// `run_on_startup`; on close it stops the non-detached children.
///
/// # Examples
/// ```no_run
/// use cninfra_core::Agent;
/// use cninfra_exec::ProcessManagerPlugin;
///
/// # async fn demo() -> Result<(), cninfra_core::AgentError> {
/// let pm = ProcessManagerPlugin::new();
/// Agent::builder().plugin(pm.clone()).build()?.run().await
/// # }
/// ```
#[derive(Debug)]
pub struct ProcessManagerPlugin {
    preset: Option<ManagerConfig>,
    manager: OnceLock<ProcessManager>,
}

impl ProcessManagerPlugin {
    /// The plugin's name.
    pub const NAME: &'static str = "process-manager";

    /// The plugin, configured by `process-manager.conf`.
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            preset: None,
            manager: OnceLock::new(),
        })
    }

    /// The plugin with a fixed config (no file is read).
    pub fn with_config(config: ManagerConfig) -> Arc<Self> {
        Arc::new(Self {
            preset: Some(config),
            manager: OnceLock::new(),
        })
    }

    /// The manager, once `init` ran.
    ///
    /// # Errors
    /// [`ExecError::NotReady`] before `init`.
    pub fn manager(&self) -> Result<&ProcessManager, ExecError> {
        self.manager
            .get()
            .ok_or(ExecError::NotReady { plugin: Self::NAME })
    }

    /// Whether this process was given `--process-manager-config` or
    /// `PROCESS_MANAGER_CONFIG` (non-empty): the example agent adds the plugin then.
    pub fn config_given() -> bool {
        config_given(Self::NAME, std::env::args_os(), |var| std::env::var_os(var))
    }
}

#[async_trait]
impl Plugin for ProcessManagerPlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let config = match &self.preset {
            Some(config) => config.clone(),
            None => ctx.config_or_default::<ManagerConfig>()?,
        };
        let manager = ProcessManager::new(config)?;
        let templates = manager.load_templates()?;
        let started = manager.start_templates_on_startup().await;
        info!(target: LOG, templates, started = started.len(), "process manager ready");
        // `init` runs once per agent; a second value could only come from a reused plugin.
        let _ = self.manager.set(manager);
        Ok(())
    }

    async fn close(&self) -> Result<(), BoxError> {
        if let Some(manager) = self.manager.get() {
            manager.shutdown().await;
        }
        Ok(())
    }
}

/// Whether `args` hold `--<plugin>-config <path>` / `--<plugin>-config=<path>`, or the
/// variable `<PLUGIN>_CONFIG` is set; an empty value does not count (it disables the file).
pub(crate) fn config_given<I, S>(
    plugin: &str,
    args: I,
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> bool
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let flag = format!("--{plugin}-config");
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let Some(arg) = arg.as_ref().to_str() else {
            continue;
        };
        if arg == flag {
            return args.next().is_some_and(|value| !value.as_ref().is_empty());
        }
        if let Some(value) = arg
            .strip_prefix(&flag)
            .and_then(|rest| rest.strip_prefix('='))
        {
            return !value.is_empty();
        }
    }
    let var: String = plugin
        .chars()
        .map(|c| {
            if c == '-' {
                '_'
            } else {
                c.to_ascii_uppercase()
            }
        })
        .chain("_CONFIG".chars())
        .collect();
    env(&var).is_some_and(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<std::ffi::OsString> {
        None
    }

    #[test]
    fn config_flag_is_found_in_both_forms_and_in_the_environment() {
        let given = |args: &[&str]| config_given("supervisor", args.iter(), no_env);
        assert!(given(&["agent", "--supervisor-config", "sv.conf"]));
        assert!(given(&["agent", "--supervisor-config=sv.conf"]));
        assert!(!given(&["agent", "--supervisor-config="]));
        assert!(!given(&["agent", "--supervisor-config"]));
        assert!(!given(&["agent", "--http-config=x"]));
        let env = |var: &str| (var == "PROCESS_MANAGER_CONFIG").then(|| "pm.conf".into());
        assert!(config_given("process-manager", ["agent"], env));
        assert!(!config_given("supervisor", ["agent"], env));
    }
}
