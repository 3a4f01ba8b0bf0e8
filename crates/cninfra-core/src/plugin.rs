//! The [`Plugin`] trait and the function plugin [`plugin_fn`].

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;

use crate::context::InitContext;
use crate::requirement::Requirement;
use crate::subcommand::Subcommand;

/// The error type plugins return from their lifecycle hooks.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A unit of an agent.
///
/// The lifecycle, driven only by the [`Agent`](crate::Agent):
/// 1. `init` runs for every plugin, dependencies first (see [`Plugin::deps`]);
/// 2. `after_init` runs for every plugin in the same order, once all `init`s succeeded;
/// 3. on stop, `close` runs in reverse order.
///
/// Each hook has a time limit (15 s unless the agent is built with another). A plugin keeps
/// its state behind `&self` (a `OnceLock`, a `Mutex`, an atomic), because the agent shares
/// it as `Arc<dyn Plugin>` with the plugins that depend on it.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use cninfra_core::{async_trait, BoxError, InitContext, Plugin};
///
/// struct Hello;
///
/// #[async_trait]
/// impl Plugin for Hello {
///     fn name(&self) -> &str { "hello" }
///     async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
///         tracing::info!(label = %ctx.service_label(), "hello");
///         Ok(())
///     }
/// }
/// ```
#[async_trait]
pub trait Plugin: Any + Send + Sync {
    /// Unique name of the plugin within the agent; also the stem of its config file
    /// (`<name>.conf`), of its config flag (`--<name>-config`) and of its logger.
    fn name(&self) -> &str;

    /// The plugins this one uses, by type: the agent finds them among its plugins, starts
    /// them first, and hands them out through [`InitContext::dep`]. A required plugin that
    /// is missing fails [`AgentBuilder::build`](crate::AgentBuilder::build).
    fn requires(&self) -> Vec<Requirement> {
        Vec::new()
    }

    /// The plugin instances this one holds (explicit `Arc` wiring). They are added to the
    /// agent with it, and start first.
    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        Vec::new()
    }

    /// Whether the plugin reads a config file, and so gets a `--<name>-config` flag.
    fn has_config(&self) -> bool {
        true
    }

    /// Extra command-line flags of the plugin (each also read from its environment variable).
    fn flags(&self) -> Vec<Flag> {
        Vec::new()
    }

    /// Subcommands the plugin adds to the agent binary (`cninfra-agent hash-password`): a
    /// command line naming one runs it instead of the agent (see [`Subcommand`]).
    fn subcommands(&self) -> Vec<Subcommand> {
        Vec::new()
    }

    /// Prepares the plugin: read config, open connections, bind listeners.
    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError>;

    /// Starts the work that needs every plugin initialised (serving, watching).
    async fn after_init(&self, _ctx: &InitContext) -> Result<(), BoxError> {
        Ok(())
    }

    /// Releases what the plugin holds. Tasks spawned through [`InitContext::spawn`] are
    /// already told to stop (their token is cancelled) when `close` is called.
    async fn close(&self) -> Result<(), BoxError> {
        Ok(())
    }
}

impl fmt::Debug for dyn Plugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.name())
            .finish()
    }
}

/// Something the agent can take as a plugin: a plugin value, an `Arc` of one, or an
/// `Arc<dyn Plugin>`.
pub trait IntoPlugin {
    /// The shared plugin.
    fn into_plugin(self) -> Arc<dyn Plugin>;
}

impl<P: Plugin> IntoPlugin for P {
    fn into_plugin(self) -> Arc<dyn Plugin> {
        Arc::new(self)
    }
}

impl<P: Plugin> IntoPlugin for Arc<P> {
    fn into_plugin(self) -> Arc<dyn Plugin> {
        self
    }
}

impl IntoPlugin for Arc<dyn Plugin> {
    fn into_plugin(self) -> Arc<dyn Plugin> {
        self
    }
}

/// The concrete type of a plugin instance.
pub(crate) fn type_of(plugin: &Arc<dyn Plugin>) -> TypeId {
    let any: &dyn Any = plugin.as_ref();
    any.type_id()
}

/// A command-line flag that a plugin adds to the agent. It is also read from the environment
/// variable named by upper-casing it and replacing `-` with `_` (`http-port` → `HTTP_PORT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub(crate) name: Cow<'static, str>,
    pub(crate) help: Cow<'static, str>,
    pub(crate) default: Option<String>,
    switch: bool,
}

impl Flag {
    /// A flag `--<name> <value>` with a help text.
    pub fn new(name: impl Into<Cow<'static, str>>, help: impl Into<Cow<'static, str>>) -> Self {
        Self {
            name: name.into(),
            help: help.into(),
            default: None,
            switch: false,
        }
    }

    /// A boolean flag, as Go's: `--<name>` (or `-<name>`) alone turns it on,
    /// `--<name>=false` off; its variable takes `true`/`false`/`1`/`0`. Read it with
    /// [`InitContext::switch`](crate::InitContext::switch).
    pub fn switch(name: impl Into<Cow<'static, str>>, help: impl Into<Cow<'static, str>>) -> Self {
        Self {
            switch: true,
            ..Self::new(name, help)
        }
    }

    /// Whether this is a boolean flag ([`Flag::switch`]).
    pub fn is_switch(&self) -> bool {
        self.switch
    }

    /// Sets the value used when neither the command line nor the environment gives one.
    pub fn with_default(mut self, value: impl Into<String>) -> Self {
        self.default = Some(value.into());
        self
    }

    /// The flag's name, without the leading `--`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The environment variable that can set the flag.
    pub fn env_var(&self) -> String {
        env_var_of(&self.name)
    }
}

/// `http-port` → `HTTP_PORT`.
pub(crate) fn env_var_of(flag: &str) -> String {
    flag.chars()
        .map(|c| match c {
            '-' | '.' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect()
}

/// A plugin made of a name and an `init` function: for small agents, examples and tests.
/// [`requires`](FnPlugin::requires) declares a dependency by type, and
/// [`with_config_file`](FnPlugin::with_config_file) gives it a `--<name>-config` flag.
///
/// # Examples
/// ```
/// use cninfra_core::{plugin_fn, Agent};
///
/// let probe = plugin_fn("probe", |ctx| async move {
///     tracing::info!(prefix = %ctx.service_label().agent_prefix(), "up");
///     Ok(())
/// });
/// let agent = Agent::builder().plugin(probe).with_args(["demo"]).build()?;
/// # Ok::<(), cninfra_core::AgentError>(())
/// ```
pub fn plugin_fn<F, Fut>(name: impl Into<String>, init: F) -> FnPlugin<F>
where
    F: Fn(InitContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
{
    FnPlugin {
        name: name.into(),
        init,
        requires: Vec::new(),
        has_config: false,
    }
}

/// The plugin returned by [`plugin_fn`].
pub struct FnPlugin<F> {
    name: String,
    init: F,
    requires: Vec<Requirement>,
    has_config: bool,
}

impl<F> FnPlugin<F> {
    /// Declares that the plugin needs the plugin of type `P` (see [`Plugin::requires`]).
    pub fn requires<P: Plugin>(mut self) -> Self {
        self.requires.push(Requirement::of::<P>());
        self
    }

    /// Gives the plugin a config file (`--<name>-config`, `<name>.conf`), read in `init`
    /// with [`InitContext::config`].
    pub fn with_config_file(mut self) -> Self {
        self.has_config = true;
        self
    }
}

impl<F> fmt::Debug for FnPlugin<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnPlugin")
            .field("name", &self.name)
            .field("requires", &self.requires)
            .finish()
    }
}

#[async_trait]
impl<F, Fut> Plugin for FnPlugin<F>
where
    F: Fn(InitContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
{
    fn name(&self) -> &str {
        &self.name
    }

    fn requires(&self) -> Vec<Requirement> {
        self.requires.clone()
    }

    fn has_config(&self) -> bool {
        self.has_config
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        (self.init)(ctx.clone()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_var_names_follow_upstream() {
        assert_eq!(env_var_of("http-port"), "HTTP_PORT");
        assert_eq!(env_var_of("etcd-config"), "ETCD_CONFIG");
        assert_eq!(
            Flag::new("microservice-label", "").env_var(),
            "MICROSERVICE_LABEL"
        );
    }
}
