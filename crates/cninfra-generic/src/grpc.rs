//! [`GenericService`]: `ligato.generic.ManagerService` and `MetaService` over the
//! [`GenericApi`], served by [`GrpcPlugin`].

use std::pin::Pin;
use std::time::Duration;

use cninfra_grpc::{GrpcError, GrpcPlugin};
use futures::{Stream, StreamExt};
use tonic::metadata::{MetadataMap, MetadataValue};
use tonic::{Request, Response, Status};

use crate::api::{DEFAULT_WAIT, GenericApi, SetOptions};
use crate::pb::manager_service_server::{ManagerService, ManagerServiceServer};
use crate::pb::meta_service_server::{MetaService, MetaServiceServer};
use crate::pb::{
    DumpStateRequest, DumpStateResponse, GetConfigRequest, GetConfigResponse, KnownModelsRequest,
    KnownModelsResponse, ProtoFileDescriptorRequest, ProtoFileDescriptorResponse, SetConfigRequest,
    SetConfigResponse, SubscribeRequest, SubscribeResponse,
};

/// Request metadata naming the orchestrator source of a SetConfig (upstream's
/// `datasrc`; default `grpc`).
pub const DATASRC_METADATA: &str = "datasrc";
/// Request metadata asking SetConfig to wait until its values are done (`true`).
pub const WAIT_DONE_METADATA: &str = "wait-done";
/// Response metadata of SetConfig carrying the transaction's sequence number (upstream's
/// `seqnum`).
pub const SEQNUM_METADATA: &str = "seqnum";

/// How much of the call's deadline a waiting SetConfig leaves for its answer to arrive.
const ANSWER_MARGIN: Duration = Duration::from_millis(250);

/// Both services of the generic API (one value serves both). Cheap to clone.
///
/// # Examples
/// From a plugin's `init` (the plugin requires the gRPC and orchestrator plugins):
/// ```no_run
/// # use std::sync::Arc;
/// # use cninfra_grpc::GrpcPlugin;
/// # use cninfra_kvscheduler::orchestrator::OrchestratorPlugin;
/// # use cninfra_kvscheduler::models::ModelRegistry;
/// use cninfra_generic::{GenericApi, GenericService};
///
/// # fn demo(grpc: &GrpcPlugin, orchestrator: Arc<OrchestratorPlugin>, models: ModelRegistry)
/// # -> Result<(), cninfra_grpc::GrpcError> {
/// GenericService::new(GenericApi::new(orchestrator, models)).register(grpc)?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct GenericService {
    api: GenericApi,
}

impl GenericService {
    /// The services over `api`.
    pub fn new(api: GenericApi) -> Self {
        Self { api }
    }

    /// Adds `ManagerService` and `MetaService` and their descriptors (for reflection) to
    /// `grpc`; call it from a plugin's `init`.
    ///
    /// # Errors
    /// As [`GrpcPlugin::add_service`].
    pub fn register(self, grpc: &GrpcPlugin) -> Result<(), GrpcError> {
        let (recv, send) = (grpc.max_recv_msg_size(), grpc.max_send_msg_size());
        grpc.add_service(
            ManagerServiceServer::new(self.clone())
                .max_decoding_message_size(recv)
                .max_encoding_message_size(send),
        )?;
        grpc.add_service(
            MetaServiceServer::new(self)
                .max_decoding_message_size(recv)
                .max_encoding_message_size(send),
        )?;
        grpc.add_file_descriptor_set(crate::proto::FILE_DESCRIPTOR_SET)
    }
}

/// The SetConfig options a call's metadata asks for: `datasrc`, and with `wait-done` the
/// wait until the call's deadline (`grpc-timeout`, less a margin for the answer), else
/// [`DEFAULT_WAIT`].
fn set_options(metadata: &MetadataMap) -> Result<SetOptions, Status> {
    let text = |name: &str| -> Result<Option<&str>, Status> {
        metadata
            .get(name)
            .map(|value| {
                value
                    .to_str()
                    .map_err(|_| Status::invalid_argument(format!("metadata `{name}` is not text")))
            })
            .transpose()
    };
    let mut options = SetOptions::default();
    if let Some(source) = text(DATASRC_METADATA)? {
        source.clone_into(&mut options.source);
    }
    let wait = match text(WAIT_DONE_METADATA)? {
        None => false,
        Some(value) => parse_bool(value).ok_or_else(|| {
            Status::invalid_argument(format!(
                "metadata `{WAIT_DONE_METADATA}`: `{value}` is not true or false"
            ))
        })?,
    };
    if wait {
        let limit = match text("grpc-timeout")?.and_then(parse_grpc_timeout) {
            Some(timeout) => timeout.saturating_sub(ANSWER_MARGIN.min(timeout / 10)),
            None => DEFAULT_WAIT,
        };
        options.wait_until = Some(tokio::time::Instant::now() + limit);
    }
    Ok(options)
}

/// `true`/`1`/`yes` or `false`/`0`/`no`.
pub(crate) fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" | "" => Some(false),
        _ => None,
    }
}

/// A `grpc-timeout` header: up to 8 digits and a unit (`H`, `M`, `S`, `m`, `u`, `n`).
fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount * 3600),
        "M" => Duration::from_secs(amount * 60),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

/// The stream type of Subscribe.
type SubscribeStream = Pin<Box<dyn Stream<Item = Result<SubscribeResponse, Status>> + Send>>;

#[tonic::async_trait]
impl ManagerService for GenericService {
    async fn set_config(
        &self,
        request: Request<SetConfigRequest>,
    ) -> Result<Response<SetConfigResponse>, Status> {
        let options = set_options(request.metadata())?;
        let outcome = self.api.set_config(request.into_inner(), options).await?;
        let mut response = Response::new(outcome.response);
        if let Some(seq) = outcome.seq {
            response
                .metadata_mut()
                .insert(SEQNUM_METADATA, MetadataValue::from(seq));
        }
        Ok(response)
    }

    async fn get_config(
        &self,
        request: Request<GetConfigRequest>,
    ) -> Result<Response<GetConfigResponse>, Status> {
        Ok(Response::new(self.api.get_config(request.get_ref())?))
    }

    async fn dump_state(
        &self,
        request: Request<DumpStateRequest>,
    ) -> Result<Response<DumpStateResponse>, Status> {
        Ok(Response::new(self.api.dump_state(request.get_ref()).await?))
    }

    type SubscribeStream = SubscribeStream;

    async fn subscribe(
        &self,
        request: Request<SubscribeRequest>,
    ) -> Result<Response<Self::SubscribeStream>, Status> {
        let stream = self.api.subscribe(request.get_ref())?;
        Ok(Response::new(Box::pin(stream.map(Ok))))
    }
}

#[tonic::async_trait]
impl MetaService for GenericService {
    async fn known_models(
        &self,
        request: Request<KnownModelsRequest>,
    ) -> Result<Response<KnownModelsResponse>, Status> {
        Ok(Response::new(self.api.known_models(request.get_ref())))
    }

    async fn proto_file_descriptor(
        &self,
        request: Request<ProtoFileDescriptorRequest>,
    ) -> Result<Response<ProtoFileDescriptorResponse>, Status> {
        Ok(Response::new(
            self.api.proto_file_descriptor(request.get_ref())?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_parse_as_the_protocol_says() {
        assert_eq!(parse_grpc_timeout("5S"), Some(Duration::from_secs(5)));
        assert_eq!(parse_grpc_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse_grpc_timeout("2M"), Some(Duration::from_secs(120)));
        assert_eq!(parse_grpc_timeout("S"), None);
        assert_eq!(parse_grpc_timeout("123456789S"), None);
        assert_eq!(parse_grpc_timeout("5x"), None);
        assert_eq!(parse_grpc_timeout(""), None);
    }

    #[test]
    fn metadata_sets_the_source_and_the_wait() {
        let mut metadata = MetadataMap::new();
        assert_eq!(set_options(&metadata).unwrap().source, "grpc");
        assert!(set_options(&metadata).unwrap().wait_until.is_none());
        metadata.insert(DATASRC_METADATA, "localclient".parse().unwrap());
        metadata.insert(WAIT_DONE_METADATA, "true".parse().unwrap());
        metadata.insert("grpc-timeout", "2S".parse().unwrap());
        let options = set_options(&metadata).unwrap();
        assert_eq!(options.source, "localclient");
        let left = options.wait_until.unwrap() - tokio::time::Instant::now();
        assert!(left <= Duration::from_millis(1800) && left > Duration::from_secs(1));
        metadata.insert(WAIT_DONE_METADATA, "perhaps".parse().unwrap());
        let err = set_options(&metadata).unwrap_err();
        assert!(err.message().contains("perhaps"), "{err}");
    }
}
