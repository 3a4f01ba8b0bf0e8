//! [`GrpcSourcePlugin`]: serves the [`ConfiguratorService`] on the gRPC plugin.

use std::sync::Arc;

use cninfra_core::{BoxError, InitContext, Plugin, async_trait};
use cninfra_grpc::GrpcPlugin;

use super::{ConfiguratorService, LOG};
use crate::models::ModelRegistry;
use crate::orchestrator::OrchestratorPlugin;

/// The gRPC source plugin (`grpc-source`): adds the [`ConfiguratorService`] (and its
/// reflection descriptors) to the gRPC server in its `init`. It depends on the gRPC and
/// orchestrator plugins, so the orchestrator exists before the server serves.
///
/// Without `grpc.conf` the gRPC plugin is disabled and the service is dropped.
///
/// # Examples
/// ```no_run
/// use cninfra_core::Agent;
/// use cninfra_datasync::{KvdbSyncPlugin, ResyncPlugin, StoreSource};
/// use cninfra_grpc::GrpcPlugin;
/// use cninfra_health::StatusCheckPlugin;
/// use cninfra_kvscheduler::example::{self, ExampleDescriptorsPlugin};
/// use cninfra_kvscheduler::grpc::GrpcSourcePlugin;
/// use cninfra_kvscheduler::orchestrator::OrchestratorPlugin;
/// use cninfra_kvscheduler::KvSchedulerPlugin;
/// use cninfra_rpc::{prometheus::PrometheusPlugin, rest::HttpPlugin};
///
/// # async fn demo(store: StoreSource) -> Result<(), cninfra_core::AgentError> {
/// let status = StatusCheckPlugin::new();
/// let sync = KvdbSyncPlugin::new(store);
/// let grpc = GrpcPlugin::new(status, PrometheusPlugin::new());
/// let scheduler = KvSchedulerPlugin::new();
/// let orchestrator = OrchestratorPlugin::new(scheduler.clone(), sync);
/// Agent::builder()
///     .plugin(ExampleDescriptorsPlugin::new(scheduler))
///     .plugin(GrpcSourcePlugin::new(grpc, orchestrator, example::models()))
///     .build()?
///     .run()          // with grpc.conf: `endpoint: 0.0.0.0:9111`
///     .await
/// # }
/// ```
#[derive(Debug)]
pub struct GrpcSourcePlugin {
    grpc: Arc<GrpcPlugin>,
    orchestrator: Arc<OrchestratorPlugin>,
    service: ConfiguratorService,
}

impl GrpcSourcePlugin {
    /// The plugin's name (log target).
    pub const NAME: &'static str = "grpc-source";

    /// The plugin serving the source `grpc` of `orchestrator` on `grpc`; `ListModels`
    /// answers with `models`.
    pub fn new(
        grpc: Arc<GrpcPlugin>,
        orchestrator: Arc<OrchestratorPlugin>,
        models: ModelRegistry,
    ) -> Arc<Self> {
        let service = ConfiguratorService::new(orchestrator.clone(), models);
        Arc::new(Self {
            grpc,
            orchestrator,
            service,
        })
    }
}

#[async_trait]
impl Plugin for GrpcSourcePlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        vec![self.grpc.clone(), self.orchestrator.clone()]
    }

    fn has_config(&self) -> bool {
        false
    }

    async fn init(&self, _ctx: &InitContext) -> Result<(), BoxError> {
        self.service.clone().register(&self.grpc)?;
        tracing::info!(target: LOG, "gRPC service cninfra.kvscheduler.v1.Configurator added");
        Ok(())
    }
}
