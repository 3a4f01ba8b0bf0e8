//! Test fixtures: an agent serving the example service, tonic clients over TCP, unix
//! sockets and TLS, and the test PKI of cninfra-testsupport.
#![allow(dead_code, unreachable_pub, missing_docs, unused_imports)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use cninfra_core::{Agent, AgentError, BoxError, InitContext, Plugin, RunningAgent, async_trait};
use cninfra_grpc::{GrpcConfig, GrpcError, GrpcPlugin};
use cninfra_grpc_echo::EchoService;
use cninfra_grpc_echo::pb::echo_client::EchoClient;
use cninfra_grpc_echo::pb::{SayReply, SayRequest};
use cninfra_health::StatusCheckPlugin;
use cninfra_rpc::prometheus::PrometheusPlugin;
use cninfra_rpc::rest::{HttpConfig, HttpPlugin};
pub use cninfra_testsupport::{TlsFiles, error_chain, eventually};
use hyper_util::rt::TokioIo;
use tonic::transport::{Channel, ClientTlsConfig, Endpoint};

/// Time limit of every client call and connection in the tests.
pub const LIMIT: Duration = Duration::from_secs(10);

type Register = Box<dyn Fn(&GrpcPlugin) -> Result<(), GrpcError> + Send + Sync>;

/// A plugin that adds services to the gRPC plugin in its `init`.
pub struct App {
    pub grpc: Arc<GrpcPlugin>,
    register: Register,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("App")
    }
}

impl App {
    /// The plugin running `register` on `grpc` in its `init`.
    pub fn new(
        grpc: Arc<GrpcPlugin>,
        register: impl Fn(&GrpcPlugin) -> Result<(), GrpcError> + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(Self {
            grpc,
            register: Box::new(register),
        })
    }
}

#[async_trait]
impl Plugin for App {
    fn name(&self) -> &str {
        "app"
    }
    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        vec![self.grpc.clone()]
    }
    fn has_config(&self) -> bool {
        false
    }
    async fn init(&self, _ctx: &InitContext) -> Result<(), BoxError> {
        (self.register)(&self.grpc)?;
        Ok(())
    }
}

/// A running agent with the gRPC plugin and what it depends on.
#[derive(Debug)]
pub struct Stack {
    pub agent: RunningAgent,
    pub grpc: Arc<GrpcPlugin>,
    pub status: Arc<StatusCheckPlugin>,
    pub prometheus: Arc<PrometheusPlugin>,
}

impl Stack {
    /// The server's TCP address.
    pub fn addr(&self) -> SocketAddr {
        self.grpc.local_addr().expect("TCP server bound")
    }

    /// A plain-text channel to the server.
    pub async fn channel(&self) -> Channel {
        tcp_channel(self.addr()).await
    }
}

/// The gRPC plugin with `config` and its dependencies (HTTP on a free loopback port).
pub fn grpc_plugin(
    config: Option<GrpcConfig>,
) -> (
    Arc<GrpcPlugin>,
    Arc<StatusCheckPlugin>,
    Arc<PrometheusPlugin>,
    Arc<HttpPlugin>,
) {
    let http = HttpPlugin::builder()
        .with_config(HttpConfig {
            endpoint: "127.0.0.1:0".into(),
            ..HttpConfig::default()
        })
        .build();
    let prometheus = PrometheusPlugin::new();
    let status = StatusCheckPlugin::new();
    let grpc = match config {
        Some(config) => GrpcPlugin::builder().with_config(config).build(),
        None => GrpcPlugin::new(),
    };
    (grpc, status, prometheus, http)
}

/// Starts an agent whose app plugin runs `register` on the gRPC plugin.
pub async fn try_start_with(
    config: Option<GrpcConfig>,
    args: &[&str],
    register: impl Fn(&GrpcPlugin) -> Result<(), GrpcError> + Send + Sync + 'static,
) -> Result<Stack, AgentError> {
    let (grpc, status, prometheus, http) = grpc_plugin(config);
    let app = App::new(grpc.clone(), register);
    let agent = Agent::builder()
        .plugin(app)
        .plugin(status.clone())
        .plugin(prometheus.clone())
        .plugin(http)
        .with_args(std::iter::once("test").chain(args.iter().copied()))
        .with_env(Vec::<(String, String)>::new())
        .build()?
        .start()
        .await?;
    Ok(Stack {
        agent,
        grpc,
        status,
        prometheus,
    })
}

/// Starts an agent serving the example service with `config`.
pub async fn start(config: GrpcConfig) -> Stack {
    try_start_with(Some(config), &[], EchoService::register)
        .await
        .expect("agent starts")
}

/// A plain-text channel to `addr`.
pub async fn tcp_channel(addr: SocketAddr) -> Channel {
    endpoint(&format!("http://{addr}"))
        .connect()
        .await
        .expect("connects")
}

/// An endpoint with the test time limits.
pub fn endpoint(uri: &str) -> Endpoint {
    Endpoint::from_shared(uri.to_owned())
        .expect("valid uri")
        .timeout(LIMIT)
        .connect_timeout(LIMIT)
}

/// A plain-text channel over the unix socket at `path`.
pub async fn unix_channel(path: &Path) -> Result<Channel, tonic::transport::Error> {
    let path = path.to_owned();
    // The URI is required but not used: the connector dials the socket.
    endpoint("http://[::1]:50051")
        .connect_with_connector(tower::service_fn(move |_| {
            let path = path.clone();
            async move {
                let stream = tokio::net::UnixStream::connect(path).await?;
                Ok::<_, std::io::Error>(TokioIo::new(stream))
            }
        }))
        .await
}

/// A channel to `addr` whose TCP connection starts from the loopback address `source`.
pub async fn tcp_channel_from(addr: SocketAddr, source: std::net::IpAddr) -> Channel {
    endpoint(&format!("http://{addr}"))
        .connect_with_connector(tower::service_fn(move |_| async move {
            let socket = tokio::net::TcpSocket::new_v4()?;
            socket.bind(SocketAddr::new(source, 0))?;
            let stream = socket.connect(addr).await?;
            Ok::<_, std::io::Error>(TokioIo::new(stream))
        }))
        .await
        .expect("connects")
}

/// `Say(message)` with an optional `authorization` value.
pub async fn say(
    channel: &Channel,
    message: &str,
    authorization: Option<&str>,
) -> Result<SayReply, tonic::Status> {
    let mut request = tonic::Request::new(SayRequest {
        message: message.to_owned(),
    });
    if let Some(value) = authorization {
        request
            .metadata_mut()
            .insert("authorization", value.parse().expect("ascii"));
    }
    EchoClient::new(channel.clone())
        .say(request)
        .await
        .map(tonic::Response::into_inner)
}

/// gRPC helpers on the test PKI of cninfra-testsupport.
pub trait GrpcPki {
    /// A config serving TLS with this PKI's server certificate.
    fn config(&self) -> GrpcConfig;

    /// A TLS channel to `addr` trusting this CA, with an optional client identity.
    async fn channel(
        &self,
        addr: SocketAddr,
        identity: Option<(String, String)>,
    ) -> Result<Channel, tonic::transport::Error>;
}

impl GrpcPki for TlsFiles {
    fn config(&self) -> GrpcConfig {
        GrpcConfig {
            cert_file: self.server_cert.clone(),
            key_file: self.server_key.clone(),
            ..GrpcConfig::loopback()
        }
    }

    async fn channel(
        &self,
        addr: SocketAddr,
        identity: Option<(String, String)>,
    ) -> Result<Channel, tonic::transport::Error> {
        let mut tls = ClientTlsConfig::new()
            .ca_certificate(tonic::transport::Certificate::from_pem(&self.ca_pem))
            .domain_name("localhost");
        if let Some((cert, key)) = identity {
            tls = tls.identity(tonic::transport::Identity::from_pem(cert, key));
        }
        endpoint(&format!("https://{addr}"))
            .tls_config(tls)?
            .connect()
            .await
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}
