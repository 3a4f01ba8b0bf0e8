//! [`LinuxPlugin`]: the Linux descriptors and their watcher in an agent.

use std::sync::Arc;

use cninfra_core::{BoxError, InitContext, Plugin, Ready, Requirement, async_trait};
use cninfra_kvscheduler::KvSchedulerPlugin;
use cninfra_netlink::Netlink;

use crate::{Linux, LinuxConfig};

/// Registers the Linux descriptors over the kernel's netlink (or a given client) in its
/// `init` (plugin `linux`, config `linux.conf`: [`LinuxConfig`]) and starts their watcher;
/// it requires the [`KvSchedulerPlugin`]. With the feature `rest` and an `HttpPlugin` in
/// the agent it serves `POST /linux/dry-run`.
///
/// # Examples
/// ```
/// use cninfra_core::Agent;
/// use cninfra_kvscheduler::KvSchedulerPlugin;
/// use cninfra_linux::LinuxPlugin;
///
/// let agent = Agent::builder()
///     .plugin(LinuxPlugin::new())
///     .plugin(KvSchedulerPlugin::new())
///     .with_args(["demo"])
///     .build()?;
/// assert_eq!(agent.plugin_names(), ["kvscheduler", "linux"]);
/// # Ok::<(), cninfra_core::AgentError>(())
/// ```
#[derive(Debug)]
pub struct LinuxPlugin {
    preset: Option<LinuxConfig>,
    netlink: Option<Arc<dyn Netlink>>,
    linux: Ready<Linux>,
}

/// Builds a [`LinuxPlugin`] ([`LinuxPlugin::builder`]).
#[derive(Debug, Default)]
#[must_use]
pub struct LinuxPluginBuilder {
    config: Option<LinuxConfig>,
    netlink: Option<Arc<dyn Netlink>>,
}

impl LinuxPluginBuilder {
    /// A fixed config; `linux.conf` is not read.
    pub fn with_config(mut self, config: LinuxConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// Another netlink client than the kernel's (a `FakeNetlink` in tests).
    pub fn with_netlink(mut self, netlink: Arc<dyn Netlink>) -> Self {
        self.netlink = Some(netlink);
        self
    }

    /// The plugin.
    pub fn build(self) -> Arc<LinuxPlugin> {
        Arc::new(LinuxPlugin {
            preset: self.config,
            netlink: self.netlink,
            linux: Ready::new(LinuxPlugin::NAME),
        })
    }
}

impl LinuxPlugin {
    /// The plugin's name (log target, config file stem).
    pub const NAME: &'static str = "linux";

    /// The plugin over the kernel, configured by `linux.conf`.
    pub fn new() -> Arc<Self> {
        Self::builder().build()
    }

    /// A builder, for a fixed config or another netlink client.
    pub fn builder() -> LinuxPluginBuilder {
        LinuxPluginBuilder::default()
    }

    /// The registered descriptors, once `init` ran (absent when disabled).
    pub fn linux(&self) -> Option<&Linux> {
        self.linux.try_get()
    }
}

#[async_trait]
impl Plugin for LinuxPlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn requires(&self) -> Vec<Requirement> {
        vec![
            Requirement::of::<KvSchedulerPlugin>(),
            #[cfg(feature = "rest")]
            Requirement::optional::<cninfra_rpc::rest::HttpPlugin>(),
        ]
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let config = ctx
            .config_or_preset(self.preset.as_ref())?
            .unwrap_or_default();
        if config.disabled {
            tracing::info!(target: LinuxPlugin::NAME, "disabled by its config");
            return Ok(());
        }
        let scheduler = ctx.dep::<KvSchedulerPlugin>()?.scheduler()?;
        let netlink: Arc<dyn Netlink> = match &self.netlink {
            Some(netlink) => Arc::clone(netlink),
            None => Arc::new(cninfra_netlink::KernelNetlink::new()?),
        };
        let linux = Linux::register(
            &scheduler,
            netlink,
            &config,
            &ctx.service_label().agent_prefix(),
        )?;
        if config.watch {
            linux.start_watcher();
        }
        #[cfg(feature = "rest")]
        if let Some(http) = ctx.try_dep::<cninfra_rpc::rest::HttpPlugin>() {
            http.merge(crate::rest::router(scheduler))?;
        }
        tracing::info!(target: LinuxPlugin::NAME, alias_prefix = linux.ownership().alias_prefix(),
            route_protocol = config.route_protocol, verify = config.verify, "Linux descriptors registered");
        self.linux.set(linux)?;
        Ok(())
    }

    async fn close(&self) -> Result<(), BoxError> {
        if let Some(linux) = self.linux.try_get() {
            linux.stop_watcher();
        }
        Ok(())
    }
}
