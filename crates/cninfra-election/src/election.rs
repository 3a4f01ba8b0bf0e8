//! [`Election`] and [`Leadership`]: campaign for one key, hold it while the session lives.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use cninfra_kv::{ChangeKind, KvError, KvStore, Session, WatchEvent, WatchStream};
use futures::StreamExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::ElectionError;

/// The lease TTL of a campaign unless [`Election::with_ttl`] says otherwise.
pub const DEFAULT_TTL: Duration = Duration::from_secs(10);

/// Who leads, as read from the store by [`Election::leader`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leader {
    /// The value the leader campaigned with (its identity).
    pub value: Bytes,
    /// The revision at which it won: the fencing token of its term.
    pub fencing: u64,
}

/// An election on one key of a store with conditional writes, leases, watches and
/// revisions (etcd; the memory store in tests), as upstream's `CampaignInElection`.
///
/// A candidate starts a [`Session`] (a lease kept alive while it lives) and writes its
/// value under the key with `put_if_absent`, bound to the lease. Whoever wrote it leads;
/// the others watch the key and try again when it is deleted — when the leader
/// [resigns](Leadership::resign), or when its lease expires because its process died
/// (one TTL after its last keep-alive). The revision of the winning write is the
/// leader's *fencing token*: it grows with every term, so a store or service that
/// remembers the highest token it saw can refuse a late write of an older leader.
///
/// A leader stops leading ([`Leadership::lost`]) as soon as its session cannot prove the
/// lease alive — no later than the instant the store could expire it — or when the key
/// is deleted or overwritten. So two campaigns never both hold a live [`Leadership`] on a
/// linearizable store. Clocks are not compared across machines; the only assumption is
/// that the local clock does not run more than a few per cent slower than the store's.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use cninfra_election::Election;
/// use cninfra_kv::{KvStore, MemoryStore};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let store: Arc<dyn KvStore> = Arc::new(MemoryStore::new());
/// let election = Election::new(store, "/vnf-agent/election/leader").with_ttl(Duration::from_secs(5));
/// let leadership = election.campaign("agent-1").await?;
/// assert!(leadership.is_leader());
/// assert_eq!(election.leader().await?.map(|l| l.value), Some("agent-1".into()));
/// leadership.resign().await?; // the next candidate takes over at once
/// assert!(election.leader().await?.is_none());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Election {
    store: Arc<dyn KvStore>,
    key: String,
    ttl: Duration,
}

impl fmt::Debug for Election {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Election")
            .field("store", &self.store.name())
            .field("key", &self.key)
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl Election {
    /// An election on `key` of `store`, with the [`DEFAULT_TTL`].
    pub fn new(store: Arc<dyn KvStore>, key: impl Into<String>) -> Self {
        Self {
            store,
            key: key.into(),
            ttl: DEFAULT_TTL,
        }
    }

    /// The lease TTL of the campaigns: how long a dead leader keeps the key (etcd may
    /// raise very short TTLs to its minimum, about 2 s).
    #[must_use]
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// The election key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The current leader, `None` when nobody leads.
    ///
    /// # Errors
    /// [`ElectionError::Store`] when the store fails.
    pub async fn leader(&self) -> Result<Option<Leader>, ElectionError> {
        let found = self.store.get(&self.key).await.map_err(|e| self.fail(e))?;
        Ok(found.map(|v| Leader {
            value: v.value,
            fencing: v.revision,
        }))
    }

    /// Campaigns with `value` (the candidate's identity; it should be unique among the
    /// candidates) until this candidate leads. Cancel by dropping the future: the session
    /// then ends and nothing of the campaign stays behind after one TTL.
    ///
    /// # Errors
    /// [`ElectionError::Unsupported`] for a store without conditional writes, leases,
    /// watches or revisions; [`ElectionError::SessionLost`] when the campaign's lease could not be kept
    /// alive; [`ElectionError::Store`] when the store fails.
    pub async fn campaign(&self, value: impl Into<Bytes>) -> Result<Leadership, ElectionError> {
        let caps = self.store.capabilities();
        if !(caps.compare_and_swap && caps.leases && caps.watch && caps.revisions) {
            return Err(ElectionError::Unsupported {
                store: self.store.name().to_owned(),
            });
        }
        let value = value.into();
        let session = Session::start(Arc::clone(&self.store), self.ttl)
            .await
            .map_err(|e| self.fail(e))?;
        loop {
            if !session.is_alive() {
                return Err(self.session_lost());
            }
            // Watch before trying, so that a delete right after a failed try is seen.
            let mut watch = self.watch().await?;
            let options = session.put_options();
            let won = self
                .store
                .put_if_absent(&self.key, value.clone(), options)
                .await
                .map_err(|e| self.fail(e))?;
            if let Some(fencing) = won {
                tracing::info!(key = %self.key, fencing, "campaign won");
                return Ok(Leadership::start(
                    self.clone(),
                    session,
                    value,
                    fencing,
                    watch,
                ));
            }
            tokio::select! {
                () = session.lost() => return Err(self.session_lost()),
                () = vacated(&self.key, &mut watch) => {}
            }
        }
    }

    async fn watch(&self) -> Result<WatchStream, ElectionError> {
        self.store
            .watch(&[&self.key], None)
            .await
            .map_err(|e| self.fail(e))
    }

    fn fail(&self, source: KvError) -> ElectionError {
        ElectionError::Store {
            key: self.key.clone(),
            source,
        }
    }

    fn session_lost(&self) -> ElectionError {
        ElectionError::SessionLost {
            key: self.key.clone(),
        }
    }
}

/// Resolves when the key may have become free: its delete, a resync signal, an error or
/// the end of the watch (each means "try again").
async fn vacated(key: &str, watch: &mut WatchStream) {
    while let Some(event) = watch.next().await {
        match event {
            Ok(WatchEvent::Change(change)) if change.key != key => {}
            Ok(WatchEvent::Change(change)) if change.kind == ChangeKind::Put => {}
            _ => return,
        }
    }
}

/// A won campaign: this candidate leads until [`lost`](Self::lost) resolves or it
/// [resigns](Self::resign). Dropping it ends the session: the key goes one TTL later.
pub struct Leadership {
    election: Election,
    session: Session,
    value: Bytes,
    fencing: u64,
    ousted: watch::Receiver<bool>,
    monitor: Monitor,
}

/// The task watching the election key for a leadership; it ends with the leadership.
struct Monitor(JoinHandle<()>);

impl Drop for Monitor {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl fmt::Debug for Leadership {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Leadership")
            .field("key", &self.election.key)
            .field("fencing", &self.fencing)
            .field("leader", &self.is_leader())
            .finish()
    }
}

impl Leadership {
    fn start(
        election: Election,
        session: Session,
        value: Bytes,
        fencing: u64,
        watch: WatchStream,
    ) -> Self {
        let (ousted_tx, ousted) = watch::channel(false);
        let task = tokio::spawn(monitor(
            election.clone(),
            value.clone(),
            fencing,
            watch,
            ousted_tx,
        ));
        Self {
            election,
            session,
            value,
            fencing,
            ousted,
            monitor: Monitor(task),
        }
    }

    /// The fencing token of this term: the revision at which the campaign was won.
    pub fn fencing(&self) -> u64 {
        self.fencing
    }

    /// The value this candidate campaigned with.
    pub fn value(&self) -> &Bytes {
        &self.value
    }

    /// Whether this candidate certainly still leads: its session proves the lease alive
    /// and the key was not taken away.
    pub fn is_leader(&self) -> bool {
        self.session.is_alive() && !*self.ousted.borrow()
    }

    /// Resolves when the leadership is lost: the session could not keep the lease alive
    /// (at the latest when the store could expire it), or the key was deleted or
    /// overwritten by someone else.
    pub async fn lost(&self) {
        let mut ousted = self.ousted.clone();
        tokio::select! {
            () = self.session.lost() => {}
            _ = ousted.wait_for(|ousted| *ousted) => {}
        }
    }

    /// Steps down: deletes the key if it still holds this candidate's value (so the next
    /// candidate leads at once) and ends the session.
    ///
    /// # Errors
    /// [`ElectionError::Store`] when the store fails (the key then goes when the lease
    /// expires).
    pub async fn resign(self) -> Result<(), ElectionError> {
        let Self {
            election,
            session,
            value,
            fencing,
            monitor,
            ..
        } = self;
        // Our own delete is not a loss to report.
        drop(monitor);
        let deleted = election
            .store
            .compare_and_delete(&election.key, value)
            .await;
        let closed = session.close().await;
        deleted.map_err(|e| election.fail(e))?;
        closed.map_err(|e| election.fail(e))?;
        tracing::info!(key = %election.key, fencing, "resigned");
        Ok(())
    }
}

/// Sets `ousted` once the key no longer holds `value`; re-reads the key after a resync
/// signal or when the watch ends. Changes up to the winning revision `fencing` are old
/// news (a watch may start a little before the moment it was asked for).
async fn monitor(
    election: Election,
    value: Bytes,
    fencing: u64,
    mut watch: WatchStream,
    ousted: watch::Sender<bool>,
) {
    loop {
        match watch.next().await {
            Some(Ok(WatchEvent::Change(change)))
                if change.key != election.key || change.revision <= fencing => {}
            Some(Ok(WatchEvent::Change(change))) => {
                if change.kind == ChangeKind::Delete || change.value != value {
                    break;
                }
            }
            Some(Ok(WatchEvent::Resync(_)) | Err(_)) | None => {
                // Watch again first, then read: a change after the read reaches the watch.
                let again = match election.watch().await {
                    Ok(again) => again,
                    Err(err) => {
                        tracing::debug!(key = %election.key, error = %err, "cannot watch the election key; retrying");
                        tokio::time::sleep(election.ttl / 10).await;
                        continue;
                    }
                };
                match election.leader().await {
                    Ok(Some(current)) if current.value == value => watch = again,
                    Ok(_) => break,
                    // Cannot tell; the session tells whether the lease lives.
                    Err(_) => watch = again,
                }
            }
        }
    }
    tracing::warn!(key = %election.key, "the election key was taken away: leadership lost");
    let _ = ousted.send(true);
}
