//! [`ExampleDescriptorsPlugin`]: registers the example descriptors in an agent.

use std::sync::Arc;

use cninfra_core::{BoxError, InitContext, Plugin, async_trait};

use super::{Dataplane, register_all};
use crate::plugin::KvSchedulerPlugin;

/// Registers the example descriptors (interfaces, bridge domains and their members, FIB
/// entries) over a [`Dataplane`] in its `init` (plugin `example-descriptors`). The
/// dataplane is kept for inspection ([`dataplane`](Self::dataplane)).
///
/// # Examples
/// ```
/// use cninfra_kvscheduler::KvSchedulerPlugin;
/// use cninfra_kvscheduler::example::ExampleDescriptorsPlugin;
///
/// let scheduler = KvSchedulerPlugin::new();
/// let example = ExampleDescriptorsPlugin::new(scheduler);
/// assert!(example.dataplane().calls().is_empty());
/// ```
#[derive(Debug)]
pub struct ExampleDescriptorsPlugin {
    scheduler: Arc<KvSchedulerPlugin>,
    dataplane: Dataplane,
}

impl ExampleDescriptorsPlugin {
    /// The plugin's name.
    pub const NAME: &'static str = "example-descriptors";

    /// The plugin with a new, empty dataplane.
    pub fn new(scheduler: Arc<KvSchedulerPlugin>) -> Arc<Self> {
        Self::with_dataplane(scheduler, Dataplane::new())
    }

    /// The plugin over an existing dataplane (e.g. one that outlives an agent restart).
    pub fn with_dataplane(scheduler: Arc<KvSchedulerPlugin>, dataplane: Dataplane) -> Arc<Self> {
        Arc::new(Self {
            scheduler,
            dataplane,
        })
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

    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        vec![self.scheduler.clone()]
    }

    fn has_config(&self) -> bool {
        false
    }

    async fn init(&self, _ctx: &InitContext) -> Result<(), BoxError> {
        register_all(&self.scheduler.scheduler()?, &self.dataplane)?;
        Ok(())
    }
}
