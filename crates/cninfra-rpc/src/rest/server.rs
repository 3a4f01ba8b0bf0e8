//! The accept loop: plain or TLS connections served by hyper with the configured limits,
//! stopped by a token and drained (requests in flight complete, then connections close).

use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::middleware;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt as _;
use tower_http::timeout::TimeoutBody;
use tracing::{debug, info, warn};

use super::HttpPlugin;
use super::config::HttpConfig;
use super::error::RestError;
use super::guard::{self, Guard};
use super::idle::{Activity, Expired, Tracked};
use super::tls;
use super::woken::OnWake;
use super::write_timeout::WriteTimeout;

/// hyper never buffers less than this for a request head.
const MIN_HEADER_BYTES: usize = 8192;
/// Time limit of a TLS handshake when `read-header-timeout` is off.
const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause after an accept error that is not about one connection (such as too many open files).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// What the server needs besides the listener and routes, checked in `init`.
#[derive(Clone)]
pub(super) struct ServerOptions {
    tls: Option<TlsAcceptor>,
    read_timeout: Option<Duration>,
    read_header_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    max_header_bytes: usize,
}

impl std::fmt::Debug for ServerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerOptions")
            .field("tls", &self.tls.is_some())
            .field("read_timeout", &self.read_timeout)
            .field("read_header_timeout", &self.read_header_timeout)
            .field("write_timeout", &self.write_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_header_bytes", &self.max_header_bytes)
            .finish()
    }
}

fn limit(value: Duration) -> Option<Duration> {
    (!value.is_zero()).then_some(value)
}

impl ServerOptions {
    /// Checks the config and loads certificates.
    pub(super) fn from_config(config: &HttpConfig) -> Result<Self, RestError> {
        Ok(Self {
            tls: tls::acceptor(config)?,
            read_timeout: limit(config.read_timeout),
            read_header_timeout: limit(config.read_header_timeout),
            write_timeout: limit(config.write_timeout),
            idle_timeout: limit(config.idle_timeout),
            max_header_bytes: config.max_header_bytes.max(MIN_HEADER_BYTES),
        })
    }

    /// Whether the server speaks HTTPS.
    pub(super) fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// The plugins' routes wrapped in the guard. The time limits are put around the router
    /// as a whole as each connection hands requests over ([`serve_io`]): a layer on the
    /// router would box each route's future once more per request.
    ///
    /// `with_state(())` turns every handler into its route once, here, as `axum::serve`
    /// does: a router called as it is clones and boxes the matched handler per request.
    fn wrap(&self, mut router: Router, guard: Guard) -> Router {
        if guard.is_active() {
            router = router.layer(middleware::from_fn_with_state(guard, guard::check));
        }
        router.with_state(())
    }

    fn hyper_builder(&self) -> Builder<TokioExecutor> {
        let mut builder = Builder::new(TokioExecutor::new());
        // The request head's time limit is watched per connection (`serve_io`), not by
        // hyper's timer per request.
        builder
            .http1()
            .header_read_timeout(None)
            .max_buf_size(self.max_header_bytes);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_header_list_size(u32::try_from(self.max_header_bytes).unwrap_or(u32::MAX));
        builder
    }
}

/// Serves `router` on `listener` until `shutdown` is cancelled, then stops accepting and waits
/// for the connections to finish their requests in flight.
pub(super) async fn serve(
    listener: TcpListener,
    router: Router,
    options: ServerOptions,
    guard: Guard,
    shutdown: CancellationToken,
) {
    let app = options.wrap(router, guard);
    let connections = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, remote)) => {
                if let Err(err) = stream.set_nodelay(true) {
                    debug!(target: HttpPlugin::NAME, %remote, error = %err, "cannot set TCP_NODELAY");
                }
                connections.spawn(connection(
                    stream,
                    remote,
                    app.clone(),
                    options.clone(),
                    shutdown.clone(),
                ));
            }
            Err(err) if is_per_connection(&err) => {
                debug!(target: HttpPlugin::NAME, error = %err, "connection failed while accepted");
            }
            Err(err) => {
                warn!(target: HttpPlugin::NAME, error = %err, "cannot accept connections; retrying");
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(ACCEPT_BACKOFF) => {}
                }
            }
        }
    }
    drop(listener);
    connections.close();
    info!(target: HttpPlugin::NAME, connections = connections.len(), "HTTP server stopped accepting; draining");
    connections.wait().await;
    info!(target: HttpPlugin::NAME, "HTTP server stopped");
}

/// Accept errors that concern one connection only.
fn is_per_connection(err: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(
        err.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    )
}

async fn connection(
    stream: TcpStream,
    remote: SocketAddr,
    app: Router,
    options: ServerOptions,
    shutdown: CancellationToken,
) {
    let Some(acceptor) = &options.tls else {
        serve_io(stream, remote, app, &options, shutdown).await;
        return;
    };
    let limit = options
        .read_header_timeout
        .unwrap_or(DEFAULT_HANDSHAKE_TIMEOUT);
    let handshake = tokio::select! {
        () = shutdown.cancelled() => return,
        handshake = tokio::time::timeout(limit, acceptor.accept(stream)) => handshake,
    };
    match handshake {
        Ok(Ok(tls)) => serve_io(tls, remote, app, &options, shutdown).await,
        Ok(Err(err)) => {
            debug!(target: HttpPlugin::NAME, %remote, error = %err, "TLS handshake failed")
        }
        Err(_) => debug!(target: HttpPlugin::NAME, %remote, ?limit, "TLS handshake timed out"),
    }
}

async fn serve_io<T>(
    io: T,
    remote: SocketAddr,
    app: Router,
    options: &ServerOptions,
    shutdown: CancellationToken,
) where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Activity::new();
    let io = TokioIo::new(Tracked::new(io, activity.clone()));
    let read_timeout = options.read_timeout;
    let (started, answered) = (activity.clone(), activity.clone());
    let service = app
        .map_request(move |request: Request<Incoming>| {
            started.request_started(request.version());
            // The body boxed once, with the read time limit if there is one (the router
            // takes a `Body` as it is).
            let mut request = match read_timeout {
                Some(limit) => request.map(|body| Body::new(TimeoutBody::new(limit, body))),
                None => request.map(Body::new),
            };
            request.extensions_mut().insert(ConnectInfo(remote));
            request
        })
        .map_response(move |response: Response| {
            answered.response_ready(response.status());
            response
        });
    let service = WriteTimeout::new(service, options.write_timeout);
    let builder = options.hyper_builder();
    let mut conn =
        pin!(builder.serve_connection_with_upgrades(io, TowerToHyperService::new(service)));
    let mut closing = false;
    loop {
        // The watchdog is polled only when it woke, not at each request of the connection.
        let watchdog = OnWake::new(watch(&activity, options, &shutdown, closing));
        let event = tokio::select! {
            served = conn.as_mut() => {
                if let Err(err) = served {
                    debug!(target: HttpPlugin::NAME, %remote, error = %err, "connection ended with an error");
                }
                return;
            }
            event = watchdog => event,
        };
        match event {
            Watch::Shutdown => {}
            Watch::Expired(Expired::Idle) => {
                debug!(target: HttpPlugin::NAME, %remote, "closing idle connection");
            }
            Watch::Expired(Expired::Head) => {
                debug!(target: HttpPlugin::NAME, %remote, limit = ?options.read_header_timeout, "request head not read in time; closing the connection");
                return;
            }
        }
        closing = true;
        conn.as_mut().graceful_shutdown();
    }
}

/// What the watchdog of a connection saw.
enum Watch {
    /// The server stops.
    Shutdown,
    /// A time limit ran out.
    Expired(Expired),
}

/// Waits for the server to stop (unless `closing`) or a time limit of the connection to run
/// out. A closing connection is not idle: it finishes its request in flight.
async fn watch(
    activity: &Activity,
    options: &ServerOptions,
    shutdown: &CancellationToken,
    closing: bool,
) -> Watch {
    tokio::select! {
        () = shutdown.cancelled(), if !closing => Watch::Shutdown,
        expired = activity.expired(
            options.read_header_timeout,
            options.idle_timeout.filter(|_| !closing),
        ) => Watch::Expired(expired),
    }
}
