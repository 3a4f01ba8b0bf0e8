//! [`ExampleDescriptorsPlugin`]: registers the example descriptors in an agent.

use std::sync::Arc;

use cninfra_core::{BoxError, Flag, InitContext, Plugin, Requirement, async_trait};
use cninfra_kvscheduler::KvSchedulerPlugin;

use crate::{Dataplane, register_all};

/// Registers the example descriptors (interfaces, bridge domains and their members, FIB
/// entries) over a [`Dataplane`] in its `init` (plugin `example-descriptors`); it requires
/// the [`KvSchedulerPlugin`]. The dataplane is kept for inspection
/// ([`dataplane`](Self::dataplane)). With the flag `--dataplane-file <path>`
/// (`DATAPLANE_FILE`) the simulated VPP is kept in that file too
/// ([`Dataplane::persist_to`]), so that its objects outlive the agent process as VPP's
/// outlive a crash of vpp-agent, and a restarted agent retrieves them.
///
/// # Examples
/// ```
/// use cninfra_core::Agent;
/// use cninfra_kvscheduler::KvSchedulerPlugin;
/// use cninfra_kvscheduler_example::ExampleDescriptorsPlugin;
///
/// let example = ExampleDescriptorsPlugin::new();
/// assert!(example.dataplane().calls().is_empty());
/// let agent = Agent::builder()
///     .plugin(example)
///     .plugin(KvSchedulerPlugin::new())
///     .with_args(["demo"])
///     .build()?;
/// assert_eq!(agent.plugin_names(), ["kvscheduler", "example-descriptors"]);
/// # Ok::<(), cninfra_core::AgentError>(())
/// ```
#[derive(Debug)]
pub struct ExampleDescriptorsPlugin {
    dataplane: Dataplane,
}

/// Builds an [`ExampleDescriptorsPlugin`] ([`ExampleDescriptorsPlugin::builder`]).
#[derive(Debug, Default)]
#[must_use]
pub struct ExampleDescriptorsPluginBuilder {
    dataplane: Option<Dataplane>,
}

impl ExampleDescriptorsPluginBuilder {
    /// An existing dataplane (e.g. one that outlives an agent restart) instead of a new one.
    pub fn with_dataplane(mut self, dataplane: Dataplane) -> Self {
        self.dataplane = Some(dataplane);
        self
    }

    /// The plugin.
    pub fn build(self) -> Arc<ExampleDescriptorsPlugin> {
        Arc::new(ExampleDescriptorsPlugin {
            dataplane: self.dataplane.unwrap_or_default(),
        })
    }
}

impl ExampleDescriptorsPlugin {
    /// The plugin's name.
    pub const NAME: &'static str = "example-descriptors";

    /// The flag (and `DATAPLANE_FILE` variable) naming the file that keeps the dataplane.
    pub const DATAPLANE_FILE_FLAG: &'static str = "dataplane-file";

    /// The plugin with a new, empty dataplane.
    pub fn new() -> Arc<Self> {
        Self::builder().build()
    }

    /// A builder, for an existing dataplane.
    pub fn builder() -> ExampleDescriptorsPluginBuilder {
        ExampleDescriptorsPluginBuilder::default()
    }

    /// The dataplane the descriptors call (a cheap handle to the shared state).
    pub fn dataplane(&self) -> Dataplane {
        self.dataplane.clone()
    }
}

#[async_trait]
impl Plugin for ExampleDescriptorsPlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn requires(&self) -> Vec<Requirement> {
        vec![Requirement::of::<KvSchedulerPlugin>()]
    }

    fn has_config(&self) -> bool {
        false
    }

    fn flags(&self) -> Vec<Flag> {
        vec![Flag::new(
            Self::DATAPLANE_FILE_FLAG,
            "File keeping the example's simulated VPP across restarts (in memory only when not given)",
        )]
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        if let Some(path) = ctx.flag(Self::DATAPLANE_FILE_FLAG) {
            self.dataplane.persist_to(path)?;
            tracing::info!(
                target: ExampleDescriptorsPlugin::NAME,
                file = path,
                interfaces = self.dataplane.interfaces().len(),
                fib_entries = self.dataplane.fib_entries().len(),
                "simulated VPP kept in a file"
            );
        }
        register_all(
            &ctx.dep::<KvSchedulerPlugin>()?.scheduler()?,
            &self.dataplane,
        )?;
        Ok(())
    }
}
