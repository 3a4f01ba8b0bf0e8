//! Following the watch in a background task.

use std::fmt;
use std::time::Duration;

use cninfra_kv::{WatchEvent, WatchStream};
use futures::StreamExt;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{CacheError, CacheHelper};

/// First and largest pause between retries of a failed reload or re-watch.
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(5);

impl<V: Send + Sync + 'static> CacheHelper<V> {
    /// Opens a watch on the prefix (from now on).
    ///
    /// # Errors
    /// [`CacheError::Kv`] or [`CacheError::Timeout`] when the store cannot start it.
    pub async fn watch(&self) -> Result<WatchStream, CacheError> {
        let prefixes = [self.prefix.as_str()];
        let opening = self.store.watch(&prefixes, None);
        match tokio::time::timeout(self.timeout, opening).await {
            Ok(Ok(stream)) => Ok(stream),
            Ok(Err(source)) => Err(self.kv_error("watch", source)),
            Err(_) => Err(self.timeout_error("watch")),
        }
    }

    /// Opens the watch, loads the prefix into the map, then follows the changes in a task
    /// on the current tokio runtime. When this returns, the map holds the initial content.
    ///
    /// The task reloads the prefix on every resync signal of the watch, and re-opens the
    /// watch (then reloads) if the stream ends, retrying failures with a growing pause (up
    /// to 5 s) until the store reports it is closed or the task is stopped.
    ///
    /// # Errors
    /// [`CacheError::Kv`] or [`CacheError::Timeout`] when the watch or the initial listing
    /// fails.
    pub async fn start(mut self) -> Result<CacheTask, CacheError> {
        // Watch first, then list: no change falls between the two (some may repeat, and
        // repeats leave the map alone).
        let stream = self.watch().await?;
        self.reload().await?;
        let cancel = CancellationToken::new();
        let token = cancel.clone();
        let label = format!(
            "prefix `{}` into idxmap `{}`",
            self.prefix,
            self.map.title()
        );
        let join = tokio::spawn(async move { self.run(stream, token).await });
        Ok(CacheTask {
            cancel,
            join: Some(join),
            label,
        })
    }

    /// Applies the events of `stream` until `cancel` fires (then `Ok`) or the stream ends.
    /// A resync signal reloads the prefix (retrying failures); an error item is logged.
    ///
    /// # Errors
    /// [`CacheError::WatchEnded`] when the stream ends.
    pub async fn follow(
        &mut self,
        stream: &mut WatchStream,
        cancel: &CancellationToken,
    ) -> Result<(), CacheError> {
        loop {
            let item = tokio::select! {
                () = cancel.cancelled() => return Ok(()),
                item = stream.next() => item,
            };
            match item {
                Some(Ok(WatchEvent::Change(change))) => self.apply_change(&change),
                Some(Ok(WatchEvent::Resync(reason))) => {
                    tracing::info!(prefix = %self.prefix, map = self.map.title(), %reason,
                        "idxmap cache: watch asks for a resync; reloading");
                    if self.recover(cancel, false).await.is_none() {
                        return Ok(());
                    }
                }
                Some(Err(error)) => {
                    tracing::warn!(prefix = %self.prefix, map = self.map.title(), %error,
                        "idxmap cache: watch reported an error");
                }
                None => {
                    return Err(CacheError::WatchEnded {
                        prefix: self.prefix.clone(),
                        map: self.map.title().to_owned(),
                    });
                }
            }
        }
    }

    async fn run(mut self, mut stream: WatchStream, cancel: CancellationToken) {
        loop {
            match self.follow(&mut stream, &cancel).await {
                Ok(()) => return,
                Err(error) => tracing::warn!(%error, "idxmap cache: re-opening the watch"),
            }
            match self.recover(&cancel, true).await {
                Some(Some(fresh)) => stream = fresh,
                _ => return,
            }
        }
    }

    /// Reloads the prefix, first re-opening the watch when `rewatch`, until that works
    /// (`Some`, with the new stream when `rewatch`). `None` when the task is cancelled or
    /// the store is closed.
    async fn recover(
        &mut self,
        cancel: &CancellationToken,
        rewatch: bool,
    ) -> Option<Option<WatchStream>> {
        let mut pause = RETRY_FIRST;
        loop {
            let attempt = if rewatch {
                match self.watch().await {
                    Ok(fresh) => self.reload().await.map(|_| Some(fresh)),
                    Err(error) => Err(error),
                }
            } else {
                self.reload().await.map(|_| None)
            };
            match attempt {
                Ok(fresh) => return Some(fresh),
                Err(CacheError::Kv { ref source, .. }) if source.is_closed() => {
                    tracing::warn!(prefix = %self.prefix, map = self.map.title(),
                        "idxmap cache: the store is closed; stopping");
                    return None;
                }
                Err(error) => {
                    tracing::warn!(%error, retry_in = ?pause, "idxmap cache: will retry");
                }
            }
            tokio::select! {
                () = cancel.cancelled() => return None,
                () = tokio::time::sleep(pause) => {}
            }
            pause = (pause * 2).min(RETRY_MAX);
        }
    }
}

/// The background task started by [`CacheHelper::start`]. Dropping it stops the task (at
/// its next await point); [`stop`](Self::stop) also waits for it to end.
#[must_use = "dropping the task stops the mirroring"]
pub struct CacheTask {
    cancel: CancellationToken,
    join: Option<JoinHandle<()>>,
    label: String,
}

impl CacheTask {
    /// Stops the task and waits until it has ended.
    pub async fn stop(mut self) {
        self.cancel.cancel();
        if let Some(join) = self.join.take()
            && let Err(error) = join.await
        {
            tracing::error!(task = %self.label, %error, "idxmap cache task failed");
        }
    }

    /// True once the task has ended (stopped, or the store was closed).
    pub fn is_finished(&self) -> bool {
        self.join.as_ref().is_none_or(JoinHandle::is_finished)
    }
}

impl Drop for CacheTask {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl fmt::Debug for CacheTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheTask")
            .field("label", &self.label)
            .field("finished", &self.is_finished())
            .finish_non_exhaustive()
    }
}
