use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::MethodRouter;
use cninfra_core::{BoxError, Flag, InitContext, Plugin, Subcommand, async_trait};
use parking_lot::Mutex;
use tokio::net::TcpListener;
use tracing::info;

use super::auth::BasicAuth;
use super::config::HttpConfig;
use super::error::RestError;
use super::guard::{Auth, Guard};
use super::limit::RateLimiter;
use super::security::{self, PermissionGroup, TokenAuth};
use super::server::{self, ServerOptions};

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
/// // Normally called from a dependent plugin's `init`, with the plugin from `ctx.dep`.
/// http.route("/version", get(|| async { env!("CARGO_PKG_VERSION") })).unwrap();
/// ```
#[derive(Debug)]
pub struct HttpPlugin {
    preset: Option<HttpConfig>,
    state: Mutex<State>,
}

#[derive(Debug)]
enum State {
    /// Collecting routes; `bound` is set once `init` bound the port (never when disabled).
    Building {
        router: Router,
        bound: Option<Bound>,
        disabled: bool,
        /// Paths of the routes that need no credentials.
        public: Vec<String>,
        groups: Vec<PermissionGroup>,
    },
    /// Serving on `addr` (`None` when disabled).
    Serving { addr: Option<SocketAddr>, tls: bool },
}

/// What `init` prepared for serving.
#[derive(Debug)]
struct Bound {
    listener: TcpListener,
    options: ServerOptions,
    guard: Guard,
}

/// Builds an [`HttpPlugin`]; see [`HttpPlugin::builder`].
#[derive(Debug, Default)]
pub struct HttpBuilder {
    preset: Option<HttpConfig>,
}

impl HttpBuilder {
    /// A fixed config; flags and config files are then not read (upstream's `UseConf`).
    /// Tests use `endpoint: "127.0.0.1:0"` and read the port back with
    /// [`local_addr`](HttpPlugin::local_addr).
    pub fn with_config(mut self, config: HttpConfig) -> Self {
        self.preset = Some(config);
        self
    }

    /// The plugin.
    pub fn build(self) -> Arc<HttpPlugin> {
        Arc::new(HttpPlugin {
            preset: self.preset,
            state: Mutex::new(State::Building {
                router: Router::new(),
                bound: None,
                disabled: false,
                public: Vec::new(),
                groups: Vec::new(),
            }),
        })
    }
}

impl HttpPlugin {
    /// The plugin's name and log target.
    pub const NAME: &str = "http";

    /// The plugin, configured by flags and `http.conf`.
    pub fn new() -> Arc<Self> {
        Self::builder().build()
    }

    /// A builder, for a config set in code.
    pub fn builder() -> HttpBuilder {
        HttpBuilder::default()
    }

    /// Adds a route. Call it from your plugin's `init`.
    ///
    /// # Errors
    /// [`RestError::AlreadyServing`] once the server serves (after its `after_init`).
    pub fn route(&self, path: &str, handler: MethodRouter) -> Result<(), RestError> {
        self.with_router(path, |router| router.route(path, handler))
    }

    /// Adds a route that needs no credentials and is not rate limited, such as the probes
    /// (Kubernetes cannot send credentials). Call it from your plugin's `init`.
    ///
    /// # Errors
    /// [`RestError::AlreadyServing`] once the server serves (after its `after_init`).
    pub fn public_route(&self, path: &str, handler: MethodRouter) -> Result<(), RestError> {
        self.route(path, handler)?;
        if let State::Building { public, .. } = &mut *self.state.lock() {
            public.push(path.to_owned());
        }
        Ok(())
    }

    /// Registers permission groups for token authorization (upstream's
    /// `RegisterPermissionGroup`); users name them in `http.conf`. Ignored when token
    /// authorization is off. Call it from your plugin's `init`.
    ///
    /// # Errors
    /// [`RestError::AlreadyServing`] once the server serves (after its `after_init`).
    pub fn register_permission_group(&self, group: PermissionGroup) -> Result<(), RestError> {
        match &mut *self.state.lock() {
            State::Building { groups, .. } => {
                groups.push(group);
                Ok(())
            }
            State::Serving { .. } => Err(RestError::AlreadyServing {
                path: format!("<permission group {}>", group.name),
            }),
        }
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
            State::Building { bound, .. } => {
                bound.as_ref().and_then(|b| b.listener.local_addr().ok())
            }
            State::Serving { addr, .. } => *addr,
        }
    }

    /// Whether the server speaks HTTPS (known once `init` ran).
    pub fn is_tls(&self) -> bool {
        match &*self.state.lock() {
            State::Building { bound, .. } => bound.as_ref().is_some_and(|b| b.options.is_tls()),
            State::Serving { tls, .. } => *tls,
        }
    }

    fn config(&self, ctx: &InitContext) -> Result<HttpConfig, BoxError> {
        if let Some(preset) = &self.preset {
            return Ok(preset.clone());
        }
        let from_file: Option<HttpConfig> = ctx.config()?;
        let port = ctx.flag(PORT_FLAG).filter(|_| ctx.flag_is_set(PORT_FLAG));
        Ok(resolve(from_file, port)?)
    }
}

/// The effective config: an explicit port flag beats the file's endpoint; without a file the
/// default port is used.
fn resolve(
    from_file: Option<HttpConfig>,
    explicit_port: Option<&str>,
) -> Result<HttpConfig, RestError> {
    let port = match (explicit_port, &from_file) {
        (Some(port), _) => Some(port.to_owned()),
        (None, None) => Some(DEFAULT_PORT.to_string()),
        (None, Some(_)) => None,
    };
    let mut config = from_file.unwrap_or_default();
    if let Some(port) = port {
        let endpoint = format!("0.0.0.0:{port}");
        if port.parse::<u16>().is_err() {
            return Err(RestError::InvalidEndpoint { endpoint });
        }
        config.endpoint = endpoint;
    }
    Ok(config)
}

/// The guard of `config`: token authorization (its passwords hashed on a blocking thread),
/// else basic authentication, and the rate limiter.
async fn guard_of(config: &HttpConfig) -> Result<Guard, RestError> {
    let auth = if config.enable_token_auth {
        let config = config.clone();
        let auth = tokio::task::spawn_blocking(move || TokenAuth::from_config(&config))
            .await
            .map_err(|_| RestError::NotReady)??;
        Auth::Token(Arc::new(auth))
    } else {
        match BasicAuth::from_config(&config.client_basic_auth)? {
            Some(basic) => Auth::Basic(basic),
            None => Auth::None,
        }
    };
    let limiter = config
        .rate_limiter
        .as_ref()
        .map(RateLimiter::from_config)
        .transpose()?;
    Ok(Guard::new(auth, limiter))
}

#[async_trait]
impl Plugin for HttpPlugin {
    fn name(&self) -> &str {
        Self::NAME
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

    fn subcommands(&self) -> Vec<Subcommand> {
        vec![security::subcommand()]
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let config = self.config(ctx)?;
        if config.disabled {
            info!(target: HttpPlugin::NAME, "HTTP server disabled by config");
            if let State::Building { disabled, .. } = &mut *self.state.lock() {
                *disabled = true;
            }
            return Ok(());
        }
        let options = ServerOptions::from_config(&config)?;
        let guard = guard_of(&config).await?;
        if let Some(auth) = guard.token_auth() {
            info!(target: HttpPlugin::NAME, "token authorization enabled");
            self.merge(security::router(Arc::clone(auth)))?;
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
        info!(target: HttpPlugin::NAME,
            addr = %listener.local_addr().unwrap_or(addr),
            tls = options.is_tls(),
            "HTTP server bound"
        );
        if let State::Building { bound, .. } = &mut *self.state.lock() {
            *bound = Some(Bound {
                listener,
                options,
                guard,
            });
        }
        Ok(())
    }

    async fn after_init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let (router, bound) = {
            let mut state = self.state.lock();
            let State::Building {
                router,
                bound,
                disabled,
                public,
                groups,
            } = &mut *state
            else {
                return Ok(());
            };
            if *disabled {
                *state = State::Serving {
                    addr: None,
                    tls: false,
                };
                return Ok(());
            }
            let mut bound = bound.take().ok_or(RestError::NotReady)?;
            if let Some(auth) = bound.guard.token_auth() {
                auth.set_groups(std::mem::take(groups));
            }
            bound.guard = bound.guard.with_public(std::mem::take(public));
            let router = std::mem::take(router);
            *state = State::Serving {
                addr: bound.listener.local_addr().ok(),
                tls: bound.options.is_tls(),
            };
            (router, bound)
        };
        info!(target: HttpPlugin::NAME, addr = ?bound.listener.local_addr().ok(), "HTTP server serving");
        ctx.spawn(server::serve(
            bound.listener,
            router,
            bound.options,
            bound.guard,
            ctx.shutdown_token(),
        ));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_port_beats_the_file_and_default_port_loses_to_it() {
        let file = HttpConfig {
            endpoint: "127.0.0.1:8080".into(),
            ..HttpConfig::default()
        };
        assert_eq!(resolve(None, None).unwrap().endpoint, "0.0.0.0:9191");
        assert_eq!(
            resolve(None, Some("9000")).unwrap().endpoint,
            "0.0.0.0:9000"
        );
        assert_eq!(
            resolve(Some(file.clone()), None).unwrap().endpoint,
            "127.0.0.1:8080"
        );
        assert_eq!(
            resolve(Some(file), Some("9000")).unwrap().endpoint,
            "0.0.0.0:9000"
        );
        let err = resolve(None, Some("http")).unwrap_err().to_string();
        assert!(err.contains("0.0.0.0:http"), "{err}");
    }
}
