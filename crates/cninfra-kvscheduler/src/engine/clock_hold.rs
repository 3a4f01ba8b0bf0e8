//! A test hook (feature `test-util`, after tokio's): queued requests that hold tokio's
//! paused clock still until the engine thread has processed them. Without the feature it
//! is zero-sized and does nothing.

#[cfg(feature = "test-util")]
use std::sync::Arc;
#[cfg(feature = "test-util")]
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether queued requests hold a paused test clock; one switch shared by the scheduler and
/// its engine.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClockHold {
    #[cfg(feature = "test-util")]
    on: Arc<AtomicBool>,
}

impl ClockHold {
    /// From now on every queued request holds the clock.
    #[cfg(feature = "test-util")]
    pub(crate) fn enable(&self) {
        self.on.store(true, Ordering::Relaxed);
    }

    /// What a request queued now carries along.
    #[cfg_attr(not(feature = "test-util"), allow(clippy::unused_self))]
    pub(crate) fn guard(&self, runtime: &tokio::runtime::Handle) -> BusyGuard {
        #[cfg(feature = "test-util")]
        {
            let release = self.on.load(Ordering::Relaxed).then(|| {
                let (release, wait) = std::sync::mpsc::channel::<()>();
                drop(runtime.spawn_blocking(move || {
                    let _ = wait.recv();
                }));
                release
            });
            BusyGuard { _release: release }
        }
        #[cfg(not(feature = "test-util"))]
        {
            let _ = runtime;
            BusyGuard {}
        }
    }
}

/// With the hold on, a blocking-pool task that lives until the request is processed:
/// tokio's paused clock (`test-util`) does not auto-advance while blocking tasks run, so
/// virtual time stands still while the engine thread works. Otherwise nothing.
#[derive(Debug)]
pub(crate) struct BusyGuard {
    #[cfg(feature = "test-util")]
    _release: Option<std::sync::mpsc::Sender<()>>,
}
