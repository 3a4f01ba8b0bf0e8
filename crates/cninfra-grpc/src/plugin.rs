//! [`GrpcPlugin`]: the plugin other plugins add their gRPC services to.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use cninfra_core::{BoxError, InitContext, Plugin, Ready, Requirement, async_trait};
use cninfra_health::StatusCheckPlugin;
#[cfg(feature = "prometheus")]
use cninfra_rpc::prometheus::PrometheusPlugin;
use parking_lot::Mutex;
use tonic::body::Body;
use tonic::server::NamedService;
use tonic::service::RoutesBuilder;
use tower::Service;
use tracing::{debug, info, warn};

use crate::config::GrpcConfig;
use crate::error::GrpcError;
use crate::listen;
use crate::metrics::GrpcMetrics;
use crate::reflection;
use crate::server::{Prepared, Services};

/// gRPC's default limit of a received message: 4 MiB.
pub const DEFAULT_MAX_RECV_MSG_SIZE: usize = 4 << 20;

/// The gRPC server plugin (`grpc`): plugins add services in their `init`, the server binds
/// in this plugin's `init`, serves from its `after_init` and drains on close.
///
/// It requires a [`StatusCheckPlugin`] (the health service answers from it) and uses a
/// [`PrometheusPlugin`] when the agent has one (call metrics with `prometheus-metrics:
/// true`); an agent without Prometheus, hence without an HTTP server, serves gRPC all the
/// same.
///
/// Without `grpc.conf` the plugin is disabled (as upstream): it logs so, and
/// [`add_service`](Self::add_service) accepts services and drops them, so that plugins need
/// not check [`is_disabled`](Self::is_disabled) first.
///
/// # Examples
/// ```
/// use cninfra_core::Agent;
/// use cninfra_grpc::{GrpcConfig, GrpcPlugin};
/// use cninfra_health::StatusCheckPlugin;
///
/// let grpc = GrpcPlugin::builder().with_config(GrpcConfig::loopback()).build();
/// let agent = Agent::builder()
///     .plugin(grpc)
///     .plugin(StatusCheckPlugin::new())
///     .with_args(["demo"])
///     .build()?;
/// assert_eq!(agent.plugin_names(), ["status-check", "grpc"]);
/// # Ok::<(), cninfra_core::AgentError>(())
/// ```
#[derive(Debug)]
pub struct GrpcPlugin {
    preset: Option<GrpcConfig>,
    status: Ready<Arc<StatusCheckPlugin>>,
    max_recv: AtomicUsize,
    max_send: AtomicUsize,
    state: Mutex<State>,
}

/// Builds a [`GrpcPlugin`] with a fixed config ([`GrpcPlugin::builder`]).
#[derive(Debug, Default)]
#[must_use]
pub struct GrpcPluginBuilder {
    config: Option<GrpcConfig>,
}

impl GrpcPluginBuilder {
    /// A fixed config; config files are not read (upstream's `UseConf`). Tests use
    /// [`GrpcConfig::loopback`] and read the port with [`GrpcPlugin::local_addr`].
    pub fn with_config(mut self, config: GrpcConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// The plugin.
    pub fn build(self) -> Arc<GrpcPlugin> {
        Arc::new(GrpcPlugin {
            preset: self.config,
            status: Ready::new(GrpcPlugin::NAME),
            max_recv: AtomicUsize::new(DEFAULT_MAX_RECV_MSG_SIZE),
            max_send: AtomicUsize::new(usize::MAX),
            state: Mutex::new(State::Building {
                routes: RoutesBuilder::default(),
                names: Vec::new(),
                descriptors: Vec::new(),
                prepared: None,
                disabled: false,
            }),
        })
    }
}

#[derive(Debug)]
enum State {
    /// Collecting services; `prepared` is set once `init` bound the endpoint.
    Building {
        routes: RoutesBuilder,
        names: Vec<String>,
        descriptors: Vec<Vec<u8>>,
        prepared: Option<Box<Prepared>>,
        disabled: bool,
    },
    /// Serving (or disabled, or stopped): what is left to tell.
    Started {
        addr: Option<SocketAddr>,
        socket: Option<PathBuf>,
        tls: bool,
        disabled: bool,
    },
}

impl GrpcPlugin {
    /// The plugin's name (log target, config file stem).
    pub const NAME: &'static str = "grpc";

    /// The plugin, configured by `grpc.conf` (`--grpc-config` / `GRPC_CONFIG`).
    pub fn new() -> Arc<Self> {
        Self::builder().build()
    }

    /// A builder, for a fixed config.
    pub fn builder() -> GrpcPluginBuilder {
        GrpcPluginBuilder::default()
    }

    /// Adds a tonic service (a generated `…Server::new(impl)`); call it from your plugin's
    /// `init`. Every service gets the server's authentication, rate limit, message limits,
    /// metrics and health entry.
    ///
    /// # Errors
    /// [`GrpcError::AlreadyServing`] once the server serves (after its `after_init`).
    pub fn add_service<S>(&self, service: S) -> Result<(), GrpcError>
    where
        S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        let mut state = self.state.lock();
        match &mut *state {
            State::Building { disabled: true, .. } => {
                debug!(target: GrpcPlugin::NAME, service = S::NAME, "gRPC server disabled; service ignored");
                Ok(())
            }
            State::Building { routes, names, .. } => {
                routes.add_service(service);
                names.push(S::NAME.to_owned());
                debug!(target: GrpcPlugin::NAME, service = S::NAME, "gRPC service added");
                Ok(())
            }
            State::Started { disabled: true, .. } => Ok(()),
            State::Started { .. } => Err(GrpcError::AlreadyServing {
                service: S::NAME.to_owned(),
            }),
        }
    }

    /// Adds an encoded `FileDescriptorSet` describing your services, so that server
    /// reflection can describe them (`grpcurl describe`); call it from your plugin's `init`.
    /// Generate it at build time (`tonic_prost_build::configure().file_descriptor_set_path`,
    /// or protox's `Compiler::encode_file_descriptor_set`).
    ///
    /// # Errors
    /// [`GrpcError::Reflection`] when `set` is not a valid descriptor set,
    /// [`GrpcError::AlreadyServing`] once the server serves.
    pub fn add_file_descriptor_set(&self, set: &[u8]) -> Result<(), GrpcError> {
        reflection::check(set)?;
        let mut state = self.state.lock();
        match &mut *state {
            State::Building { disabled: true, .. } => Ok(()),
            State::Building { descriptors, .. } => {
                descriptors.push(set.to_vec());
                Ok(())
            }
            State::Started { disabled: true, .. } => Ok(()),
            State::Started { .. } => Err(GrpcError::AlreadyServing {
                service: "<descriptors>".to_owned(),
            }),
        }
    }

    /// Whether the server is off (no `grpc.conf`); known once `init` ran.
    pub fn is_disabled(&self) -> bool {
        match &*self.state.lock() {
            State::Building { disabled, .. } | State::Started { disabled, .. } => *disabled,
        }
    }

    /// The TCP address the server listens on, once `init` bound it (`None` for a unix
    /// socket or when disabled).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        match &*self.state.lock() {
            State::Building { prepared, .. } => prepared.as_ref()?.listener().local_addr(),
            State::Started { addr, .. } => *addr,
        }
    }

    /// The unix socket file the server listens on, once `init` bound it.
    pub fn socket_path(&self) -> Option<PathBuf> {
        match &*self.state.lock() {
            State::Building { prepared, .. } => {
                Some(prepared.as_ref()?.listener().socket_path()?.to_owned())
            }
            State::Started { socket, .. } => socket.clone(),
        }
    }

    /// Whether the server speaks TLS (known once `init` ran).
    pub fn is_tls(&self) -> bool {
        match &*self.state.lock() {
            State::Building { prepared, .. } => prepared.as_ref().is_some_and(|p| p.is_tls()),
            State::Started { tls, .. } => *tls,
        }
    }

    /// The largest message clients may send (`max-msg-size`, else 4 MiB), known once
    /// `init` ran. Give it to your generated server's `max_decoding_message_size`, whose
    /// own default is 4 MiB, when the config raises the limit.
    pub fn max_recv_msg_size(&self) -> usize {
        self.max_recv.load(Ordering::Relaxed)
    }

    /// The largest message the server sends (`max-send-msg-size`, else unlimited), for
    /// your generated server's `max_encoding_message_size`.
    pub fn max_send_msg_size(&self) -> usize {
        self.max_send.load(Ordering::Relaxed)
    }
}

#[async_trait]
impl Plugin for GrpcPlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn requires(&self) -> Vec<Requirement> {
        vec![
            Requirement::of::<StatusCheckPlugin>(),
            #[cfg(feature = "prometheus")]
            Requirement::optional::<PrometheusPlugin>(),
        ]
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        self.status.set(ctx.dep::<StatusCheckPlugin>()?)?;
        let Some(config) = ctx.config_or_preset(self.preset.as_ref())? else {
            info!(target: GrpcPlugin::NAME, "gRPC server disabled: no grpc.conf (set --grpc-config or GRPC_CONFIG)");
            if let State::Building {
                routes,
                names,
                descriptors,
                disabled,
                ..
            } = &mut *self.state.lock()
            {
                *disabled = true;
                *routes = RoutesBuilder::default();
                names.clear();
                descriptors.clear();
            }
            return Ok(());
        };
        if config.max_msg_size > 0 {
            self.max_recv.store(config.max_msg_size, Ordering::Relaxed);
        }
        if config.max_send_msg_size > 0 {
            self.max_send
                .store(config.max_send_msg_size, Ordering::Relaxed);
        }
        let metrics = config
            .prometheus_metrics
            .then(|| call_metrics(ctx))
            .flatten();
        let ready = Prepared::new(config, metrics).await?;
        if let State::Building { prepared, .. } = &mut *self.state.lock() {
            *prepared = Some(Box::new(ready));
        }
        Ok(())
    }

    async fn after_init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let status = self.status.get()?.subscribe();
        let (prepared, services) = {
            let mut state = self.state.lock();
            let State::Building {
                routes,
                names,
                descriptors,
                prepared,
                disabled,
            } = &mut *state
            else {
                return Ok(());
            };
            if *disabled {
                *state = State::Started {
                    addr: None,
                    socket: None,
                    tls: false,
                    disabled: true,
                };
                return Ok(());
            }
            // A successful `init` either disabled the server or bound it.
            let Some(prepared) = prepared.take() else {
                return Ok(());
            };
            let services = Services {
                routes: std::mem::take(routes),
                names: std::mem::take(names),
                descriptors: std::mem::take(descriptors),
                status,
            };
            *state = State::Started {
                addr: prepared.listener().local_addr(),
                socket: prepared.listener().socket_path().map(ToOwned::to_owned),
                tls: prepared.is_tls(),
                disabled: false,
            };
            (prepared, services)
        };
        prepared.serve(services, ctx)?;
        Ok(())
    }

    async fn close(&self) -> Result<(), BoxError> {
        // A server that never started (another plugin failed to start) leaves no socket.
        let mut state = self.state.lock();
        if let State::Building { prepared, .. } = &mut *state
            && let Some(prepared) = prepared.take()
            && let Some(path) = prepared.listener().socket_path()
        {
            listen::remove_socket(path);
        }
        Ok(())
    }
}

/// The call metrics, registered on the agent's Prometheus plugin; `None` (with a warning)
/// when there is none, or when the crate is built without its `prometheus` feature.
fn call_metrics(ctx: &InitContext) -> Option<Arc<GrpcMetrics>> {
    #[cfg(feature = "prometheus")]
    if let Some(prometheus) = ctx.try_dep::<PrometheusPlugin>() {
        return Some(prometheus.registry_mut(GrpcMetrics::register));
    }
    let _ = ctx;
    warn!(target: GrpcPlugin::NAME, "prometheus-metrics is set, but the agent has no Prometheus plugin: no call metrics");
    None
}
