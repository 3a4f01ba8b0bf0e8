//! The example gRPC service `cninfra.example.v1.Echo`, generated at build time from
//! `proto/cninfra/example/v1/example.proto` with protox (no system `protoc`), and
//! [`EchoService`], a ready implementation a plugin can register on
//! [`GrpcPlugin`].
//!
//! It shows what a plugin's own gRPC API looks like; the example agent serves it, and
//! `cninfra-grpc`'s tests and benchmarks call it. It is not part of `cninfra-grpc`, so
//! that the library compiles no example proto.
//!
//! # Protobuf code without `protoc`
//! `build.rs` feeds the proto compiled by `protox` (a protobuf compiler in Rust) to
//! `tonic-prost-build` and writes the encoded descriptor set beside the code for server
//! reflection; do the same in your crate to need no system `protoc`.
//!
//! # Examples
//! A plugin serving it (with reflection descriptors, so `grpcurl` can describe it):
//! ```
//! use cninfra_core::{async_trait, BoxError, InitContext, Plugin, Requirement};
//! use cninfra_grpc::GrpcPlugin;
//! use cninfra_grpc_echo::EchoService;
//!
//! struct Example;
//!
//! #[async_trait]
//! impl Plugin for Example {
//!     fn name(&self) -> &str { "example" }
//!     fn requires(&self) -> Vec<Requirement> { vec![Requirement::of::<GrpcPlugin>()] }
//!     fn has_config(&self) -> bool { false }
//!     async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
//!         EchoService::register(&*ctx.dep::<GrpcPlugin>()?)?;
//!         Ok(())
//!     }
//! }
//! ```

use std::pin::Pin;
use std::time::Duration;

use cninfra_grpc::{AuthenticatedUser, GrpcError, GrpcPlugin};
use futures::Stream;
use tonic::{Request, Response, Status};

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
