//! [`GenericApiPlugin`]: the generic API in an agent, over gRPC and REST.

use std::sync::Arc;

use cninfra_core::{BoxError, InitContext, NotReady, Plugin, Ready, Requirement, async_trait};
use cninfra_grpc::GrpcPlugin;
use cninfra_kvscheduler::models::ModelRegistry;
use cninfra_kvscheduler::orchestrator::OrchestratorPlugin;
use cninfra_rpc::rest::HttpPlugin;

use crate::LOG;
use crate::api::GenericApi;
use crate::grpc::GenericService;

/// The generic API plugin (`generic-api`): in its `init` it adds
/// `ligato.generic.ManagerService` and `MetaService` to the agent's [`GrpcPlugin`] (when it
/// has one; without `grpc.conf` the gRPC plugin drops them) and the REST routes
/// (`/v1/config`, `/v1/config/resync`, `/v1/state`, `/v1/models`) to its [`HttpPlugin`]
/// (when it has one). It requires the [`OrchestratorPlugin`]; items go to its source
/// `grpc` (or the caller's `datasrc`). On close it ends the open subscriptions.
///
/// # Examples
/// ```no_run
/// use cninfra_core::Agent;
/// use cninfra_generic::GenericApiPlugin;
/// use cninfra_grpc::GrpcPlugin;
/// use cninfra_health::StatusCheckPlugin;
/// use cninfra_kvscheduler::orchestrator::OrchestratorPlugin;
/// use cninfra_kvscheduler::KvSchedulerPlugin;
///
/// # async fn demo(models: cninfra_kvscheduler::models::ModelRegistry) -> Result<(), cninfra_core::AgentError> {
/// // Plus the plugins registering descriptors; `models` are their models.
/// Agent::builder()
///     .plugin(GenericApiPlugin::new(models))
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
pub struct GenericApiPlugin {
    models: Arc<ModelRegistry>,
    api: Ready<GenericApi>,
}

impl GenericApiPlugin {
    /// The plugin's name (log target).
    pub const NAME: &'static str = "generic-api";

    /// The plugin serving `models` (those with a protobuf message).
    pub fn new(models: impl Into<Arc<ModelRegistry>>) -> Arc<Self> {
        Arc::new(Self {
            models: models.into(),
            api: Ready::new(Self::NAME),
        })
    }

    /// The API (for in-process use), once `init` ran.
    ///
    /// # Errors
    /// [`NotReady`] before `init`.
    pub fn api(&self) -> Result<GenericApi, NotReady> {
        self.api.get().cloned()
    }
}

#[async_trait]
impl Plugin for GenericApiPlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn requires(&self) -> Vec<Requirement> {
        vec![
            Requirement::of::<OrchestratorPlugin>(),
            Requirement::optional::<GrpcPlugin>(),
            Requirement::optional::<HttpPlugin>(),
        ]
    }

    fn has_config(&self) -> bool {
        false
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let api = GenericApi::new(ctx.dep::<OrchestratorPlugin>()?, Arc::clone(&self.models));
        if let Some(grpc) = ctx.try_dep::<GrpcPlugin>() {
            GenericService::new(api.clone()).register(&grpc)?;
            if !grpc.is_disabled() {
                tracing::info!(target: LOG, "gRPC services ligato.generic.ManagerService and MetaService added");
            }
        }
        if let Some(http) = ctx.try_dep::<HttpPlugin>() {
            http.merge(crate::rest::router(api.clone()))?;
        }
        self.api.set(api)?;
        Ok(())
    }

    async fn close(&self) -> Result<(), BoxError> {
        if let Some(api) = self.api.try_get() {
            api.close();
        }
        Ok(())
    }
}
