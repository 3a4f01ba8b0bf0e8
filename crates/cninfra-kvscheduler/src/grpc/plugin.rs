//! [`GrpcSourcePlugin`]: serves the [`ConfiguratorService`] on the gRPC plugin.

use std::sync::Arc;

use cninfra_core::{BoxError, InitContext, Plugin, Requirement, async_trait};
use cninfra_grpc::GrpcPlugin;

use super::{ConfiguratorService, LOG};
use crate::models::ModelRegistry;
use crate::orchestrator::OrchestratorPlugin;

/// The gRPC source plugin (`grpc-source`): adds the [`ConfiguratorService`] (and its
/// reflection descriptors) to the gRPC server in its `init`. It requires the
/// [`GrpcPlugin`] and the [`OrchestratorPlugin`], so the orchestrator exists before the
/// server serves.
///
/// Without `grpc.conf` the gRPC plugin is disabled and the service is dropped.
///
/// # Examples
/// ```no_run
/// use cninfra_core::Agent;
/// use cninfra_grpc::GrpcPlugin;
/// use cninfra_health::StatusCheckPlugin;
/// use cninfra_kvscheduler::grpc::GrpcSourcePlugin;
/// use cninfra_kvscheduler::models::ModelRegistry;
/// use cninfra_kvscheduler::orchestrator::OrchestratorPlugin;
/// use cninfra_kvscheduler::KvSchedulerPlugin;
///
/// # async fn demo(models: ModelRegistry) -> Result<(), cninfra_core::AgentError> {
/// // Plus the plugins registering descriptors; `models` are their models.
/// Agent::builder()
///     .plugin(GrpcSourcePlugin::new(models))
///     .plugin(OrchestratorPlugin::new())
///     .plugin(KvSchedulerPlugin::new())
///     .plugin(GrpcPlugin::new())
///     .plugin(StatusCheckPlugin::new())
///     .build()?
///     .run()          // with grpc.conf: `endpoint: 0.0.0.0:9111`
///     .await
/// # }
/// ```
#[derive(Debug)]
pub struct GrpcSourcePlugin {
    models: Arc<ModelRegistry>,
}

impl GrpcSourcePlugin {
    /// The plugin's name (log target).
    pub const NAME: &'static str = "grpc-source";

    /// The plugin serving the source `grpc` of the orchestrator; `ListModels` answers with
    /// `models`.
    pub fn new(models: ModelRegistry) -> Arc<Self> {
        Arc::new(Self {
            models: Arc::new(models),
        })
    }
}

#[async_trait]
impl Plugin for GrpcSourcePlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn requires(&self) -> Vec<Requirement> {
        vec![
            Requirement::of::<GrpcPlugin>(),
            Requirement::of::<OrchestratorPlugin>(),
        ]
    }

    fn has_config(&self) -> bool {
        false
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let orchestrator = ctx.dep::<OrchestratorPlugin>()?;
        ConfiguratorService::new(orchestrator, Arc::clone(&self.models))
            .register(&*ctx.dep::<GrpcPlugin>()?)?;
        tracing::info!(target: LOG, "gRPC service cninfra.kvscheduler.v1.Configurator added");
        Ok(())
    }
}
