//! A small example plugin: it registers with the status check and reports OK once the
//! agent has started.

use std::sync::Arc;

use cninfra::health::{State, StatusCheckPlugin};
use cninfra::prelude::*;

/// The logger (tracing target) and plugin name.
const NAME: &str = "example";

/// The example plugin.
#[derive(Debug)]
pub(crate) struct ExamplePlugin {
    status: Arc<StatusCheckPlugin>,
}

impl ExamplePlugin {
    pub(crate) fn new(status: Arc<StatusCheckPlugin>) -> Self {
        Self { status }
    }
}

#[async_trait]
impl Plugin for ExamplePlugin {
    fn name(&self) -> &str {
        NAME
    }

    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        vec![self.status.clone()]
    }

    fn has_config(&self) -> bool {
        false
    }

    async fn init(&self, _ctx: &InitContext) -> Result<(), BoxError> {
        self.status.register(NAME, None);
        Ok(())
    }

    async fn after_init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        self.status.report_state_change(NAME, State::Ok, None)?;
        tracing::info!(target: NAME, prefix = %ctx.service_label().agent_prefix(), "example plugin ready");
        Ok(())
    }
}
