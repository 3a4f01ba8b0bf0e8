//! A small example plugin: it registers with the status check and reports OK once the
//! agent has started, and offers the example gRPC service (`cninfra.example.v1.Echo`),
//! served when a `grpc.conf` turns the gRPC server on.

use std::sync::Arc;

use cninfra::grpc::GrpcPlugin;
use cninfra::grpc::example::EchoService;
use cninfra::health::{State, StatusCheckPlugin};
use cninfra::prelude::*;

/// The logger (tracing target) and plugin name.
const NAME: &str = "example";

/// The example plugin.
#[derive(Debug)]
pub(crate) struct ExamplePlugin {
    status: Arc<StatusCheckPlugin>,
    grpc: Arc<GrpcPlugin>,
}

impl ExamplePlugin {
    pub(crate) fn new(status: Arc<StatusCheckPlugin>, grpc: Arc<GrpcPlugin>) -> Self {
        Self { status, grpc }
    }
}

#[async_trait]
impl Plugin for ExamplePlugin {
    fn name(&self) -> &str {
        NAME
    }

    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        vec![self.status.clone(), self.grpc.clone()]
    }

    fn has_config(&self) -> bool {
        false
    }

    async fn init(&self, _ctx: &InitContext) -> Result<(), BoxError> {
        self.status.register(NAME, None);
        EchoService::register(&self.grpc)?;
        Ok(())
    }

    async fn after_init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        self.status.report_state_change(NAME, State::Ok, None)?;
        tracing::info!(target: NAME, prefix = %ctx.service_label().agent_prefix(), "example plugin ready");
        Ok(())
    }
}
