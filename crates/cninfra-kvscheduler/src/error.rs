//! The crate's error type (besides [`TxnError`](crate::TxnError) for transactions and
//! [`DescriptorError`](crate::DescriptorError) for descriptors).

/// What can go wrong when setting up or querying the scheduler.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KvSchedulerError {
    /// The scheduler must be created inside a tokio runtime (retries use its timers).
    #[error("the scheduler must be created inside a tokio runtime")]
    NoRuntime,
    /// The engine thread could not be started.
    #[error("cannot start the scheduler engine thread")]
    EngineThread(#[source] std::io::Error),
    /// A descriptor with this name is registered already.
    #[error("descriptor `{name}` is already registered")]
    DescriptorExists {
        /// The name.
        name: String,
    },
    /// No descriptor of this name.
    #[error("no descriptor named `{name}`")]
    UnknownDescriptor {
        /// The name.
        name: String,
    },
    /// The scheduler engine stopped.
    #[error("the scheduler is stopped")]
    Stopped,
}
