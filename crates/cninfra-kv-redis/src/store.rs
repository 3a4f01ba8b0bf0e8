//! [`RedisStore`]: the [`KvStore`] API on one Redis node.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use crate::cluster::Con;
use bytes::Bytes;
use cninfra_health::{Connection, ConnectionState};
use cninfra_kv::{
    Capabilities, DeleteOptions, KvEntry, KvError, KvStore, KvStream, KvValue, PutOptions, TxnOp,
    WatchStream, async_trait, validate_key,
};
use redis::Script;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::config::RedisConfig;
use crate::connect::{Target, timed};
use crate::error::{RedisError, kv_error};
use crate::list;
use crate::scripts;
use crate::state::StateTracker;

/// What this connector supports: no revisions (Redis has none), lists unsorted (SCAN
/// order), previous values only with exact watch values (writes announce them), no
/// transactions in a cluster (`MULTI` needs one hash slot).
fn capabilities(exact_values: bool, cluster: bool) -> Capabilities {
    let mut caps = Capabilities::ALL;
    caps.revisions = false;
    caps.watch_from_revision = false;
    caps.sorted_lists = false;
    caps.prev_values = exact_values;
    caps.txn = !cluster;
    caps.leases = false;
    caps
}

/// The KV broker API on Redis (a single node, the master the sentinels name, or a cluster): values under plain keys (`GET`/`SET`, readable
/// by any Redis client; with [exact watch values](RedisConfig::exact_watch_values) writes
/// run as scripts that also announce them), lists by `SCAN` + `MGET`, transactions by `MULTI`/`EXEC`, TTLs by
/// `SET … PX`, watches by keyspace notifications. Cloning is cheap; clones share the
/// connection.
///
/// See the [crate docs](crate) for what Redis gives instead of revisions and how watches
/// resync.
///
/// # Examples
/// ```no_run
/// use cninfra_kv::{KvStore, PutOptions};
/// use cninfra_kv_redis::{RedisConfig, RedisStore};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let store = RedisStore::connect(&RedisConfig::node("127.0.0.1:6379")).await?;
/// store.put("/vnf-agent/vpp1/config/a", "1".into(), PutOptions::default()).await?;
/// let got = store.get("/vnf-agent/vpp1/config/a").await?;
/// assert_eq!(got.map(|v| v.value), Some("1".into()));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) name: String,
    pub(crate) target: Target,
    /// The command connection and the address of its node (which changes when a sentinel
    /// failover moves the master; see [`crate::failover`]).
    master: RwLock<(String, Con)>,
    /// A search for a new master is under way.
    pub(crate) following: AtomicBool,
    /// Sentinel mode: the master's connection failed and the sentinels have not confirmed
    /// a master since; commands are refused (see [`crate::failover`]).
    pub(crate) unconfirmed: AtomicBool,
    pub(crate) command_timeout: Duration,
    pub(crate) enable_keyspace_events: bool,
    /// Writes go through [`scripts`] (see [`RedisConfig::exact_watch_values`]).
    pub(crate) exact_values: bool,
    /// `WAIT` after each write: how many replicas, and for how long (see
    /// [`RedisConfig::wait_for_replicas`]); 0 replicas for none.
    wait_for_replicas: u32,
    wait_timeout: Duration,
    /// `cninfra-kv@<db>:`: channels of the announcements of [`scripts`].
    pub(crate) announce_prefix: String,
    /// `__keyspace@<db>__:`: channels of the keyspace notifications.
    pub(crate) keyspace_prefix: String,
    pub(crate) state: StateTracker,
    /// Cancelled by [`KvStore::close`]; ends the watches.
    pub(crate) closed: CancellationToken,
    /// Set by [`KvStore::close`]; checked on every command (cheaper than the token).
    pub(crate) is_closed: AtomicBool,
    put_script: Script,
    delete_script: Script,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("name", &self.inner.name)
            .field("closed", &self.inner.is_closed.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects to the node of `config` within its dial timeout (authenticating and
    /// selecting the database) and checks its keyspace notifications: when they are off,
    /// it turns them on if `enable-keyspace-events` is set, else logs a warning (the store
    /// works, [`watch`](KvStore::watch) refuses with an error naming the setting).
    ///
    /// # Errors
    /// A [`RedisError`] naming the endpoint: [`DialTimeout`](RedisError::DialTimeout),
    /// [`Auth`](RedisError::Auth), [`Connect`](RedisError::Connect); config problems
    /// ([`TlsFile`](RedisError::TlsFile), [`InvalidConfig`](RedisError::InvalidConfig), ...)
    /// before any connection is tried; [`NoMaster`](RedisError::NoMaster) in sentinel mode; [`KeyspaceEventsConfig`](RedisError::KeyspaceEventsConfig)
    /// when enabling them was asked for and failed.
    pub async fn connect(config: &RedisConfig) -> Result<Self, RedisError> {
        Self::connect_with(config, Connection::new(crate::LOG)).await
    }

    /// [`connect`](Self::connect), publishing the connection state on `connection` (the
    /// plugin's, which exists before the store).
    pub(crate) async fn connect_with(
        config: &RedisConfig,
        connection: Connection,
    ) -> Result<Self, RedisError> {
        let target = Target::new(config)?;
        if config.pool != crate::PoolConfig::default() {
            tracing::warn!(target: crate::LOG, "`pool` settings have no effect: commands share one multiplexed connection");
        }
        let (address, mut con) = target.manager().await?;
        match target
            .ensure_keyspace_events(&mut con, config.enable_keyspace_events)
            .await
        {
            Ok(()) => {}
            Err(err @ RedisError::KeyspaceEventsOff { .. }) => {
                tracing::warn!(target: crate::LOG, error = %err, "watches will be refused");
            }
            Err(err) if config.enable_keyspace_events => return Err(err),
            Err(err) => {
                tracing::warn!(target: crate::LOG, error = %err, "cannot check keyspace notifications")
            }
        }
        tracing::info!(target: crate::LOG, endpoint = %target.endpoint, node = %address, db = config.db, "connected to redis");
        let db = config.db;
        Ok(Self {
            inner: Arc::new(Inner {
                name: format!("redis {}", target.endpoint),
                state: StateTracker::new(connection),
                target,
                master: RwLock::new((address, con)),
                following: AtomicBool::new(false),
                unconfirmed: AtomicBool::new(false),
                command_timeout: config.command_timeout(),
                enable_keyspace_events: config.enable_keyspace_events,
                exact_values: config.exact_watch_values,
                wait_for_replicas: config.wait_for_replicas,
                wait_timeout: config.effective_read_timeout(),
                announce_prefix: format!("cninfra-kv@{db}:"),
                keyspace_prefix: format!("__keyspace@{db}__:"),
                closed: CancellationToken::new(),
                is_closed: AtomicBool::new(false),
                put_script: Script::new(scripts::PUT),
                delete_script: Script::new(scripts::DELETE),
            }),
        })
    }

    /// A receiver of the connection state; it changes when a command or a watch finds the
    /// connection lost, and when one succeeds again.
    pub fn connection_state(&self) -> watch::Receiver<ConnectionState> {
        self.inner.state.subscribe()
    }

    /// Sends `PING` (the plugin's connection check).
    ///
    /// # Errors
    /// [`KvError::Unavailable`] or [`KvError::Timeout`] when the server does not answer.
    pub async fn ping(&self) -> Result<(), KvError> {
        let mut con = self.inner.con();
        self.run("ping", redis::cmd("PING").query_async::<()>(&mut con))
            .await
    }

    /// Runs one command on the command connection (whose response time limit is the
    /// command time limit), tracking the connection state.
    pub(crate) async fn run<T>(
        &self,
        op: &'static str,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, KvError> {
        self.usable()?;
        let result = call.await;
        self.inner.state.observe(&result);
        if let Err(err) = &result
            && (crate::error::is_connection_error(err) || err.code() == Some("READONLY"))
        {
            crate::failover::master_lost(self);
        }
        result.map_err(|err| kv_error(&self.inner.name, op, self.inner.command_timeout, err))
    }

    /// Refuses commands when the store is closed, and in sentinel mode while the
    /// sentinels have not confirmed the master since its connection failed (looking for
    /// it again).
    pub(crate) fn usable(&self) -> Result<(), KvError> {
        let inner = &self.inner;
        if inner.is_closed.load(Ordering::Relaxed) {
            return Err(KvError::Closed {
                store: inner.name.clone(),
            });
        }
        if inner.unconfirmed.load(Ordering::Acquire) {
            crate::failover::follow(self);
            return Err(KvError::Unavailable {
                store: inner.name.clone(),
                source: Box::new(RedisError::MasterUnconfirmed),
            });
        }
        Ok(())
    }

    /// [`run`](Self::run) for calls on other connections (pub/sub), with the time limit
    /// applied here.
    pub(crate) async fn run_timed<T>(
        &self,
        op: &'static str,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, KvError> {
        let limit = self.inner.command_timeout;
        self.run(op, timed(limit, call)).await
    }

    /// `WAIT <wait-for-replicas> <read-timeout ms>`, or `None` when writes wait for no
    /// replica.
    fn wait_command(&self) -> Option<redis::Cmd> {
        let inner = &self.inner;
        (inner.wait_for_replicas > 0).then(|| {
            let mut wait = redis::cmd("WAIT");
            wait.arg(inner.wait_for_replicas)
                .arg(u64::try_from(inner.wait_timeout.as_millis()).unwrap_or(u64::MAX));
            wait
        })
    }

    /// Checks `WAIT`'s answer against `wait-for-replicas`.
    fn check_replicated(&self, confirmed: u32) -> Result<(), KvError> {
        let wanted = self.inner.wait_for_replicas;
        if confirmed >= wanted {
            return Ok(());
        }
        Err(KvError::Unavailable {
            store: self.inner.name.clone(),
            source: Box::new(RedisError::NotReplicated {
                wanted,
                confirmed,
                timeout: self.inner.wait_timeout,
            }),
        })
    }

    /// Runs the writes of `pipe` and `wait` after them in one pipeline (so on one
    /// connection, and in a cluster on the master of the pipeline's key), checks the
    /// replicas' confirmation and returns the replies of the writes.
    async fn write_replicated(
        &self,
        op: &'static str,
        mut pipe: redis::Pipeline,
        wait: redis::Cmd,
    ) -> Result<Vec<redis::Value>, KvError> {
        pipe.add_command(wait);
        let mut con = self.inner.con();
        let mut replies: Vec<redis::Value> = self.run(op, pipe.query_async(&mut con)).await?;
        let confirmed = replies
            .pop()
            .and_then(|reply| redis::from_redis_value::<u32>(reply).ok())
            .unwrap_or(0);
        self.check_replicated(confirmed)?;
        Ok(replies)
    }

    /// After writes that ran on their own: `WAIT` on the command connection (in a cluster
    /// on every master, the fewest confirmations counting), when writes wait for replicas.
    async fn wait_replicated(&self, op: &'static str) -> Result<(), KvError> {
        let Some(wait) = self.wait_command() else {
            return Ok(());
        };
        let mut con = self.inner.con();
        let confirmed: u32 = self.run(op, wait.query_async(&mut con)).await?;
        self.check_replicated(confirmed)
    }

    /// Deletes the given keys (announcing them with exact watch values); returns how many
    /// existed.
    pub(crate) async fn delete_keys(&self, keys: &[String]) -> Result<u64, KvError> {
        if keys.is_empty() {
            return Ok(0);
        }
        if let Some(wait) = self.wait_command() {
            // One pipeline with its WAIT, unless the keys may lie on several masters.
            if keys.len() == 1 || !self.inner.target.is_cluster() {
                let mut pipe = redis::pipe();
                self.pipe_delete(&mut pipe, keys);
                let replies = self.write_replicated("delete", pipe, wait).await?;
                let deleted = replies
                    .into_iter()
                    .next()
                    .map(redis::from_redis_value::<u64>)
                    .transpose()
                    .map_err(|err| {
                        kv_error(
                            &self.inner.name,
                            "delete",
                            self.inner.command_timeout,
                            err.into(),
                        )
                    })?;
                return Ok(deleted.unwrap_or(0));
            }
        }
        let deleted = self.delete_keys_unwaited(keys).await?;
        self.wait_replicated("delete").await?;
        Ok(deleted)
    }

    /// [`delete_keys`](Self::delete_keys) without waiting for replicas.
    async fn delete_keys_unwaited(&self, keys: &[String]) -> Result<u64, KvError> {
        let mut con = self.inner.con();
        if !self.inner.exact_values {
            let mut del = redis::cmd("DEL");
            del.arg(keys);
            return self.run("delete", del.query_async::<u64>(&mut con)).await;
        }
        let mut call = self.inner.delete_script.prepare_invoke();
        for key in keys {
            call.key(key);
        }
        call.arg(&self.inner.announce_prefix);
        self.run("delete", call.invoke_async::<u64>(&mut con)).await
    }

    /// Adds a put to `pipe`: a plain `SET`, or with exact watch values the announcing
    /// script (as `EVAL`, so no `NOSCRIPT` can fail one command of an `EXEC`).
    fn pipe_put(&self, pipe: &mut redis::Pipeline, key: &str, value: &[u8], ttl: u128) {
        if self.inner.exact_values {
            pipe.cmd("EVAL")
                .arg(scripts::PUT)
                .arg(1)
                .arg(key)
                .arg(value)
                .arg(&self.inner.announce_prefix)
                .arg(ttl.to_string());
        } else if ttl == 0 {
            pipe.cmd("SET").arg(key).arg(value);
        } else {
            pipe.cmd("SET")
                .arg(key)
                .arg(value)
                .arg("PX")
                .arg(ttl.to_string());
        }
    }

    /// Adds a delete of `keys` to `pipe`.
    fn pipe_delete(&self, pipe: &mut redis::Pipeline, keys: &[String]) {
        if keys.is_empty() {
            return;
        }
        if self.inner.exact_values {
            pipe.cmd("EVAL")
                .arg(scripts::DELETE)
                .arg(keys.len())
                .arg(keys)
                .arg(&self.inner.announce_prefix);
        } else {
            pipe.cmd("DEL").arg(keys);
        }
    }

    /// Every key under `prefix` (one SCAN), for prefix deletes.
    async fn keys_under(&self, prefix: &str) -> Result<Vec<String>, KvError> {
        use futures::TryStreamExt;
        list::keys(self.clone(), prefix).try_collect().await
    }
}

/// Milliseconds for `SET … PX`, rounded up, at least 1.
pub(crate) fn ttl_millis(ttl: Option<Duration>) -> u128 {
    ttl.map_or(0, |ttl| ttl.as_nanos().div_ceil(1_000_000).max(1))
}

#[async_trait]
impl KvStore for RedisStore {
    fn name(&self) -> &str {
        &self.inner.name
    }

    fn capabilities(&self) -> Capabilities {
        capabilities(self.inner.exact_values, self.inner.target.is_cluster())
    }

    async fn get(&self, key: &str) -> Result<Option<KvValue>, KvError> {
        validate_key(key)?;
        let mut con = self.inner.con();
        let value: Option<Vec<u8>> = self
            .run("get", redis::cmd("GET").arg(key).query_async(&mut con))
            .await?;
        Ok(value.map(|value| KvValue {
            value: Bytes::from(value),
            revision: 0,
        }))
    }

    fn list_values(&self, prefix: &str) -> KvStream<'_, KvEntry> {
        list::entries(self.clone(), prefix)
    }

    fn list_keys(&self, prefix: &str) -> KvStream<'_, String> {
        list::keys(self.clone(), prefix)
    }

    async fn put(&self, key: &str, value: Bytes, options: PutOptions) -> Result<u64, KvError> {
        validate_key(key)?;
        options.check(self.name(), self.capabilities())?;
        let ttl = ttl_millis(options.ttl);
        if let Some(wait) = self.wait_command() {
            let mut pipe = redis::pipe();
            self.pipe_put(&mut pipe, key, &value, ttl);
            self.write_replicated("put", pipe, wait).await?;
            return Ok(0);
        }
        let mut con = self.inner.con();
        if !self.inner.exact_values {
            let mut set = redis::cmd("SET");
            set.arg(key).arg(value.as_ref());
            if ttl > 0 {
                set.arg("PX").arg(ttl.to_string());
            }
            self.run("put", set.query_async::<()>(&mut con)).await?;
            return Ok(0);
        }
        let mut call = self.inner.put_script.key(key);
        call.arg(value.as_ref())
            .arg(&self.inner.announce_prefix)
            .arg(ttl.to_string());
        self.run("put", call.invoke_async::<()>(&mut con)).await?;
        Ok(0)
    }

    async fn delete(&self, key: &str, options: DeleteOptions) -> Result<bool, KvError> {
        if options.prefix {
            let mut deleted = 0;
            // Page by page, so a huge prefix does not become one huge script call.
            for chunk in self.keys_under(key).await?.chunks(list::SCAN_COUNT) {
                deleted += self.delete_keys(chunk).await?;
            }
            return Ok(deleted > 0);
        }
        validate_key(key)?;
        Ok(self.delete_keys(&[key.to_owned()]).await? > 0)
    }

    async fn txn(&self, ops: Vec<TxnOp>) -> Result<u64, KvError> {
        if self.inner.target.is_cluster() {
            return Err(KvError::unsupported(
                self.name(),
                "transactions in cluster mode (MULTI needs all keys in one hash slot)",
            ));
        }
        // Check every op before anything is sent, so an invalid one applies nothing.
        for op in &ops {
            let prefix_delete = matches!(op, TxnOp::Delete { options, .. } if options.prefix);
            if !prefix_delete {
                validate_key(op.key())?;
            }
            if let TxnOp::Put { options, .. } = op {
                options.check(self.name(), self.capabilities())?;
            }
        }
        let mut pipe = redis::pipe();
        pipe.atomic();
        for op in ops {
            match op {
                TxnOp::Put {
                    key,
                    value,
                    options,
                } => self.pipe_put(&mut pipe, &key, &value, ttl_millis(options.ttl)),
                TxnOp::Delete { key, options } => {
                    let keys = if options.prefix {
                        self.keys_under(&key).await?
                    } else {
                        vec![key]
                    };
                    self.pipe_delete(&mut pipe, &keys);
                }
                _ => return Err(KvError::unsupported(self.name(), "this txn operation")),
            }
        }
        if pipe.is_empty() {
            return Ok(0);
        }
        let mut con = self.inner.con();
        self.run("txn", pipe.exec_async(&mut con)).await?;
        self.wait_replicated("txn").await?;
        Ok(0)
    }

    async fn watch(
        &self,
        prefixes: &[&str],
        from_revision: Option<u64>,
    ) -> Result<WatchStream, KvError> {
        if from_revision.is_some() {
            return Err(KvError::unsupported(
                self.name(),
                "watch from a revision (Redis has no revisions: watch, then list)",
            ));
        }
        crate::watch::start(self.clone(), prefixes).await
    }

    async fn put_if_absent(
        &self,
        key: &str,
        value: Bytes,
        options: PutOptions,
    ) -> Result<Option<u64>, KvError> {
        self.put_if_absent_script(key, value, &options).await
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        old: Bytes,
        new: Bytes,
        options: PutOptions,
    ) -> Result<Option<u64>, KvError> {
        self.compare_and_swap_script(key, old, new, &options).await
    }

    async fn compare_and_delete(&self, key: &str, old: Bytes) -> Result<Option<u64>, KvError> {
        self.compare_and_delete_script(key, old).await
    }

    async fn close(&self) -> Result<(), KvError> {
        self.inner.is_closed.store(true, Ordering::Relaxed);
        self.inner.closed.cancel();
        Ok(())
    }
}

impl Inner {
    /// The command connection (a cheap clone).
    pub(crate) fn con(&self) -> Con {
        let master = self.master.read().unwrap_or_else(PoisonError::into_inner);
        master.1.clone()
    }

    /// Moves the command connection to the node at `address`; false (and nothing
    /// changes) when it is there already.
    pub(crate) fn set_master(&self, address: String, con: Con) -> bool {
        let mut master = self.master.write().unwrap_or_else(PoisonError::into_inner);
        if master.0 == address {
            return false;
        }
        *master = (address, con);
        true
    }
}

impl RedisError {
    /// This error as a [`KvError::Backend`] of `op` on `store`.
    pub(crate) fn into_kv(self, store: &str, op: &'static str) -> KvError {
        KvError::Backend {
            store: store.to_owned(),
            op,
            source: Box::new(self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_round_up_to_whole_milliseconds() {
        assert_eq!(ttl_millis(None), 0);
        assert_eq!(ttl_millis(Some(Duration::from_micros(1))), 1);
        assert_eq!(ttl_millis(Some(Duration::from_micros(1500))), 2);
        assert_eq!(ttl_millis(Some(Duration::from_secs(30))), 30_000);
    }

    #[test]
    fn capabilities_say_what_redis_lacks() {
        for exact in [true, false] {
            let caps = capabilities(exact, false);
            assert!(!caps.revisions && !caps.watch_from_revision && !caps.sorted_lists);
            assert!(caps.watch && caps.txn && caps.ttl && caps.delete_prefix);
            assert_eq!(caps.prev_values, exact);
        }
        let cluster = capabilities(false, true);
        assert!(!cluster.txn && cluster.watch && cluster.ttl && !cluster.prev_values);
    }
}
