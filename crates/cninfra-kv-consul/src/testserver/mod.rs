//! An in-process server of Consul's KV HTTP API, for tests (feature `testserver`).
//!
//! No Consul server can be installed on the machines this project is built on, so the
//! connector's tests run against this server. It follows Consul's documented KV API
//! semantics, and nothing more:
//! - `GET /v1/kv/<key>` (one entry; `?recurse` for a tree; `?keys` with `?separator=`),
//!   `404` when nothing matches, entries as JSON with base64 `Value` and `CreateIndex`,
//!   `ModifyIndex`, `LockIndex`, `Flags`;
//! - `PUT /v1/kv/<key>` (raw body; `?cas=<index>`, `0` = only if absent; `?flags=`),
//!   answering `true`/`false`; values above `kv_max_value_size` (512 KiB by default) are
//!   refused with `413`;
//! - `DELETE /v1/kv/<key>` (`?recurse`, `?cas=`);
//! - `PUT /v1/txn` with the KV verbs `set`, `cas`, `get`, `get-tree`, `check-index`,
//!   `check-not-exists`, `delete`, `delete-tree`, `delete-cas`: all or nothing at one index,
//!   `409` with `Errors` when one fails, at most 128 operations;
//! - blocking queries: `?index=N&wait=D` (default 5 min, at most 10 min) answer once the
//!   query's index passes `N` or the wait ends; every answer has `X-Consul-Index`, computed
//!   as Consul does (highest modify index under the prefix, tombstones included, else the
//!   KV table index);
//! - `GET /v1/status/peers` and `/v1/status/leader`; an optional ACL token
//!   (`X-Consul-Token` or `?token=`, else `403`) and datacenter (`?dc=`, else `500`);
//! - HTTPS instead of HTTP when given a certificate ([`TestServerOptions::with_tls`]),
//!   as an agent with `ports { https = ... }`.
//!
//! The test controls let a test stop and restart it on the same port (an outage), reap
//! tombstones or wipe the data (so indexes go backwards, as after a snapshot restore).

mod routes;
mod state;
mod tls;
mod txn;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use state::Kv;

/// Settings of a [`ConsulTestServer`]; the defaults are Consul's.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TestServerOptions {
    /// Largest value a PUT or a txn may store (Consul's `kv_max_value_size`, 512 KiB).
    pub kv_max_value_size: usize,
    /// Largest txn request body (Consul's `txn_max_req_len`, 512 KiB).
    pub txn_max_req_len: usize,
    /// The ACL token every request must carry; `None` = ACLs off.
    pub token: Option<String>,
    /// The server's datacenter (`dc1`).
    pub datacenter: String,
    /// Serve HTTPS with this certificate chain and private key (PEM); `None` = HTTP.
    pub tls: Option<(Vec<u8>, Vec<u8>)>,
}

impl Default for TestServerOptions {
    fn default() -> Self {
        Self {
            kv_max_value_size: 512 * 1024,
            txn_max_req_len: 512 * 1024,
            token: None,
            datacenter: "dc1".into(),
            tls: None,
        }
    }
}

impl TestServerOptions {
    /// Raises both size limits to `bytes` (what `limits { kv_max_value_size, txn_max_req_len }`
    /// does on a real server).
    #[must_use]
    pub fn with_size_limit(mut self, bytes: usize) -> Self {
        self.kv_max_value_size = bytes;
        self.txn_max_req_len = bytes;
        self
    }

    /// Serves HTTPS with `cert_pem` (the server's chain) and `key_pem`.
    #[must_use]
    pub fn with_tls(mut self, cert_pem: impl Into<Vec<u8>>, key_pem: impl Into<Vec<u8>>) -> Self {
        self.tls = Some((cert_pem.into(), key_pem.into()));
        self
    }

    /// Requires `token` on every request.
    #[must_use]
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }
}

/// State shared by the handlers.
#[derive(Debug)]
struct Shared {
    options: TestServerOptions,
    kv: Mutex<Kv>,
    /// The last index; changes wake blocking queries.
    changes: watch::Sender<u64>,
    /// Cancelled when serving stops, so blocked queries end and shutdown does not wait.
    serving: Mutex<CancellationToken>,
    /// Blocking queries waiting right now.
    blocked: AtomicUsize,
}

/// A running test server; see the [module docs](self).
///
/// # Examples
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use cninfra_kv_consul::testserver::ConsulTestServer;
/// let server = ConsulTestServer::start().await?;
/// let url = format!("http://{}/v1/status/peers", server.address());
/// # let _ = url;
/// server.stop().await;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct ConsulTestServer {
    shared: Arc<Shared>,
    address: SocketAddr,
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    running: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl ConsulTestServer {
    /// Starts a server with Consul's default limits on `127.0.0.1`, on a free port.
    ///
    /// # Errors
    /// When no port can be bound.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(TestServerOptions::default()).await
    }

    /// Starts a server with `options`.
    ///
    /// # Errors
    /// When no port can be bound, or the TLS certificate or key does not parse.
    pub async fn start_with(options: TestServerOptions) -> std::io::Result<Self> {
        let tls = match &options.tls {
            Some((cert, key)) => Some(tls::server_config(cert, key)?),
            None => None,
        };
        let shared = Arc::new(Shared {
            options,
            kv: Mutex::new(Kv::default()),
            changes: watch::Sender::new(0),
            serving: Mutex::new(CancellationToken::new()),
            blocked: AtomicUsize::new(0),
        });
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let mut server = Self {
            shared,
            address,
            tls,
            running: None,
        };
        server.serve(listener);
        Ok(server)
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    fn serve(&mut self, listener: TcpListener) {
        let (stop, stopped) = oneshot::channel::<()>();
        let app = routes::router(Arc::clone(&self.shared));
        let task = match self.tls.clone() {
            Some(config) => tokio::spawn(tls::serve(listener, app, config, stopped)),
            None => tokio::spawn(async move {
                let serving = axum::serve(listener, app).with_graceful_shutdown(async {
                    let _ = stopped.await;
                });
                if let Err(err) = serving.await {
                    tracing::warn!(error = %err, "consul test server failed");
                }
            }),
        };
        self.running = Some((stop, task));
    }

    /// Stops serving (connections close, blocked queries end); the data stays.
    pub async fn stop(mut self) {
        self.halt().await;
    }

    /// Stops serving, keeping the data, until [`resume`](Self::resume): an outage.
    pub async fn halt(&mut self) {
        if let Some((stop, task)) = self.running.take() {
            let _ = stop.send(());
            // End blocked queries so the graceful shutdown does not wait for them.
            self.shared.serving.lock().cancel();
            let _ = task.await;
        }
    }

    /// Serves again on the same port after [`halt`](Self::halt).
    ///
    /// # Errors
    /// When the port cannot be bound again.
    pub async fn resume(&mut self) -> std::io::Result<()> {
        if self.running.is_none() {
            let listener = TcpListener::bind(self.address).await?;
            *self.shared.serving.lock() = CancellationToken::new();
            self.serve(listener);
        }
        Ok(())
    }

    /// Forgets the tombstones, as Consul does after its tombstone TTL.
    pub fn reap_tombstones(&self) {
        self.shared.kv.lock().reap_tombstones();
    }

    /// Drops all data and starts the index again from 1, as a server restored from an
    /// empty snapshot: indexes go backwards.
    pub fn wipe(&self) {
        self.shared.kv.lock().wipe();
        self.shared.changes.send_modify(|_| {});
    }

    /// How many blocking queries are waiting right now (a test waits for a watch to be
    /// blocked before it interrupts the server).
    pub fn blocked_queries(&self) -> usize {
        self.shared.blocked.load(Ordering::SeqCst)
    }

    /// The stored keys, as the server has them (for checking key mapping).
    pub fn keys(&self) -> Vec<String> {
        self.shared.kv.lock().entries.keys().cloned().collect()
    }
}

impl Drop for ConsulTestServer {
    fn drop(&mut self) {
        if let Some((stop, task)) = self.running.take() {
            let _ = stop.send(());
            self.shared.serving.lock().cancel();
            task.abort();
        }
    }
}
