//! [`ConfiguratorService`]: the `Configurator` rpcs over the orchestrator's `grpc` source.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;

use cninfra_grpc::{GrpcError, GrpcPlugin};
use tonic::{Request, Response, Status};

use super::convert::{canonical_json_text, change_response, dumped_value, model_detail};
use super::pb::configurator_server::{Configurator, ConfiguratorServer};
use super::pb::{self, ChangeResponse};
use super::{CALL_TIMEOUT, FILE_DESCRIPTOR_SET, LOG};
use crate::error::KvSchedulerError;
use crate::models::ModelRegistry;
use crate::orchestrator::{
    GRPC_SOURCE, Orchestrator, OrchestratorError, OrchestratorPlugin, Source,
};
use crate::scheduler::{DumpView, StatusSelector};
use crate::state::Origin;
use crate::value::Value;

/// The `cninfra.kvscheduler.v1.Configurator` implementation: feeds the source
/// [`GRPC_SOURCE`] of the orchestrator of an [`OrchestratorPlugin`], resolved at each
/// call (`UNAVAILABLE` before the plugin's `init`), and lists the models of a
/// [`ModelRegistry`]. Cheap to clone.
///
/// # Examples
/// A plugin serving it, requiring the gRPC and orchestrator plugins:
/// ```
/// use cninfra_core::{async_trait, BoxError, InitContext, Plugin, Requirement};
/// use cninfra_grpc::GrpcPlugin;
/// use cninfra_kvscheduler::grpc::ConfiguratorService;
/// use cninfra_kvscheduler::models::ModelRegistry;
/// use cninfra_kvscheduler::orchestrator::OrchestratorPlugin;
///
/// struct App;
///
/// #[async_trait]
/// impl Plugin for App {
///     fn name(&self) -> &str { "app" }
///     fn requires(&self) -> Vec<Requirement> {
///         vec![Requirement::of::<GrpcPlugin>(), Requirement::of::<OrchestratorPlugin>()]
///     }
///     fn has_config(&self) -> bool { false }
///     async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
///         ConfiguratorService::new(ctx.dep::<OrchestratorPlugin>()?, ModelRegistry::new())
///             .register(&*ctx.dep::<GrpcPlugin>()?)?;
///         Ok(())
///     }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct ConfiguratorService {
    orchestrator: Arc<OrchestratorPlugin>,
    models: Arc<ModelRegistry>,
}

impl ConfiguratorService {
    /// The service over the orchestrator of `orchestrator`, listing `models` (a
    /// [`ModelRegistry`] or a shared `Arc` of one).
    pub fn new(
        orchestrator: Arc<OrchestratorPlugin>,
        models: impl Into<Arc<ModelRegistry>>,
    ) -> Self {
        Self {
            orchestrator,
            models: models.into(),
        }
    }

    /// The tonic server of this service, accepting messages as large as `grpc` allows.
    pub fn server(self, grpc: &GrpcPlugin) -> ConfiguratorServer<Self> {
        ConfiguratorServer::new(self)
            .max_decoding_message_size(grpc.max_recv_msg_size())
            .max_encoding_message_size(grpc.max_send_msg_size())
    }

    /// Adds the service and its descriptors (for reflection) to `grpc`; call it from a
    /// plugin's `init`.
    ///
    /// # Errors
    /// As [`GrpcPlugin::add_service`].
    pub fn register(self, grpc: &GrpcPlugin) -> Result<(), GrpcError> {
        grpc.add_service(self.server(grpc))?;
        grpc.add_file_descriptor_set(FILE_DESCRIPTOR_SET)
    }

    /// The orchestrator; `UNAVAILABLE` before its plugin's `init`.
    fn orchestrator(&self) -> Result<Orchestrator, Status> {
        self.orchestrator
            .orchestrator()
            .map_err(|err| Status::unavailable(err.to_string()))
    }

    fn source(&self) -> Result<Source, Status> {
        Ok(self.orchestrator()?.source(GRPC_SOURCE))
    }
}

/// Runs `work` as a task of its own, so that a call dropped by its client never cuts it,
/// and waits for it at most [`CALL_TIMEOUT`].
async fn detached<T: Send + 'static>(
    what: &str,
    work: impl Future<Output = T> + Send + 'static,
) -> Result<T, Status> {
    let task = tokio::spawn(work);
    match tokio::time::timeout(CALL_TIMEOUT, task).await {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(join)) => {
            tracing::error!(target: LOG, what, error = %join, "call task failed");
            Err(Status::internal(format!("{what} failed: {join}")))
        }
        Err(_) => Err(Status::deadline_exceeded(format!(
            "{what}: the scheduler did not answer within {CALL_TIMEOUT:?}"
        ))),
    }
}

/// Checks that every key is given once and is not empty.
fn check_keys<'k>(keys: impl IntoIterator<Item = &'k str>) -> Result<(), Status> {
    let mut seen = HashSet::new();
    for key in keys {
        if key.is_empty() {
            return Err(Status::invalid_argument("a key is empty"));
        }
        if !seen.insert(key) {
            return Err(Status::invalid_argument(format!(
                "key `{key}` is given more than once"
            )));
        }
    }
    Ok(())
}

/// Commits a source transaction in a task of its own and maps its outcome.
async fn commit(
    what: &'static str,
    txn: crate::orchestrator::SourceTxn,
) -> Result<Response<ChangeResponse>, Status> {
    let keys = txn.len();
    let outcome: Result<Option<u64>, OrchestratorError> = detached(what, txn.commit()).await?;
    tracing::debug!(target: LOG, what, keys, ok = outcome.is_ok(), "gRPC change applied");
    change_response(outcome).map(Response::new)
}

#[tonic::async_trait]
impl Configurator for ConfiguratorService {
    async fn update(
        &self,
        request: Request<pb::UpdateRequest>,
    ) -> Result<Response<ChangeResponse>, Status> {
        let pb::UpdateRequest { items, full_resync } = request.into_inner();
        check_keys(items.iter().map(|item| item.key.as_str()))?;
        let source = self.source()?;
        let (mut txn, what) = if full_resync {
            (source.resync(), "full resync")
        } else {
            (source.txn(), "update")
        };
        for item in items {
            let value = Value::from_json_slice(item.value.as_bytes()).map_err(|err| {
                Status::invalid_argument(format!("value of `{}` is not JSON: {err}", item.key))
            })?;
            txn.set(item.key, Some(value));
        }
        let txn = txn
            .with_retry_default()
            .with_description(format!("gRPC {what}"));
        commit(what, txn).await
    }

    async fn delete(
        &self,
        request: Request<pb::DeleteRequest>,
    ) -> Result<Response<ChangeResponse>, Status> {
        let keys = request.into_inner().keys;
        check_keys(keys.iter().map(String::as_str))?;
        let mut txn = self.source()?.txn();
        for key in keys {
            txn.set(key, None);
        }
        commit(
            "delete",
            txn.with_retry_default().with_description("gRPC delete"),
        )
        .await
    }

    async fn get(
        &self,
        _request: Request<pb::GetRequest>,
    ) -> Result<Response<pb::GetResponse>, Status> {
        let items = self
            .source()?
            .values()
            .into_iter()
            .map(|(key, value)| pb::KeyValue {
                value: canonical_json_text(&self.models, &key, &value),
                key,
            })
            .collect();
        Ok(Response::new(pb::GetResponse { items }))
    }

    async fn dump(
        &self,
        request: Request<pb::DumpRequest>,
    ) -> Result<Response<pb::DumpResponse>, Status> {
        let selector = match request.into_inner().key_prefix {
            Some(prefix) => StatusSelector::KeyPrefix(prefix),
            None => StatusSelector::All,
        };
        let orchestrator = self.orchestrator()?;
        let scheduler = orchestrator.scheduler().clone();
        let dump_error = |err: KvSchedulerError| match err {
            KvSchedulerError::Stopped => Status::unavailable(err.to_string()),
            other => Status::internal(other.to_string()),
        };
        let dumped = detached("dump", {
            let (scheduler, selector) = (scheduler.clone(), selector.clone());
            async move { scheduler.dump(&selector, DumpView::Sb).await }
        })
        .await?
        .map_err(dump_error)?;
        // Descriptors may leave the origin to the scheduler: take it from the graph.
        let recorded: HashMap<String, Origin> = scheduler
            .dump(&selector, DumpView::Cached)
            .await
            .map_err(dump_error)?
            .into_iter()
            .map(|kv| (kv.key, kv.origin))
            .collect();
        let values = dumped
            .into_iter()
            .map(|mut kv| {
                if kv.origin == Origin::Unknown {
                    kv.origin = recorded.get(&kv.key).copied().unwrap_or(Origin::Unknown);
                }
                let status = scheduler.status(&kv.key).value;
                dumped_value(kv, status)
            })
            .collect();
        Ok(Response::new(pb::DumpResponse { values }))
    }

    async fn list_models(
        &self,
        request: Request<pb::ListModelsRequest>,
    ) -> Result<Response<pb::ListModelsResponse>, Status> {
        let class = request.into_inner().class;
        let class = (!class.is_empty()).then_some(class.as_str());
        let models = self
            .models
            .infos(class)
            .into_iter()
            .map(model_detail)
            .collect();
        Ok(Response::new(pb::ListModelsResponse { models }))
    }
}
