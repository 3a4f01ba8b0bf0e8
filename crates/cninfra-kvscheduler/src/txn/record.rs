//! Recorded transactions: what was asked, planned and executed.

use std::sync::Arc;
use std::time::SystemTime;

use serde::{Serialize, Serializer};

use super::{ResyncKind, TxnType};
use crate::state::{Origin, TxnOperation, ValueState};
use crate::value::Value;

/// Serialises a time as RFC 3339 with nanoseconds.
pub(crate) fn rfc3339<S: Serializer>(time: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&humantime::format_rfc3339_nanos(*time))
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_nonexistent(s: &ValueState) -> bool {
    *s == ValueState::Nonexistent
}

/// One operation of a transaction.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedTxnOp {
    /// The operation.
    pub operation: TxnOperation,
    /// The key.
    pub key: Arc<str>,
    /// State after the operation.
    #[serde(skip_serializing_if = "is_nonexistent")]
    pub new_state: ValueState,
    /// Value after the operation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_value: Option<Value>,
    /// Error of the operation.
    #[serde(rename = "newErrMsg", skip_serializing_if = "Option::is_none")]
    pub new_err: Option<Arc<str>>,
    /// State before.
    #[serde(skip_serializing_if = "is_nonexistent")]
    pub prev_state: ValueState,
    /// Value before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev_value: Option<Value>,
    /// Error before.
    #[serde(rename = "prevErrMsg", skip_serializing_if = "Option::is_none")]
    pub prev_err: Option<Arc<str>>,
    /// Nothing was called in the southbound (pending, unimplemented, state change only).
    #[serde(skip_serializing_if = "is_false")]
    pub noop: bool,
    /// A derived value.
    #[serde(skip_serializing_if = "is_false")]
    pub is_derived: bool,
    /// A derived value without descriptor.
    #[serde(skip_serializing_if = "is_false")]
    pub is_property: bool,
    /// Part of a revert.
    #[serde(skip_serializing_if = "is_false")]
    pub is_revert: bool,
    /// Part of a retry.
    #[serde(skip_serializing_if = "is_false")]
    pub is_retry: bool,
    /// Half of a delete + create.
    #[serde(skip_serializing_if = "is_false")]
    pub is_recreate: bool,
}

/// A value carried by a transaction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedKv {
    /// The key.
    pub key: Arc<str>,
    /// The value (`None` = delete).
    pub value: Option<Value>,
    /// Where it comes from.
    pub origin: Origin,
}

/// A processed transaction.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedTxn {
    /// True while only planned (printed before execution).
    #[serde(skip_serializing_if = "is_false")]
    pub pre_record: bool,
    /// Whether it was simulated first.
    #[serde(skip_serializing_if = "is_false")]
    pub with_simulation: bool,
    /// Start of processing.
    #[serde(serialize_with = "rfc3339")]
    pub start: SystemTime,
    /// End of processing.
    #[serde(serialize_with = "rfc3339")]
    pub stop: SystemTime,
    /// Sequence number.
    pub seq_num: u64,
    /// Kind.
    pub txn_type: TxnType,
    /// Resync kind, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resync_type: Option<ResyncKind>,
    /// Description given by the client.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// For a retry: the transaction whose failures are retried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_for_txn: Option<u64>,
    /// For a retry: the attempt number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_attempt: Option<u32>,
    /// Values the transaction carried (after pre-processing).
    pub values: Vec<RecordedKv>,
    /// Operations planned by the simulation.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub planned: Vec<RecordedTxnOp>,
    /// Operations executed.
    pub executed: Vec<RecordedTxnOp>,
}
