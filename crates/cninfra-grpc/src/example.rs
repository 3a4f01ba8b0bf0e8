//! The example service `cninfra.example.v1.Echo`, generated at build time from
//! `proto/cninfra/example/v1/example.proto` with protox (no system `protoc`), and
//! [`EchoService`], a ready implementation a plugin can register.
//!
//! # Examples
//! A plugin serving it (with reflection descriptors, so `grpcurl` can describe it):
//! ```
//! use std::sync::Arc;
//! use cninfra_core::{async_trait, BoxError, InitContext, Plugin};
//! use cninfra_grpc::GrpcPlugin;
//! use cninfra_grpc::example::EchoService;
//!
//! struct Example { grpc: Arc<GrpcPlugin> }
//!
//! #[async_trait]
//! impl Plugin for Example {
//!     fn name(&self) -> &str { "example" }
//!     fn deps(&self) -> Vec<Arc<dyn Plugin>> { vec![self.grpc.clone()] }
//!     fn has_config(&self) -> bool { false }
//!     async fn init(&self, _ctx: &InitContext) -> Result<(), BoxError> {
//!         EchoService::register(&self.grpc)?;
//!         Ok(())
//!     }
//! }
//! ```

use std::pin::Pin;
use std::time::Duration;

use futures::Stream;
use tonic::{Request, Response, Status};

use crate::GrpcPlugin;
use crate::error::GrpcError;
use crate::layer::auth::AuthenticatedUser;

/// The generated messages, server (`echo_server`) and client (`echo_client`).
#[allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]
pub mod pb {
    tonic::include_proto!("cninfra.example.v1");
}

/// The encoded `FileDescriptorSet` of the example proto, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/example_descriptor.bin"));

/// Most replies one `Repeat` call sends.
const MAX_REPEAT: u32 = 1000;
/// Longest pause between two `Repeat` replies.
const MAX_INTERVAL_MS: u32 = 10_000;

/// The example implementation: `Say` answers the message and the caller's name, `Repeat`
/// streams it `count` times.
#[derive(Debug, Clone, Copy, Default)]
pub struct EchoService;

impl EchoService {
    /// The tonic server of this service, accepting messages as large as `grpc` allows.
    pub fn server(grpc: &GrpcPlugin) -> pb::echo_server::EchoServer<Self> {
        pb::echo_server::EchoServer::new(Self)
            .max_decoding_message_size(grpc.max_recv_msg_size())
            .max_encoding_message_size(grpc.max_send_msg_size())
    }

    /// Adds the service and its descriptors to `grpc`; call it from your plugin's `init`.
    ///
    /// # Errors
    /// As [`GrpcPlugin::add_service`].
    pub fn register(grpc: &GrpcPlugin) -> Result<(), GrpcError> {
        grpc.add_service(Self::server(grpc))?;
        grpc.add_file_descriptor_set(FILE_DESCRIPTOR_SET)
    }
}

fn caller<T>(request: &Request<T>) -> String {
    request
        .extensions()
        .get::<AuthenticatedUser>()
        .map(|user| user.name().to_owned())
        .unwrap_or_default()
}

type ReplyStream = Pin<Box<dyn Stream<Item = Result<pb::SayReply, Status>> + Send>>;

#[tonic::async_trait]
impl pb::echo_server::Echo for EchoService {
    async fn say(
        &self,
        request: Request<pb::SayRequest>,
    ) -> Result<Response<pb::SayReply>, Status> {
        let caller = caller(&request);
        Ok(Response::new(pb::SayReply {
            message: request.into_inner().message,
            caller,
            sequence: 0,
        }))
    }

    type RepeatStream = ReplyStream;

    async fn repeat(
        &self,
        request: Request<pb::RepeatRequest>,
    ) -> Result<Response<Self::RepeatStream>, Status> {
        let caller = caller(&request);
        let pb::RepeatRequest {
            message,
            count,
            interval_ms,
        } = request.into_inner();
        if count > MAX_REPEAT || interval_ms > MAX_INTERVAL_MS {
            return Err(Status::invalid_argument(format!(
                "count must be at most {MAX_REPEAT} and interval_ms at most {MAX_INTERVAL_MS}"
            )));
        }
        let interval = Duration::from_millis(u64::from(interval_ms));
        let replies = futures::stream::unfold(0u32, move |sequence| {
            let (message, caller) = (message.clone(), caller.clone());
            async move {
                if sequence >= count {
                    return None;
                }
                if sequence > 0 {
                    tokio::time::sleep(interval).await;
                }
                let reply = pb::SayReply {
                    message,
                    caller,
                    sequence,
                };
                Some((Ok(reply), sequence + 1))
            }
        });
        Ok(Response::new(Box::pin(replies)))
    }
}
