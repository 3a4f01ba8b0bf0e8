//! The file watcher: notify events, gathered for `debounce`, become one reload of the
//! changed paths.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use notify::{Event, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;

use crate::LOG;
use crate::core::Core;
use crate::error::FileDbError;
use crate::paths::Roots;

/// Events as the watcher reports them.
pub(crate) type Events = mpsc::UnboundedReceiver<notify::Result<Event>>;

/// Starts watching every configured path (and the status file's folder).
pub(crate) fn start(roots: &Roots) -> Result<(RecommendedWatcher, Events), FileDbError> {
    let (sender, events) = mpsc::unbounded_channel();
    let mut watcher = notify::recommended_watcher(move |event| {
        // The receiver is gone only when the store is closed.
        let _ = sender.send(event);
    })
    .map_err(|source| FileDbError::Watch {
        path: PathBuf::new(),
        source,
    })?;
    for (path, recursive) in roots.watch_targets() {
        let mode = if recursive {
            RecursiveMode::Recursive
        } else {
            RecursiveMode::NonRecursive
        };
        watcher
            .watch(&path, mode)
            .map_err(|source| FileDbError::Watch { path, source })?;
    }
    Ok((watcher, events))
}

/// Turns events into reloads until the watcher is dropped: after the first event, further
/// events are gathered for `debounce`, then every changed path is read once.
pub(crate) async fn run(core: Arc<Core>, mut events: Events, debounce: Duration) {
    while let Some(first) = events.recv().await {
        let mut dirty = BTreeSet::new();
        collect(&core.roots, first, &mut dirty);
        let deadline = tokio::time::Instant::now() + debounce;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => break,
                next = events.recv() => match next {
                    Some(event) => collect(&core.roots, event, &mut dirty),
                    None => break,
                },
            }
        }
        if !dirty.is_empty() {
            core.reload(dirty).await;
        }
    }
    tracing::debug!(target: LOG, "file watcher stopped");
}

/// Adds the paths of `event` that may concern data; everything after a lost event.
fn collect(roots: &Roots, event: notify::Result<Event>, dirty: &mut BTreeSet<PathBuf>) {
    match event {
        Ok(event) if !event.need_rescan() => {
            dirty.extend(event.paths.into_iter().filter(|p| roots.is_relevant(p)));
        }
        Ok(_) => {
            tracing::warn!(target: LOG, "the file watcher lost events; re-reading everything");
            dirty.extend(roots.all());
        }
        Err(err) => {
            tracing::warn!(target: LOG, error = %err, "file watcher error; re-reading everything");
            dirty.extend(roots.all());
        }
    }
}
