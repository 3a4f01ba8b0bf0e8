//! Stopping the agent lets calls in flight finish with their answer.

mod support;

use std::sync::Arc;
use std::time::Duration;

use cninfra_grpc::GrpcConfig;
use cninfra_grpc_echo::pb::echo_server::{Echo, EchoServer};
use cninfra_grpc_echo::pb::{RepeatRequest, SayReply, SayRequest};
use support::{eventually, say, tcp_channel, try_start_with};
use tokio::sync::Notify;
use tonic::{Request, Response, Status};

/// An Echo whose `Say` waits for the test to release it.
#[derive(Debug, Clone)]
struct Slow {
    entered: Arc<Notify>,
    release: Arc<Notify>,
}

#[tonic::async_trait]
impl Echo for Slow {
    async fn say(&self, request: Request<SayRequest>) -> Result<Response<SayReply>, Status> {
        self.entered.notify_one();
        self.release.notified().await;
        Ok(Response::new(SayReply {
            message: request.into_inner().message,
            caller: String::new(),
            sequence: 0,
        }))
    }

    type RepeatStream = futures::stream::Empty<Result<SayReply, Status>>;

    async fn repeat(
        &self,
        _request: Request<RepeatRequest>,
    ) -> Result<Response<Self::RepeatStream>, Status> {
        Ok(Response::new(futures::stream::empty()))
    }
}

#[tokio::test]
async fn a_call_in_flight_gets_its_answer_after_stop_is_requested() {
    let slow = Slow {
        entered: Arc::new(Notify::new()),
        release: Arc::new(Notify::new()),
    };
    let service = slow.clone();
    let stack = try_start_with(Some(GrpcConfig::loopback()), &[], move |grpc| {
        grpc.add_service(EchoServer::new(service.clone()))
    })
    .await
    .unwrap();
    let addr = stack.addr();
    let channel = tcp_channel(addr).await;

    let call = tokio::spawn(async move { say(&channel, "in flight", None).await });
    slow.entered.notified().await;

    let stopping = tokio::spawn(stack.agent.stop());
    // The server stops accepting new connections...
    eventually(
        "the listener refuses after stop",
        Duration::from_secs(5),
        || async move { tokio::net::TcpStream::connect(addr).await.is_err() },
    )
    .await;
    // ...but waits for the call in flight.
    assert!(
        !stopping.is_finished(),
        "stop finished before the call in flight"
    );

    slow.release.notify_one();
    let reply = call.await.unwrap().expect("the call in flight completes");
    assert_eq!(reply.message, "in flight");
    stopping.await.unwrap().unwrap();
}
