//! What a plugin gets in `init` and `after_init`.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use serde::de::DeserializeOwned;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use tracing::warn;

use crate::AGENT_LOGGER;
use crate::build_info::BuildInfo;
use crate::config::{self, ConfigError, ConfigSource};
use crate::label::ServiceLabel;
use crate::requirement::short_type_name;
use crate::settings::{Origin, Settings, config_flag_of};
use crate::stop::StopHandle;

/// What every plugin of one agent shares.
#[derive(Debug)]
pub(crate) struct Environment {
    pub(crate) settings: Settings,
    pub(crate) label: ServiceLabel,
    pub(crate) build_info: BuildInfo,
    pub(crate) started: SystemTime,
    pub(crate) stop: CancellationToken,
    /// The environment variables the agent was built with (the process's, or
    /// [`with_env`](crate::AgentBuilder::with_env)'s).
    pub(crate) vars: HashMap<String, String>,
    /// Every plugin, in start order, for [`InitContext::dep`].
    pub(crate) plugins: Vec<Arc<dyn Any + Send + Sync>>,
    pub(crate) names: Vec<String>,
}

/// The context of one plugin: its config, flags, the service label, and a place to spawn
/// tasks that the agent stops and waits for when the plugin closes.
///
/// Cloning is cheap; clones share everything.
#[derive(Debug, Clone)]
pub struct InitContext {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    plugin: String,
    /// The types the plugin declared in `requires()` and `deps()`.
    declared: Vec<TypeId>,
    env: Arc<Environment>,
    token: CancellationToken,
    tracker: TaskTracker,
}

impl InitContext {
    /// The context of `plugin`, which may use the plugins of the `declared` types.
    pub(crate) fn new(plugin: &str, declared: Vec<TypeId>, env: Arc<Environment>) -> Self {
        Self {
            inner: Arc::new(Inner {
                plugin: plugin.to_owned(),
                declared,
                env,
                token: CancellationToken::new(),
                tracker: TaskTracker::new(),
            }),
        }
    }

    /// A context for unit tests of a plugin, outside an agent: default label `vpp1`, no
    /// config files, no flags, no other plugins.
    #[cfg(any(test, feature = "test-util"))]
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    pub fn for_tests(plugin: &str) -> Self {
        Self::new(
            plugin,
            Vec::new(),
            Arc::new(Environment {
                settings: Settings::default(),
                label: ServiceLabel::default(),
                build_info: BuildInfo::default(),
                started: SystemTime::now(),
                stop: CancellationToken::new(),
                vars: HashMap::new(),
                plugins: Vec::new(),
                names: vec![plugin.to_owned()],
            }),
        )
    }

    /// The name of the plugin this context belongs to.
    pub fn plugin_name(&self) -> &str {
        &self.inner.plugin
    }

    /// The names of all the agent's plugins, in start order.
    pub fn plugin_names(&self) -> &[String] {
        &self.inner.env.names
    }

    /// The plugin of type `P`, which this plugin declared in
    /// [`Plugin::requires`](crate::Plugin::requires) (or holds through
    /// [`Plugin::deps`](crate::Plugin::deps)).
    ///
    /// # Errors
    /// [`DependencyError`] naming both plugins when `P` was not declared, or (for an
    /// [optional](crate::Requirement::optional) requirement) is not in the agent.
    pub fn dep<P: Any + Send + Sync>(&self) -> Result<Arc<P>, DependencyError> {
        let error = |declared| DependencyError {
            plugin: self.inner.plugin.clone(),
            needs: short_type_name::<P>(),
            declared,
        };
        if !self.inner.declared.contains(&TypeId::of::<P>()) {
            return Err(error(false));
        }
        self.try_dep::<P>().ok_or_else(|| error(true))
    }

    /// The plugin of type `P` when the agent has one (for optional requirements).
    pub fn try_dep<P: Any + Send + Sync>(&self) -> Option<Arc<P>> {
        self.inner
            .env
            .plugins
            .iter()
            .find_map(|plugin| Arc::clone(plugin).downcast::<P>().ok())
    }

    /// An environment variable of the agent: the process's, or those given to
    /// [`AgentBuilder::with_env`](crate::AgentBuilder::with_env). Plugins read the
    /// environment only through this, so an agent built for a test sees only what the test
    /// gave it.
    pub fn env_var(&self, name: &str) -> Option<&str> {
        self.inner.env.vars.get(name).map(String::as_str)
    }

    /// The agent's service label.
    pub fn service_label(&self) -> &ServiceLabel {
        &self.inner.env.label
    }

    /// The agent binary's build information.
    pub fn build_info(&self) -> &BuildInfo {
        &self.inner.env.build_info
    }

    /// When the agent started.
    pub fn start_time(&self) -> SystemTime {
        self.inner.env.started
    }

    /// The value of a flag (from the command line, its environment variable or its default),
    /// if it has one. Plugins declare their flags in [`Plugin::flags`](crate::Plugin::flags).
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.inner
            .env
            .settings
            .get(name)
            .map(|found| found.value.as_str())
    }

    /// Whether a boolean flag ([`Flag::switch`](crate::Flag::switch)) is on.
    pub fn switch(&self, name: &str) -> bool {
        self.inner.env.settings.switch(name)
    }

    /// Whether a flag was given on the command line or by its environment variable (rather
    /// than taking its default), for settings where an explicit flag beats a config file.
    pub fn flag_is_set(&self, name: &str) -> bool {
        self.inner
            .env
            .settings
            .get(name)
            .is_some_and(|found| found.origin != Origin::Default)
    }

    /// Where this plugin's config comes from (see [`config`](crate::config) for the rules).
    ///
    /// # Errors
    /// [`ConfigError::NotFound`] when a config path was given that does not exist.
    pub fn config_source(&self) -> Result<ConfigSource, ConfigError> {
        let settings = &self.inner.env.settings;
        let given = settings
            .get(&config_flag_of(&self.inner.plugin))
            .map(|found| (found.value.as_str(), found.origin.to_string()));
        let given = given
            .as_ref()
            .map(|(value, origin)| (*value, origin.as_str()));
        config::resolve(&self.inner.plugin, given, &settings.config_dir())
    }

    /// The plugin's config, or `None` when it has no config file.
    ///
    /// Keys that `T` does not know are logged as warnings naming file, line, key and the
    /// nearest known key, and ignored; under `--strict-config` (`STRICT_CONFIG`) they fail
    /// with [`ConfigError::UnknownKeys`].
    ///
    /// # Errors
    /// A [`ConfigError`] naming the file, line and field when the file is missing, unreadable
    /// or does not fit `T`.
    pub fn config<T: DeserializeOwned>(&self) -> Result<Option<T>, ConfigError> {
        let path = match self.config_source()? {
            ConfigSource::File { path, .. } => path,
            ConfigSource::None => return Ok(None),
        };
        let parsed = config::load_file_lenient::<T>(&path)?;
        for line in &parsed.repaired_lines {
            warn!(
                target: AGENT_LOGGER,
                plugin = %self.inner.plugin,
                "{}:{line}: stray `,` after a quoted value ignored (not YAML; upstream's \
                 sample logs.conf has them)",
                path.display()
            );
        }
        if parsed.unknown.is_empty() {
            return Ok(Some(parsed.value));
        }
        if self.inner.env.settings.strict_config() {
            return Err(ConfigError::UnknownKeys {
                plugin: self.inner.plugin.clone(),
                keys: parsed.unknown,
            });
        }
        for key in &parsed.unknown {
            warn!(
                target: AGENT_LOGGER,
                plugin = %self.inner.plugin,
                file = %key.file.display(),
                line = key.line,
                key = %key.key,
                nearest = key.nearest.as_deref(),
                "{key}; ignored (--strict-config makes this an error)"
            );
        }
        Ok(Some(parsed.value))
    }

    /// The config of a plugin that may have been built with a fixed one (upstream's
    /// `UseConf`): `preset` when given, else the config file, else `None`.
    ///
    /// # Errors
    /// As [`config`](Self::config); a preset is never an error.
    pub fn config_or_preset<T: DeserializeOwned + Clone>(
        &self,
        preset: Option<&T>,
    ) -> Result<Option<T>, ConfigError> {
        match preset {
            Some(preset) => Ok(Some(preset.clone())),
            None => self.config(),
        }
    }

    /// The plugin's config, or `T::default()` when it has no config file.
    ///
    /// # Errors
    /// As [`config`](Self::config).
    pub fn config_or_default<T: DeserializeOwned + Default>(&self) -> Result<T, ConfigError> {
        Ok(self.config()?.unwrap_or_default())
    }

    /// The config file in use, if any (for log lines and status pages).
    pub fn config_path(&self) -> Option<PathBuf> {
        match self.config_source() {
            Ok(ConfigSource::File { path, .. }) => Some(path),
            _ => None,
        }
    }

    /// A token cancelled when this plugin starts closing (or its start failed): tasks select
    /// on it to stop.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.inner.token.clone()
    }

    /// Spawns a task that the agent waits for (within the close time limit) after the
    /// plugin's `close`. The task should stop when [`shutdown_token`](Self::shutdown_token)
    /// is cancelled.
    pub fn spawn<F>(&self, task: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.inner.tracker.spawn(task)
    }

    /// A handle that stops the whole agent, for a plugin that hits a fatal condition.
    pub fn stop_handle(&self) -> StopHandle {
        StopHandle::new(self.inner.env.stop.clone())
    }

    /// Cancels the token and waits for the plugin's tasks.
    pub(crate) async fn shut_down_tasks(&self) {
        self.inner.token.cancel();
        self.inner.tracker.close();
        self.inner.tracker.wait().await;
    }
}

/// A plugin asked its context for another plugin it may not use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", if *declared {
    format!("plugin `{plugin}` needs a `{needs}` plugin, and the agent has none")
} else {
    format!("plugin `{plugin}` uses the `{needs}` plugin without declaring it in `requires()`")
})]
pub struct DependencyError {
    plugin: String,
    needs: &'static str,
    declared: bool,
}
