//! Value states, operations, origins and the value status reported to clients.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The state of a value, as upstream's `ValueState`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ValueState {
    /// Never existed, or deleted.
    #[default]
    Nonexistent,
    /// Configured by NB, but a refresh did not find it in the southbound.
    Missing,
    /// NB value without a descriptor: never created.
    Unimplemented,
    /// Transient: just deleted (the node goes away after the transaction) or being re-created.
    Removed,
    /// NB value applied successfully.
    Configured,
    /// Value found in (or notified by) the southbound, not managed by NB.
    Obtained,
    /// NB-looking value found by a refresh but not configured by this agent run.
    Discovered,
    /// NB value waiting for its dependencies.
    Pending,
    /// Rejected by the descriptor's validation.
    Invalid,
    /// The last operation failed and will not be retried.
    Failed,
    /// The last operation failed and a retry is scheduled.
    Retrying,
}

impl ValueState {
    /// Every state, in upstream's enum order.
    pub const ALL: [ValueState; 11] = [
        Self::Nonexistent,
        Self::Missing,
        Self::Unimplemented,
        Self::Removed,
        Self::Configured,
        Self::Obtained,
        Self::Discovered,
        Self::Pending,
        Self::Invalid,
        Self::Failed,
        Self::Retrying,
    ];

    /// The upper-case name (`CONFIGURED`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nonexistent => "NONEXISTENT",
            Self::Missing => "MISSING",
            Self::Unimplemented => "UNIMPLEMENTED",
            Self::Removed => "REMOVED",
            Self::Configured => "CONFIGURED",
            Self::Obtained => "OBTAINED",
            Self::Discovered => "DISCOVERED",
            Self::Pending => "PENDING",
            Self::Invalid => "INVALID",
            Self::Failed => "FAILED",
            Self::Retrying => "RETRYING",
        }
    }

    /// FAILED or RETRYING.
    pub fn is_failure(self) -> bool {
        matches!(self, Self::Failed | Self::Retrying)
    }
}

impl fmt::Display for ValueState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An operation on a value.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TxnOperation {
    /// No operation yet.
    #[default]
    Undefined,
    /// Validation (a value rejected before any southbound call).
    Validate,
    /// Create.
    Create,
    /// Update.
    Update,
    /// Delete.
    Delete,
}

impl TxnOperation {
    /// The upper-case name (`CREATE`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Undefined => "UNDEFINED",
            Self::Validate => "VALIDATE",
            Self::Create => "CREATE",
            Self::Update => "UPDATE",
            Self::Delete => "DELETE",
        }
    }
}

impl fmt::Display for TxnOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Origin {
    /// Not known (a retrieved value before classification).
    #[default]
    #[serde(rename = "UnknownOrigin")]
    Unknown,
    /// Requested by the northbound.
    #[serde(rename = "FromNB")]
    FromNb,
    /// Found in or notified by the southbound.
    #[serde(rename = "FromSB")]
    FromSb,
}

/// The status of one value.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValueStatus {
    /// The key.
    pub key: String,
    /// The state.
    pub state: ValueState,
    /// The error of the last operation, empty if it succeeded.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub error: String,
    /// The last operation applied (or attempted).
    pub last_operation: TxnOperation,
    /// PENDING: labels of the missing dependencies; INVALID: the invalid fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

/// The status of a base value and of the values derived from it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BaseValueStatus {
    /// The base value.
    pub value: ValueStatus,
    /// Its derived values, sorted by key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub derived_values: Vec<ValueStatus>,
}
