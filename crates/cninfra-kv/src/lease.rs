//! Leases and [`Session`]s: keys that live only as long as the agent that wrote them.
//!
//! A lease is granted by the store ([`KvStore::grant_lease`]) with a TTL and expires unless
//! it is kept alive ([`KvStore::keep_lease_alive`]); keys put with
//! [`PutOptions::with_lease`] are deleted with it. A [`Session`] owns one lease and keeps it
//! alive from a background task for as long as the session lives (upstream's
//! `WithClientLifetimeTTL`): when the agent dies, even by `SIGKILL`, the keep-alives stop
//! and the store deletes the session's keys one TTL later.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::error::KvError;
use crate::store::{KvStore, PutOptions};

/// The identity of a lease granted by a store ([`KvStore::grant_lease`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LeaseId(pub u64);

impl fmt::Display for LeaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:x}", self.0)
    }
}

/// What the keep-alive task knows about the lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Validity {
    /// The lease cannot have expired on the server before this instant: it is the send time
    /// of the last successful keep-alive (or of the grant) plus the TTL, and the server
    /// counts the TTL from when it received that request, which is later.
    until: Instant,
    /// The task gave up: the store said the lease is gone, or `until` passed.
    lost: bool,
}

/// A lease kept alive by a background task while the session lives; keys written with
/// [`put_options`](Self::put_options) vanish when the session ends, whether it is
/// [closed](Self::close), dropped (after one TTL), or its process is killed (after one
/// TTL).
///
/// The session is *lost* when the store answers that the lease is gone, or when no
/// keep-alive succeeded for a whole TTL (the store may have expired it): [`lost`]
/// resolves and [`is_alive`](Self::is_alive) turns false no later than the instant the
/// store could expire the lease, so a holder of something guarded by the lease (a
/// leadership) stops in time.
///
/// Needs a store with [`Capabilities::leases`](crate::Capabilities::leases) and a tokio
/// runtime.
///
/// [`lost`]: Self::lost
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use cninfra_kv::{KvStore, MemoryStore, Session};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), cninfra_kv::KvError> {
/// let store: Arc<dyn KvStore> = Arc::new(MemoryStore::new());
/// let session = Session::start(Arc::clone(&store), Duration::from_secs(5)).await?;
/// store.put("/agents/vpp1", "alive".into(), session.put_options()).await?;
/// assert!(session.is_alive());
/// session.close().await?; // revokes the lease: the key is gone
/// assert!(store.get("/agents/vpp1").await?.is_none());
/// # Ok(()) }
/// ```
pub struct Session {
    store: Arc<dyn KvStore>,
    lease: LeaseId,
    ttl: Duration,
    validity: watch::Receiver<Validity>,
    keep_alive: JoinHandle<()>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("store", &self.store.name())
            .field("lease", &self.lease)
            .field("ttl", &self.ttl)
            .field("alive", &self.is_alive())
            .finish()
    }
}

impl Session {
    /// Grants a lease of `ttl` on `store` and starts keeping it alive (every third of the
    /// TTL; after a failed attempt, every tenth).
    ///
    /// # Errors
    /// What [`KvStore::grant_lease`] returns: [`KvError::Unsupported`] for a store without
    /// leases, retryable errors when the store cannot be reached.
    pub async fn start(store: Arc<dyn KvStore>, ttl: Duration) -> Result<Self, KvError> {
        let sent = Instant::now();
        let lease = store.grant_lease(ttl).await?;
        let (tx, validity) = watch::channel(Validity {
            until: sent + ttl,
            lost: false,
        });
        let keep_alive = tokio::spawn(keep_alive(Arc::clone(&store), lease, ttl, tx));
        Ok(Self {
            store,
            lease,
            ttl,
            validity,
            keep_alive,
        })
    }

    /// The session's lease.
    pub fn lease(&self) -> LeaseId {
        self.lease
    }

    /// The TTL the session asked for.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Put options that bind a key to the session's lease.
    pub fn put_options(&self) -> PutOptions {
        PutOptions::default().with_lease(self.lease)
    }

    /// Whether the lease is certainly still alive on the store: not lost, and the last
    /// successful keep-alive is less than one TTL old.
    pub fn is_alive(&self) -> bool {
        let validity = *self.validity.borrow();
        !validity.lost && Instant::now() < validity.until
    }

    /// Resolves once the session is lost (at the latest when the store could have expired
    /// the lease); at once when it is lost already.
    pub async fn lost(&self) {
        let mut validity = self.validity.clone();
        // The sender lives in the keep-alive task, which marks the loss before it ends;
        // an error here means the task is gone (aborted), which is a loss too.
        let _ = validity.wait_for(|v| v.lost).await;
    }

    /// Stops keeping the lease alive and revokes it: its keys are deleted now.
    ///
    /// # Errors
    /// What [`KvStore::revoke_lease`] returns (the lease then expires after its TTL).
    pub async fn close(self) -> Result<(), KvError> {
        self.keep_alive.abort();
        self.store.revoke_lease(self.lease).await.map(drop)
    }
}

impl Drop for Session {
    /// Stops the keep-alives; the lease and its keys expire one TTL later.
    fn drop(&mut self) {
        self.keep_alive.abort();
    }
}

/// Refreshes `lease` every third of `ttl` until the store says it is gone or a whole TTL
/// passes without a successful refresh.
async fn keep_alive(
    store: Arc<dyn KvStore>,
    lease: LeaseId,
    ttl: Duration,
    validity: watch::Sender<Validity>,
) {
    let period = ttl / 3;
    let retry = ttl / 10;
    let mut next = Instant::now() + period;
    loop {
        let until = validity.borrow().until;
        tokio::time::sleep_until(next.min(until)).await;
        let sent = Instant::now();
        if sent >= until {
            tracing::warn!(%lease, ?ttl, store = store.name(), "no lease keep-alive succeeded for a whole TTL: session lost");
            break;
        }
        match tokio::time::timeout(until - sent, store.keep_lease_alive(lease)).await {
            Ok(Ok(true)) => {
                validity.send_modify(|v| v.until = sent + ttl);
                next = sent + period;
            }
            Ok(Ok(false)) => {
                tracing::warn!(%lease, store = store.name(), "the store no longer has the lease: session lost");
                break;
            }
            Ok(Err(err)) => {
                tracing::debug!(%lease, error = %err, "lease keep-alive failed; retrying");
                next = Instant::now() + retry;
            }
            Err(_) => next = Instant::now(),
        }
    }
    validity.send_modify(|v| v.lost = true);
}
