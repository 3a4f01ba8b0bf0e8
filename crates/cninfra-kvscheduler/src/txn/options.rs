//! Transaction kinds and options.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How failed operations of a transaction are retried.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use cninfra_kvscheduler::RetryOptions;
///
/// let retry = RetryOptions::default();
/// assert_eq!((retry.period, retry.max_count, retry.exp_backoff), (Duration::from_secs(1), 3, true));
/// assert_eq!(retry.delay(3), Duration::from_secs(4));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryOptions {
    /// Delay before the first retry.
    #[serde(with = "cninfra_core::config::duration")]
    pub period: Duration,
    /// Retries allowed (0 = unlimited).
    pub max_count: u32,
    /// Whether the delay doubles with every attempt.
    pub exp_backoff: bool,
}

impl Default for RetryOptions {
    /// Upstream's `WithRetryDefault`: 1 s, 3 attempts, exponential back-off.
    fn default() -> Self {
        Self {
            period: Duration::from_secs(1),
            max_count: 3,
            exp_backoff: true,
        }
    }
}

impl RetryOptions {
    /// The delay before retry number `attempt` (1-based).
    pub fn delay(&self, attempt: u32) -> Duration {
        if self.exp_backoff {
            let factor = 1u32
                .checked_shl(attempt.saturating_sub(1))
                .unwrap_or(u32::MAX);
            self.period.saturating_mul(factor)
        } else {
            self.period
        }
    }
}

/// The kind of resync a transaction performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ResyncKind {
    /// The transaction is the whole desired state; the southbound is refreshed first; NB
    /// values absent from it are deleted.
    #[serde(rename = "FullResync")]
    Full,
    /// As full, without refreshing the southbound (the graph is assumed right). "NB Sync".
    #[serde(rename = "UpstreamResync")]
    Upstream,
    /// No values: the desired state is the last one NB asked for; the southbound is
    /// refreshed and corrected. "SB Sync".
    #[serde(rename = "DownstreamResync")]
    Downstream,
}

impl ResyncKind {
    /// The name the transaction log prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "Full Resync",
            Self::Upstream => "NB Sync",
            Self::Downstream => "SB Sync",
        }
    }
}

impl fmt::Display for ResyncKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TxnType {
    /// A change reported by the southbound.
    #[serde(rename = "SBNotification")]
    SbNotification,
    /// A change asked by the northbound.
    #[serde(rename = "NBTransaction")]
    NbTransaction,
    /// A retry of failed operations.
    #[serde(rename = "RetryFailedOps")]
    RetryFailedOps,
    /// Values that were UNIMPLEMENTED, re-applied once their descriptor registered.
    #[serde(rename = "RetryUnimplOps")]
    RetryUnimplOps,
}

impl TxnType {
    /// The name the transaction log prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SbNotification => "SB Notification",
            Self::NbTransaction => "NB Transaction",
            Self::RetryFailedOps => "Retry Transaction",
            Self::RetryUnimplOps => "Retry Unimplemented Ops",
        }
    }
}

impl fmt::Display for TxnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Options of an NB transaction (set through [`Txn`](crate::Txn)'s `with_*` methods).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TxnOptions {
    /// Resync kind, if the transaction is a resync.
    pub resync: Option<ResyncKind>,
    /// Print what a resync's refresh found.
    pub verbose_refresh: bool,
    /// Retry failed operations.
    pub retry: Option<RetryOptions>,
    /// Undo the whole transaction on the first failure (not with a resync).
    pub revert: bool,
    /// A description printed with the transaction.
    pub description: Option<String>,
    /// Simulate first and log the planned operations before executing.
    pub simulation: bool,
}
