//! [`GrpcPlugin`]: the plugin other plugins add their gRPC services to.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use cninfra_core::{BoxError, InitContext, Plugin, async_trait};
use cninfra_health::StatusCheckPlugin;
use cninfra_rpc::prometheus::PrometheusPlugin;
use parking_lot::Mutex;
use tonic::body::Body;
use tonic::server::NamedService;
use tonic::service::RoutesBuilder;
use tower::Service;
use tracing::{debug, info};

use crate::LOG;
use crate::config::GrpcConfig;
use crate::error::GrpcError;
use crate::listen;
use crate::reflection;
use crate::server::{Prepared, Services};

/// gRPC's default limit of a received message: 4 MiB.
pub const DEFAULT_MAX_RECV_MSG_SIZE: usize = 4 << 20;

/// The gRPC server plugin (`grpc`): plugins add services in their `init`, the server binds
/// in this plugin's `init`, serves from its `after_init` and drains on close.
///
/// Without `grpc.conf` the plugin is disabled (as upstream): it logs so, and
/// [`add_service`](Self::add_service) accepts services and drops them, so that plugins need
/// not check [`is_disabled`](Self::is_disabled) first.
///
/// # Examples
/// ```
/// use cninfra_grpc::{GrpcConfig, GrpcPlugin};
/// use cninfra_grpc::example::EchoService;
/// use cninfra_health::StatusCheckPlugin;
/// use cninfra_rpc::{prometheus::PrometheusPlugin, rest::HttpPlugin};
///
/// let prometheus = PrometheusPlugin::new();
/// let grpc = GrpcPlugin::with_config(GrpcConfig::loopback(), StatusCheckPlugin::new(), prometheus);
/// // Normally called from a dependent plugin's `init`.
/// grpc.add_service(EchoService::server(&grpc))?;
/// # Ok::<(), cninfra_grpc::GrpcError>(())
/// ```
#[derive(Debug)]
pub struct GrpcPlugin {
    status: Arc<StatusCheckPlugin>,
    prometheus: Arc<PrometheusPlugin>,
    preset: Option<GrpcConfig>,
    max_recv: AtomicUsize,
    max_send: AtomicUsize,
    state: Mutex<State>,
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
    /// The plugin, configured by `grpc.conf` (`--grpc-config` / `GRPC_CONFIG`); health
    /// answers from `status`, metrics go to `prometheus`.
    pub fn new(status: Arc<StatusCheckPlugin>, prometheus: Arc<PrometheusPlugin>) -> Arc<Self> {
        Arc::new(Self::unshared(None, status, prometheus))
    }

    /// The plugin with a fixed config; config files are not read (upstream's `UseConf`).
    /// Tests use [`GrpcConfig::loopback`] and read the port with
    /// [`local_addr`](Self::local_addr).
    pub fn with_config(
        config: GrpcConfig,
        status: Arc<StatusCheckPlugin>,
        prometheus: Arc<PrometheusPlugin>,
    ) -> Arc<Self> {
        Arc::new(Self::unshared(Some(config), status, prometheus))
    }

    fn unshared(
        preset: Option<GrpcConfig>,
        status: Arc<StatusCheckPlugin>,
        prometheus: Arc<PrometheusPlugin>,
    ) -> Self {
        Self {
            status,
            prometheus,
            preset,
            max_recv: AtomicUsize::new(DEFAULT_MAX_RECV_MSG_SIZE),
            max_send: AtomicUsize::new(usize::MAX),
            state: Mutex::new(State::Building {
                routes: RoutesBuilder::default(),
                names: Vec::new(),
                descriptors: Vec::new(),
                prepared: None,
                disabled: false,
            }),
        }
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
                debug!(target: LOG, service = S::NAME, "gRPC server disabled; service ignored");
                Ok(())
            }
            State::Building { routes, names, .. } => {
                routes.add_service(service);
                names.push(S::NAME.to_owned());
                debug!(target: LOG, service = S::NAME, "gRPC service added");
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
        LOG
    }

    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        vec![self.status.clone(), self.prometheus.clone()]
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let Some(config) = ctx.config_or_preset(self.preset.as_ref())? else {
            info!(target: LOG, "gRPC server disabled: no grpc.conf (set --grpc-config or GRPC_CONFIG)");
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
        let ready = Prepared::new(config, &self.prometheus).await?;
        if let State::Building { prepared, .. } = &mut *self.state.lock() {
            *prepared = Some(Box::new(ready));
        }
        Ok(())
    }

    async fn after_init(&self, ctx: &InitContext) -> Result<(), BoxError> {
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
            let prepared = prepared.take().ok_or(GrpcError::NotReady)?;
            let services = Services {
                routes: std::mem::take(routes),
                names: std::mem::take(names),
                descriptors: std::mem::take(descriptors),
                status: self.status.subscribe(),
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
