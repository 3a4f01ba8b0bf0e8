//! Conformance test kit: the behaviour every [`KvStore`] must show, as async checks that a
//! connector's tests run against its real server (feature `testkit`).
//!
//! [`conformance`] runs every check; each check is also a public function, so a connector
//! can run one alone. Every check works under `<prefix><check name>/`, which must start
//! empty, and removes what it wrote at the end, so tests can share a server by using a
//! unique `prefix` per run. Checks read [`KvStore::capabilities`]: a check of something the
//! store lacks returns [`Outcome::Skipped`] with the reason — after verifying that the
//! store refuses the operation with [`KvError::Unsupported`](crate::KvError::Unsupported)
//! where the check can tell — so nothing passes silently.
//!
//! What a store's [`Capabilities`](crate::Capabilities) cannot say is passed in
//! [`KitOptions`] to [`conformance_with`]: a store whose watches merge back-to-back
//! changes (they report states, as Consul's blocking queries do) sets
//! [`watch_every_change`](KitOptions::watch_every_change) to `false` and is checked by
//! [`watch_converges`] instead of [`watch_live`].
//!
//! # Examples
//! ```
//! use std::sync::Arc;
//! use cninfra_kv::{testkit, MemoryStore};
//!
//! # #[tokio::main]
//! # async fn main() {
//! let report = testkit::conformance(Arc::new(MemoryStore::new()), "/test/run-1/").await;
//! let report = report.unwrap_or_else(|failure| panic!("{failure}"));
//! assert!(report.skipped().is_empty());
//! # }
//! ```

mod atomic;
mod basic;
mod converge;
mod harness;
mod txn_ttl;
mod watch;

use std::fmt;
use std::sync::Arc;

pub use atomic::{CONTENDERS, INCREMENTS, atomic_ops, lease_expiry};
pub use basic::{
    MANY_KEYS, delete_reports_truth, large_values, list_ordering, many_keys, prefix_isolation,
    revisions,
};
pub use converge::watch_converges;
pub use txn_ttl::{ttl_expiry, txn_atomicity};
pub use watch::{WRITERS, concurrent_writers, watch_from_revision, watch_live};

use crate::store::KvStore;

/// The result of one check.
pub type CheckResult = Result<Outcome, CheckFailure>;

/// How a check that did not fail ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The property holds.
    Passed,
    /// The check (or part of it) did not run because the store lacks a capability.
    Skipped {
        /// What was not checked and why.
        reason: String,
    },
}

impl Outcome {
    fn skipped(reason: &str) -> Self {
        Self::Skipped {
            reason: reason.to_owned(),
        }
    }
}

/// A property that does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("conformance check `{check}` failed: {message}")]
pub struct CheckFailure {
    /// Name of the check.
    pub check: &'static str,
    /// What went wrong, naming the property and the values seen.
    pub message: String,
}

/// The outcome of every check of [`conformance`].
#[derive(Debug, Clone, Default)]
pub struct Report {
    outcomes: Vec<(&'static str, Outcome)>,
}

impl Report {
    /// Each check's name with its outcome, in the order they ran.
    pub fn outcomes(&self) -> &[(&'static str, Outcome)] {
        &self.outcomes
    }

    /// The names of the checks that passed, in the order they ran.
    pub fn passed(&self) -> Vec<&'static str> {
        self.outcomes
            .iter()
            .filter(|(_, outcome)| *outcome == Outcome::Passed)
            .map(|(name, _)| *name)
            .collect()
    }

    /// The skipped checks with their reasons.
    pub fn skipped(&self) -> Vec<(&'static str, &str)> {
        self.outcomes
            .iter()
            .filter_map(|(name, outcome)| match outcome {
                Outcome::Skipped { reason } => Some((*name, reason.as_str())),
                Outcome::Passed => None,
            })
            .collect()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, outcome) in &self.outcomes {
            match outcome {
                Outcome::Passed => writeln!(f, "passed  {name}")?,
                Outcome::Skipped { reason } => writeln!(f, "skipped {name}: {reason}")?,
            }
        }
        Ok(())
    }
}

/// The failed checks of [`conformance`], with the outcomes of the others.
#[derive(Debug, Clone, thiserror::Error)]
pub struct ConformanceFailure {
    /// Every failed check.
    pub failures: Vec<CheckFailure>,
    /// The checks that passed or were skipped.
    pub report: Report,
}

impl fmt::Display for ConformanceFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} conformance check(s) failed:", self.failures.len())?;
        for failure in &self.failures {
            writeln!(f, "  {failure}")?;
        }
        write!(f, "{}", self.report)
    }
}

/// What the kit expects of a store beyond what its [`Capabilities`](crate::Capabilities)
/// say, for [`conformance_with`].
///
/// # Examples
/// ```
/// use cninfra_kv::testkit::KitOptions;
/// // A store whose watches report states (blocking queries, notifications read with GET).
/// let options = KitOptions { watch_every_change: false, ..KitOptions::default() };
/// assert!(KitOptions::default().watch_every_change);
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KitOptions {
    /// Every change arrives as its own watch event, even when writes come back to back
    /// (default: true; memory, etcd, Redis with exact watch values). `false` for stores
    /// whose watches report the state they find and may merge quick successive changes of
    /// a key: the kit then runs [`watch_converges`] where it would run [`watch_live`].
    pub watch_every_change: bool,
}

impl Default for KitOptions {
    fn default() -> Self {
        Self {
            watch_every_change: true,
        }
    }
}

/// Runs every check on `store` under `prefix` (one after the other) and reports them all,
/// with the default [`KitOptions`].
///
/// # Errors
/// [`ConformanceFailure`] listing every failed check.
pub async fn conformance(
    store: Arc<dyn KvStore>,
    prefix: &str,
) -> Result<Report, ConformanceFailure> {
    conformance_with(store, prefix, KitOptions::default()).await
}

/// Runs every check on `store` under `prefix` (one after the other) and reports them all;
/// `options` say which variant of a check fits the store.
///
/// # Errors
/// [`ConformanceFailure`] listing every failed check.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use cninfra_kv::{testkit, MemoryStore};
///
/// # #[tokio::main]
/// # async fn main() {
/// let options = testkit::KitOptions { watch_every_change: false };
/// let report = testkit::conformance_with(Arc::new(MemoryStore::new()), "/t/", options).await;
/// let report = report.unwrap_or_else(|failure| panic!("{failure}"));
/// assert!(report.outcomes().iter().any(|(name, _)| *name == "watch_converges"));
/// # }
/// ```
pub async fn conformance_with(
    store: Arc<dyn KvStore>,
    prefix: &str,
    options: KitOptions,
) -> Result<Report, ConformanceFailure> {
    let results = [
        ("list_ordering", list_ordering(&store, prefix).await),
        ("revisions", revisions(&store, prefix).await),
        ("prefix_isolation", prefix_isolation(&store, prefix).await),
        (
            "delete_reports_truth",
            delete_reports_truth(&store, prefix).await,
        ),
        if options.watch_every_change {
            ("watch_live", watch_live(&store, prefix).await)
        } else {
            ("watch_converges", watch_converges(&store, prefix).await)
        },
        (
            "watch_from_revision",
            watch_from_revision(&store, prefix).await,
        ),
        ("txn_atomicity", txn_atomicity(&store, prefix).await),
        ("large_values", large_values(&store, prefix).await),
        ("many_keys", many_keys(&store, prefix).await),
        (
            "concurrent_writers",
            concurrent_writers(&store, prefix).await,
        ),
        ("ttl_expiry", ttl_expiry(&store, prefix).await),
        ("atomic_ops", atomic_ops(&store, prefix).await),
        ("lease_expiry", lease_expiry(&store, prefix).await),
    ];
    let mut report = Report::default();
    let mut failures = Vec::new();
    for (name, result) in results {
        match result {
            Ok(outcome) => report.outcomes.push((name, outcome)),
            Err(failure) => failures.push(failure),
        }
    }
    if failures.is_empty() {
        Ok(report)
    } else {
        Err(ConformanceFailure { failures, report })
    }
}
