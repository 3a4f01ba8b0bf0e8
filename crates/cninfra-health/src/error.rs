//! Errors of the health crate.

/// An error of the status check.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HealthError {
    /// A state was reported for a name that never registered.
    #[error("plugin `{name}` reported a state but never registered with the status check")]
    NotRegistered {
        /// The name used in the report.
        name: String,
    },
}
