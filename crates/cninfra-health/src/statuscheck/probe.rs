//! Pull probes: functions the status check calls at an interval.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;

type ProbeFn = dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync;

/// A check the status check runs every probe interval (5 s by default) within the probe
/// time limit: `Ok(())` reports OK, `Err(text)` reports ERROR with that text, and running
/// out of time reports ERROR too.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use cninfra_health::Probe;
///
/// let connected = Arc::new(AtomicBool::new(true));
/// let probe = Probe::new({
///     let connected = connected.clone();
///     move || {
///         let up = connected.load(Ordering::Relaxed);
///         async move { if up { Ok(()) } else { Err("not connected".to_owned()) } }
///     }
/// });
/// # let _ = probe;
/// ```
#[derive(Clone)]
pub struct Probe(Arc<ProbeFn>);

impl Probe {
    /// A probe from an async function.
    pub fn new<F, Fut>(check: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        Self(Arc::new(move || Box::pin(check()) as BoxFuture<'static, _>))
    }

    /// Runs the check once.
    pub fn check(&self) -> BoxFuture<'static, Result<(), String>> {
        (self.0)()
    }
}

impl fmt::Debug for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Probe")
    }
}
