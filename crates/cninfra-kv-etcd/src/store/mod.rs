//! [`EtcdStore`]: the broker API on etcd.

mod atomic;
mod keys;
mod list;
mod watch;

use std::fmt;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use cninfra_kv::{
    Capabilities, DeleteOptions, KvEntry, KvError, KvStore, KvStream, KvValue, LeaseId, PutOptions,
    TxnOp, WatchStream, async_trait, validate_key,
};
use etcd_client::{Client, CompactionOptions, GetOptions, KvClient, LeaseClient, WatchClient};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::debug;

use crate::LOG;
use crate::config::EtcdConfig;
use crate::connect::{Connector, ServerMark};
use crate::error::{EtcdError, gist, is_unavailable, kv_error};

pub(crate) use keys::KeyRange;

/// Largest response the client decodes (a list page, a watch response): etcd values may
/// reach the server's request limit, and a page holds many.
const MAX_MESSAGE: usize = 64 * 1024 * 1024;

/// The key the [probe](EtcdStore::probe) reads (upstream's health check key); it need not
/// exist.
const PROBE_KEY: &str = "/probe-etcd-connection";

/// Pause between two attempts of a read whose member was unreachable.
const RETRY_READ: Duration = Duration::from_millis(20);

/// The KV broker API on an etcd v3 server: revisions, TTLs by leases, transactions,
/// prefix watches from a revision that survive etcd restarts. Cheap to clone; clones share
/// the connection.
///
/// Every request runs within `operation-timeout` ([`KvError::Timeout`] after it);
/// unreachable etcd gives [`KvError::Unavailable`]; both are
/// [retryable](KvError::is_retryable).
///
/// Differences from upstream:
/// - `delete` reports whether something was deleted (upstream always said `false`);
/// - a put with a TTL gets its own lease of the TTL rounded up to whole seconds (etcd
///   may raise very short leases to its minimum, about 2 s on a single node);
/// - lists are fetched in pages (of about 4 MiB) while the stream is read, so listing
///   100 000 keys does not hold them all in memory;
/// - `close` ends open watch streams and refuses later calls.
///
/// # Examples
/// ```no_run
/// use cninfra_kv::{KvStore, PutOptions};
/// use cninfra_kv_etcd::{EtcdConfig, EtcdStore};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let store = EtcdStore::connect(&EtcdConfig::with_endpoints(["127.0.0.1:2379"])).await?;
/// let revision = store.put("/vnf-agent/vpp1/config/a", "1".into(), PutOptions::default()).await?;
/// assert_eq!(store.get("/vnf-agent/vpp1/config/a").await?.map(|v| v.revision), Some(revision));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct EtcdStore {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    clients: OnceLock<Clients>,
    op_timeout: Duration,
    reconnect_interval: Duration,
    /// More than one endpoint: a read that found its member unreachable is tried again
    /// (on another member).
    cluster: bool,
    closed: CancellationToken,
}

struct Clients {
    raw: Client,
    kv: KvClient,
    watch: WatchClient,
    lease: LeaseClient,
}

impl fmt::Debug for EtcdStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EtcdStore")
            .field("name", &self.inner.name)
            .field("connected", &self.inner.clients.get().is_some())
            .field("closed", &self.inner.closed.is_cancelled())
            .finish()
    }
}

impl EtcdStore {
    /// Connects to etcd as `config` says and waits (within `dial-timeout`) until it
    /// answers. Endpoints missing from the config come from `ETCD_ENDPOINTS` /
    /// `ETCDV3_ENDPOINTS` of the process environment, else `127.0.0.1:2379`.
    ///
    /// # Errors
    /// An [`EtcdError`] naming the setting, file or endpoints at fault:
    /// [`Unreachable`](EtcdError::Unreachable) when nothing answered in time,
    /// [`Auth`](EtcdError::Auth) for a refused login, [`TlsFile`](EtcdError::TlsFile) for an
    /// unreadable TLS file.
    pub async fn connect(config: &EtcdConfig) -> Result<Self, EtcdError> {
        let endpoints = config.resolve_endpoints(|name| std::env::var(name).ok());
        let connector = Connector::new(config, endpoints)?;
        let (client, _) = connector.connect().await?;
        let store = Self::unconnected(config, &connector);
        store.install(client);
        Ok(store)
    }

    /// A store that answers [`KvError::Unavailable`] until [`install`](Self::install) gives
    /// it a client (delayed start).
    pub(crate) fn unconnected(config: &EtcdConfig, connector: &Connector) -> Self {
        Self {
            inner: Arc::new(Inner {
                name: format!("etcd {}", connector.endpoint_list()),
                clients: OnceLock::new(),
                op_timeout: config.operation_timeout,
                reconnect_interval: config.reconnect_interval,
                cluster: connector.endpoints.len() > 1,
                closed: CancellationToken::new(),
            }),
        }
    }

    /// Gives an unconnected store its client; later calls keep the first.
    pub(crate) fn install(&self, client: Client) {
        let clients = Clients {
            kv: client.kv_client().max_decoding_message_size(MAX_MESSAGE),
            watch: client.watch_client().max_decoding_message_size(MAX_MESSAGE),
            lease: client.lease_client(),
            raw: client,
        };
        let _ = self.inner.clients.set(clients);
    }

    /// The underlying `etcd-client` client, for what the broker API does not cover
    /// (elections, locks, cluster members); `None` before a delayed start connected.
    pub fn client(&self) -> Option<Client> {
        self.inner.clients.get().map(|c| c.raw.clone())
    }

    /// Whether the store has connected at least once (it may be disconnected now).
    pub fn has_connected(&self) -> bool {
        self.inner.clients.get().is_some()
    }

    /// Discards the history before `revision` (physically, waiting until it is done).
    /// Watchers that later ask for older revisions get a
    /// [`Compacted`](cninfra_kv::ResyncReason::Compacted) resync.
    ///
    /// # Errors
    /// As for every request; etcd refuses a revision above the current one or one already
    /// compacted.
    pub async fn compact(&self, revision: u64) -> Result<(), KvError> {
        let mut kv = self.clients()?.kv.clone();
        let revision = self.revision_arg(revision)?;
        let options = CompactionOptions::new().with_physical();
        self.request("compact", kv.compact(revision, Some(options)))
            .await
            .map(drop)
    }

    /// The cluster's revision, id and term, by a linearizable read: it needs a leader and a
    /// quorum behind it, so it fails (within the operation timeout) when the cluster lost
    /// its quorum, however many members still answer; and the revision is the cluster's,
    /// not that of a member lagging behind.
    pub(crate) async fn probe(&self) -> Result<ServerMark, KvError> {
        let kv = self.kv_client()?;
        let options = GetOptions::new().with_count_only();
        let answer = self
            .read("probe", || {
                let (mut kv, options) = (kv.clone(), options.clone());
                async move { kv.get(PROBE_KEY, Some(options)).await }
            })
            .await?;
        match answer {
            Ok(response) => Ok(ServerMark::of(response.header())),
            // etcd checks permissions after the read index: the quorum answered, but this
            // user may not read the key. The member's status has the mark.
            Err(etcd_client::Error::GRpcStatus(status))
                if status.code() == tonic::Code::PermissionDenied =>
            {
                let mut raw = self.clients()?.raw.clone();
                let status = self.request("status", raw.status()).await?;
                Ok(ServerMark::of(status.header()))
            }
            Err(err) => Err(kv_error(&self.inner.name, "probe", err)),
        }
    }

    pub(crate) fn reconnect_interval(&self) -> Duration {
        self.inner.reconnect_interval
    }

    pub(crate) fn closed_token(&self) -> &CancellationToken {
        &self.inner.closed
    }

    fn clients(&self) -> Result<&Clients, KvError> {
        if self.inner.closed.is_cancelled() {
            return Err(KvError::Closed {
                store: self.inner.name.clone(),
            });
        }
        self.inner
            .clients
            .get()
            .ok_or_else(|| KvError::Unavailable {
                store: self.inner.name.clone(),
                source: "not connected yet (allow-delayed-start: waiting for etcd)".into(),
            })
    }

    fn watch_client(&self) -> Result<WatchClient, KvError> {
        self.clients().map(|c| c.watch.clone())
    }

    fn kv_client(&self) -> Result<KvClient, KvError> {
        self.clients().map(|c| c.kv.clone())
    }

    /// Runs one request within the operation timeout and maps its error.
    async fn request<T>(
        &self,
        op: &'static str,
        call: impl Future<Output = Result<T, etcd_client::Error>>,
    ) -> Result<T, KvError> {
        self.timed(op, call)
            .await?
            .map_err(|err| kv_error(&self.inner.name, op, err))
    }

    /// Runs one request within the operation timeout; the client's error is left as is.
    pub(crate) async fn timed<T>(
        &self,
        op: &'static str,
        call: impl Future<Output = Result<T, etcd_client::Error>>,
    ) -> Result<Result<T, etcd_client::Error>, KvError> {
        tokio::time::timeout(self.inner.op_timeout, call)
            .await
            .map_err(|_| self.timeout(op))
    }

    /// Runs a request that changes nothing (a read, creating a watch) within the operation
    /// timeout. With several endpoints it is made again while it fails as unavailable:
    /// the client's balancer keeps sending some requests to a member that is down, and
    /// the next attempt may go to one that is up. The client's error of the last attempt
    /// is left as is; a timeout without one is [`KvError::Timeout`].
    pub(crate) async fn read<T, F, Fut>(
        &self,
        op: &'static str,
        mut call: F,
    ) -> Result<Result<T, etcd_client::Error>, KvError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, etcd_client::Error>>,
    {
        if !self.inner.cluster {
            return self.timed(op, call()).await;
        }
        let deadline = Instant::now() + self.inner.op_timeout;
        loop {
            let answer = tokio::time::timeout_at(deadline, call()).await;
            match answer {
                Ok(Err(err)) if is_unavailable(&err) && Instant::now() < deadline => {
                    debug!(target: LOG, op, error = %gist(&err), "a member did not answer; trying again");
                    tokio::time::sleep(RETRY_READ).await;
                    if Instant::now() >= deadline {
                        return Ok(Err(err));
                    }
                }
                Ok(answer) => return Ok(answer),
                Err(_) => return Err(self.timeout(op)),
            }
        }
    }

    fn timeout(&self, op: &'static str) -> KvError {
        KvError::Timeout {
            store: self.inner.name.clone(),
            op,
            after: self.inner.op_timeout,
        }
    }

    fn revision_arg(&self, revision: u64) -> Result<i64, KvError> {
        i64::try_from(revision).map_err(|_| KvError::Backend {
            store: self.inner.name.clone(),
            op: "revision",
            source: format!("revision {revision} is out of etcd's range").into(),
        })
    }

    /// A lease of `ttl` rounded up to whole seconds, for a put with a TTL.
    async fn lease_for(&self, lease: &mut LeaseClient, ttl: Duration) -> Result<i64, KvError> {
        let seconds = ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0);
        let seconds = i64::try_from(seconds.max(1)).unwrap_or(i64::MAX);
        let granted = self
            .request("put with ttl", lease.grant(seconds, None))
            .await?;
        Ok(granted.id())
    }

    fn put_options(lease: Option<i64>) -> Option<etcd_client::PutOptions> {
        lease.map(|id| etcd_client::PutOptions::new().with_lease(id))
    }

    async fn txn_op(
        &self,
        lease: &mut LeaseClient,
        op: TxnOp,
    ) -> Result<etcd_client::TxnOp, KvError> {
        match op {
            TxnOp::Put {
                key,
                value,
                options,
            } => {
                let lease_id = self.lease_of(lease, &options).await?;
                Ok(etcd_client::TxnOp::put(
                    key,
                    Vec::from(value),
                    Self::put_options(lease_id),
                ))
            }
            TxnOp::Delete { key, options } => {
                let range = delete_range(&key, &options);
                let options = etcd_client::DeleteOptions::new().with_range(range.end);
                Ok(etcd_client::TxnOp::delete(range.start, Some(options)))
            }
            _ => Err(KvError::unsupported(
                self.name(),
                "this transaction operation",
            )),
        }
    }
}

/// The keys a delete touches: the key alone, or every key under it.
fn delete_range(key: &str, options: &DeleteOptions) -> KeyRange {
    if options.prefix {
        KeyRange::prefix(key)
    } else {
        KeyRange {
            start: key.as_bytes().to_vec(),
            end: Vec::new(),
        }
    }
}

fn revision_of(header: Option<&etcd_client::ResponseHeader>) -> u64 {
    header.map_or(0, |h| u64::try_from(h.revision()).unwrap_or(0))
}

#[async_trait]
impl KvStore for EtcdStore {
    fn name(&self) -> &str {
        &self.inner.name
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::ALL
    }

    async fn get(&self, key: &str) -> Result<Option<KvValue>, KvError> {
        validate_key(key)?;
        let kv = self.kv_client()?;
        let mut response = self
            .read("get", || {
                let mut kv = kv.clone();
                async move { kv.get(key, None).await }
            })
            .await?
            .map_err(|err| kv_error(&self.inner.name, "get", err))?;
        Ok(response.take_kvs().into_iter().next().map(|found| {
            let revision = u64::try_from(found.mod_revision()).unwrap_or(0);
            let (_, value) = found.into_key_value();
            KvValue {
                value: Bytes::from(value),
                revision,
            }
        }))
    }

    fn list_values(&self, prefix: &str) -> KvStream<'_, KvEntry> {
        list::values(self.clone(), prefix)
    }

    fn list_keys(&self, prefix: &str) -> KvStream<'_, String> {
        list::keys(self.clone(), prefix)
    }

    async fn put(&self, key: &str, value: Bytes, options: PutOptions) -> Result<u64, KvError> {
        validate_key(key)?;
        let clients = self.clients()?;
        let lease_id = self.lease_of(&mut clients.lease.clone(), &options).await?;
        let mut kv = clients.kv.clone();
        let put = kv.put(key, Vec::from(value), Self::put_options(lease_id));
        match self.timed("put", put).await? {
            Ok(response) => Ok(revision_of(response.header())),
            Err(err) => Err(self.lease_error("put", options.lease, err)),
        }
    }

    async fn delete(&self, key: &str, options: DeleteOptions) -> Result<bool, KvError> {
        if !options.prefix {
            validate_key(key)?;
        }
        let mut kv = self.kv_client()?;
        let range = delete_range(key, &options);
        let delete_options = etcd_client::DeleteOptions::new().with_range(range.end);
        let response = self
            .request("delete", kv.delete(range.start, Some(delete_options)))
            .await?;
        Ok(response.deleted() > 0)
    }

    async fn txn(&self, ops: Vec<TxnOp>) -> Result<u64, KvError> {
        for op in &ops {
            match op {
                TxnOp::Delete { key, options } if options.prefix => {}
                other => validate_key(other.key())?,
            }
        }
        let lease_named = ops.iter().find_map(|op| match op {
            TxnOp::Put { options, .. } => options.lease,
            _ => None,
        });
        let clients = self.clients()?;
        let (mut kv, mut lease) = (clients.kv.clone(), clients.lease.clone());
        let mut etcd_ops = Vec::with_capacity(ops.len());
        for op in ops {
            etcd_ops.push(self.txn_op(&mut lease, op).await?);
        }
        let txn = etcd_client::Txn::new().and_then(etcd_ops);
        match self.timed("txn", kv.txn(txn)).await? {
            Ok(response) => Ok(revision_of(response.header())),
            Err(err) => Err(self.lease_error("txn", lease_named, err)),
        }
    }

    async fn watch(
        &self,
        prefixes: &[&str],
        from_revision: Option<u64>,
    ) -> Result<WatchStream, KvError> {
        watch::start(self.clone(), prefixes, from_revision).await
    }

    async fn revision(&self) -> Result<u64, KvError> {
        Ok(self.probe().await?.revision)
    }

    async fn put_if_absent(
        &self,
        key: &str,
        value: Bytes,
        options: PutOptions,
    ) -> Result<Option<u64>, KvError> {
        self.put_if_absent_txn(key, value, options).await
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        old: Bytes,
        new: Bytes,
        options: PutOptions,
    ) -> Result<Option<u64>, KvError> {
        self.compare_and_swap_txn(key, old, new, options).await
    }

    async fn compare_and_delete(&self, key: &str, old: Bytes) -> Result<Option<u64>, KvError> {
        self.compare_and_delete_txn(key, old).await
    }

    async fn grant_lease(&self, ttl: Duration) -> Result<LeaseId, KvError> {
        self.grant(ttl).await
    }

    async fn keep_lease_alive(&self, lease: LeaseId) -> Result<bool, KvError> {
        self.refresh(lease).await
    }

    async fn revoke_lease(&self, lease: LeaseId) -> Result<bool, KvError> {
        self.revoke(lease).await
    }

    async fn close(&self) -> Result<(), KvError> {
        self.inner.closed.cancel();
        Ok(())
    }
}
