use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::MethodRouter;
use cninfra_core::{BoxError, Flag, InitContext, Plugin, async_trait};
use parking_lot::Mutex;
use tokio::net::TcpListener;
use tracing::{info, warn};

use super::config::HttpConfig;
use super::error::RestError;

/// The flag that sets the HTTP port.
const PORT_FLAG: &str = "http-port";
/// The default HTTP port.
const DEFAULT_PORT: u16 = 9191;

/// The REST server plugin (`http`): binds in `init`, serves from `after_init`, drains on close.
///
/// # Examples
/// ```
/// use axum::routing::get;
/// use cninfra_rpc::rest::HttpPlugin;
///
/// let http = HttpPlugin::new();
/// // Normally called from a dependent plugin's `init`.
/// http.route("/version", get(|| async { env!("CARGO_PKG_VERSION") })).unwrap();
/// ```
#[derive(Debug)]
pub struct HttpPlugin {
    preset: Option<HttpConfig>,
    state: Mutex<State>,
}

#[derive(Debug)]
enum State {
    /// Collecting routes; `listener` is set once `init` bound the port.
    Building {
        router: Router,
        listener: Option<TcpListener>,
        disabled: bool,
    },
    /// Serving on `addr`.
    Serving { addr: Option<SocketAddr> },
}

impl HttpPlugin {
    /// The plugin, configured by flags and `http.conf`.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::unshared(None))
    }

    /// The plugin with a fixed config; flags and config files are not read (upstream's
    /// `UseConf`). Tests use `endpoint: "127.0.0.1:0"` and read the port back with
    /// [`local_addr`](Self::local_addr).
    pub fn with_config(config: HttpConfig) -> Arc<Self> {
        Arc::new(Self::unshared(Some(config)))
    }

    fn unshared(preset: Option<HttpConfig>) -> Self {
        Self {
            preset,
            state: Mutex::new(State::Building {
                router: Router::new(),
                listener: None,
                disabled: false,
            }),
        }
    }

    /// Adds a route. Call it from your plugin's `init`.
    ///
    /// # Errors
    /// [`RestError::AlreadyServing`] once the server serves (after its `after_init`).
    pub fn route(&self, path: &str, handler: MethodRouter) -> Result<(), RestError> {
        self.with_router(path, |router| router.route(path, handler))
    }

    /// Adds every route of `router`. Call it from your plugin's `init`.
    ///
    /// # Errors
    /// [`RestError::AlreadyServing`] once the server serves (after its `after_init`).
    pub fn merge(&self, router: Router) -> Result<(), RestError> {
        self.with_router("<router>", |current| current.merge(router))
    }

    fn with_router(
        &self,
        path: &str,
        change: impl FnOnce(Router) -> Router,
    ) -> Result<(), RestError> {
        let mut state = self.state.lock();
        match &mut *state {
            State::Building { router, .. } => {
                *router = change(std::mem::take(router));
                Ok(())
            }
            State::Serving { .. } => Err(RestError::AlreadyServing {
                path: path.to_owned(),
            }),
        }
    }

    /// The address the server listens on, once `init` bound it (`None` when disabled).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        match &*self.state.lock() {
            State::Building { listener, .. } => listener.as_ref().and_then(|l| l.local_addr().ok()),
            State::Serving { addr } => *addr,
        }
    }

    fn config(&self, ctx: &InitContext) -> Result<HttpConfig, BoxError> {
        if let Some(preset) = &self.preset {
            return Ok(preset.clone());
        }
        let from_file: Option<HttpConfig> = ctx.config()?;
        let port_given = ctx.flag_is_set(PORT_FLAG);
        let mut config = from_file.clone().unwrap_or_default();
        if port_given || from_file.is_none() {
            let port = ctx.flag(PORT_FLAG).unwrap_or("9191");
            let port: u16 = port.parse().map_err(|_| RestError::InvalidEndpoint {
                endpoint: format!("0.0.0.0:{port}"),
            })?;
            config.endpoint = format!("0.0.0.0:{port}");
        }
        Ok(config)
    }
}

#[async_trait]
impl Plugin for HttpPlugin {
    fn name(&self) -> &str {
        "http"
    }

    fn flags(&self) -> Vec<Flag> {
        vec![
            Flag::new(
                PORT_FLAG,
                "Port of the REST server (listens on 0.0.0.0:<port>)",
            )
            .with_default(DEFAULT_PORT.to_string()),
        ]
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let config = self.config(ctx)?;
        if config.disabled {
            info!("HTTP server disabled by config");
            if let State::Building { disabled, .. } = &mut *self.state.lock() {
                *disabled = true;
            }
            return Ok(());
        }
        let addr: SocketAddr = config
            .endpoint
            .parse()
            .map_err(|_| RestError::InvalidEndpoint {
                endpoint: config.endpoint.clone(),
            })?;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| RestError::Bind { addr, source })?;
        info!(addr = %listener.local_addr().unwrap_or(addr), "HTTP server bound");
        if let State::Building { listener: slot, .. } = &mut *self.state.lock() {
            *slot = Some(listener);
        }
        Ok(())
    }

    async fn after_init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let (router, listener) = {
            let mut state = self.state.lock();
            let State::Building {
                router,
                listener,
                disabled,
            } = &mut *state
            else {
                return Ok(());
            };
            if *disabled {
                *state = State::Serving { addr: None };
                return Ok(());
            }
            let listener = listener.take().ok_or(RestError::NotReady)?;
            let router = std::mem::take(router);
            *state = State::Serving {
                addr: listener.local_addr().ok(),
            };
            (router, listener)
        };
        let shutdown = ctx.shutdown_token();
        ctx.spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(shutdown.cancelled_owned())
                .await;
            if let Err(err) = served {
                warn!(error = %err, "HTTP server stopped with an error");
            }
        });
        Ok(())
    }
}
