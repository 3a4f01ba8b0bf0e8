//! The server: prepared in `init` (config checked, certificates loaded, endpoint bound),
//! started in `after_init`, drained when the plugin's token is cancelled.

use std::future::Future;
use std::path::PathBuf;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use cninfra_core::{ErrorChain, InitContext};
use cninfra_health::AgentStatus;
use tokio::sync::watch;
use tokio_stream::wrappers::UnixListenerStream;
use tokio_util::sync::CancellationToken;
use tonic::service::RoutesBuilder;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Server, ServerTlsConfig};
use tower::ServiceBuilder;
use tracing::{error, info, warn};

use crate::GrpcPlugin;
use crate::config::GrpcConfig;
use crate::error::GrpcError;
use crate::health::{AgentHealth, HEALTH_SERVICE};
use crate::layer::auth::{AuthLayer, Credentials};
use crate::layer::frame::{MessageLimitLayer, MessageLimits};
use crate::layer::observe::{ObserveLayer, Observer};
use crate::layer::rate_limit::{RateLimitLayer, RateLimiter};
use crate::listen::{self, Listener};
use crate::metrics::GrpcMetrics;
use crate::reflection::{self, REFLECTION_SERVICES};

/// How long a stopping server waits for its calls in flight (below the agent's default
/// close time limit of 15 s); connections still open then are left to end on their own.
const DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// What `init` made ready.
#[derive(Debug)]
pub(crate) struct Prepared {
    config: GrpcConfig,
    listener: Listener,
    tls: Option<ServerTlsConfig>,
    metrics: Option<Arc<GrpcMetrics>>,
}

/// Services, descriptors and the status to serve.
#[derive(Debug)]
pub(crate) struct Services {
    /// The plugins' services.
    pub(crate) routes: RoutesBuilder,
    /// Their full names.
    pub(crate) names: Vec<String>,
    /// Their descriptor sets, for reflection.
    pub(crate) descriptors: Vec<Vec<u8>>,
    /// The agent status, for the health service.
    pub(crate) status: watch::Receiver<AgentStatus>,
}

impl Prepared {
    /// Checks `config`, loads its certificates and binds the endpoint; `metrics` are the call
    /// metrics, when they are on.
    pub(crate) async fn new(
        config: GrpcConfig,
        metrics: Option<Arc<GrpcMetrics>>,
    ) -> Result<Self, GrpcError> {
        if config.rate_limit.limit.is_nan() || config.rate_limit.limit < 0.0 {
            return Err(GrpcError::InvalidConfig {
                field: "rate-limit.limit",
                reason: format!(
                    "{} is not a number of calls per second",
                    config.rate_limit.limit
                ),
            });
        }
        let tls = crate::tls::server_tls(&config)?;
        if let Some(tls) = &tls {
            // tonic builds the rustls config here: a key that does not fit fails now.
            Server::builder()
                .tls_config(tls.clone())
                .map_err(|err| GrpcError::Tls {
                    field: "key-file",
                    path: config.key_file.clone(),
                    reason: ErrorChain(&err).to_string(),
                })?;
        }
        let listener = Listener::bind(&config).await?;
        info!(target: GrpcPlugin::NAME,
            endpoint = %config.endpoint,
            network = %config.network,
            addr = ?listener.local_addr(),
            tls = tls.is_some(),
            mutual_tls = tls.is_some() && !config.ca_files.is_empty(),
            "gRPC server bound"
        );
        Ok(Self {
            config,
            listener,
            tls,
            metrics,
        })
    }

    /// The bound endpoint.
    pub(crate) fn listener(&self) -> &Listener {
        &self.listener
    }

    /// Whether the server speaks TLS.
    pub(crate) fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Starts serving `services` on a task of `ctx`; the plugin's shutdown token stops it.
    pub(crate) fn serve(self, services: Services, ctx: &InitContext) -> Result<(), GrpcError> {
        let Services {
            mut routes,
            mut names,
            descriptors,
            status,
        } = services;
        let config = &self.config;
        let token = ctx.shutdown_token();
        if config.health {
            routes.add_service(AgentHealth::server(status, names.clone(), token.clone()));
            names.push(HEALTH_SERVICE.to_owned());
        }
        if config.reflection {
            reflection::add_to(&mut routes, &descriptors, &names)?;
            names.extend(REFLECTION_SERVICES.map(str::to_owned));
        }
        info!(target: GrpcPlugin::NAME, services = ?names, "gRPC server serving");

        let layers = ServiceBuilder::new()
            .layer(ObserveLayer::new(Observer::new(
                self.metrics.clone(),
                config.extended_logging,
                names,
            )))
            .layer(AuthLayer::new(Credentials::from_config(&config.auth)))
            .layer(RateLimitLayer::new(RateLimiter::from_config(
                &config.rate_limit,
            )))
            .layer(MessageLimitLayer::new(MessageLimits {
                recv: (config.max_msg_size > 0).then_some(config.max_msg_size),
                send: (config.max_send_msg_size > 0).then_some(config.max_send_msg_size),
            }))
            .into_inner();
        let keepalive = &config.keepalive;
        let mut builder = Server::builder()
            .max_concurrent_streams(
                (config.max_concurrent_streams > 0).then_some(config.max_concurrent_streams),
            )
            .http2_keepalive_interval((!keepalive.interval.is_zero()).then_some(keepalive.interval))
            .http2_keepalive_timeout(Some(keepalive.timeout));
        if let Some(tls) = self.tls {
            builder = builder.tls_config(tls).map_err(|err| GrpcError::Tls {
                field: "key-file",
                path: config.key_file.clone(),
                reason: ErrorChain(&err).to_string(),
            })?;
        }
        let router = builder.layer(layers).add_routes(routes.routes());
        let stop = token.clone().cancelled_owned();
        match self.listener {
            Listener::Tcp(listener) => {
                let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
                ctx.spawn(run(
                    router.serve_with_incoming_shutdown(incoming, stop),
                    token,
                    None,
                ));
            }
            Listener::Unix { listener, path } => {
                let incoming = UnixListenerStream::new(listener);
                ctx.spawn(run(
                    router.serve_with_incoming_shutdown(incoming, stop),
                    token,
                    Some(path),
                ));
            }
        }
        Ok(())
    }
}

/// Runs the server until `token` is cancelled, then waits (within [`DRAIN_LIMIT`]) for the
/// calls in flight, and removes the unix socket file, if any.
async fn run(
    serving: impl Future<Output = Result<(), tonic::transport::Error>>,
    token: CancellationToken,
    socket: Option<PathBuf>,
) {
    let mut serving = pin!(serving);
    let outcome = tokio::select! {
        outcome = &mut serving => Some(outcome),
        () = token.cancelled() => {
            info!(target: GrpcPlugin::NAME, "gRPC server stopped accepting; draining calls in flight");
            tokio::time::timeout(DRAIN_LIMIT, serving).await.ok()
        }
    };
    match outcome {
        Some(Ok(())) => info!(target: GrpcPlugin::NAME, "gRPC server stopped"),
        Some(Err(err)) => {
            error!(target: GrpcPlugin::NAME, error = %ErrorChain(&err), "gRPC server failed")
        }
        None => {
            warn!(target: GrpcPlugin::NAME, limit = ?DRAIN_LIMIT, "gRPC calls still open after the drain limit; left to finish")
        }
    }
    if let Some(path) = socket {
        listen::remove_socket(&path);
    }
}
