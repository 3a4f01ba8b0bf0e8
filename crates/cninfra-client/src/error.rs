//! [`ClientError`]: what failed, naming the transport, the operation and the key or model.

use std::time::Duration;

use cninfra_kv::KvError;
use cninfra_kvscheduler::orchestrator::OrchestratorError;
use cninfra_models::{DecodeError, ModelError};

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// No model of the client's registry holds this message, type, model name or key.
    #[error("no model is known for {what}")]
    UnknownModel {
        /// What was looked up (`message \`ligato.vpp.l2.FIBEntry\``, `key \`config/x\``).
        what: String,
    },
    /// A model could not name or key a value.
    #[error("cannot make the key of a value")]
    Model(#[from] ModelError),
    /// A value is not what its model holds.
    #[error("value of `{key}` does not decode")]
    Decode {
        /// The key (relative to the agent prefix).
        key: String,
        /// The message and field at fault.
        #[source]
        source: DecodeError,
    },
    /// A value cannot be sent by this transport (a serde model's JSON over gRPC, which
    /// carries protobuf messages only).
    #[error("value of `{key}` cannot be sent over {transport}: {reason}")]
    Encode {
        /// The key.
        key: String,
        /// The transport.
        transport: &'static str,
        /// Why.
        reason: String,
    },
    /// The transport cannot do this operation (the KV store has no southbound state).
    #[error("{transport} does not support {operation}")]
    Unsupported {
        /// The transport.
        transport: &'static str,
        /// The operation.
        operation: &'static str,
    },
    /// A call did not finish in time.
    #[error("{operation} over {transport} did not finish within {limit:?}")]
    Timeout {
        /// The transport.
        transport: &'static str,
        /// The operation.
        operation: &'static str,
        /// The time limit.
        limit: Duration,
    },
    /// The KV store failed.
    #[error("KV store `{store}`: {operation} failed")]
    Kv {
        /// The store's name.
        store: String,
        /// What was done (`txn`, `list config/vpp/v2/interfaces/`).
        operation: String,
        /// The store's error.
        #[source]
        source: KvError,
    },
    /// The orchestrator did not run the local transaction (the scheduler stopped).
    #[error("local transaction not applied")]
    Local(#[source] OrchestratorError),
    /// The agent is gone (its scheduler stopped; a status stream ended).
    #[error("the agent's {what} is gone")]
    Gone {
        /// What went away.
        what: &'static str,
    },
    /// A gRPC call failed.
    #[error("gRPC {call} at {endpoint} failed")]
    Grpc {
        /// The method (`ManagerService.SetConfig`).
        call: &'static str,
        /// The agent's address.
        endpoint: String,
        /// The status the call ended with.
        #[source]
        source: Box<tonic::Status>,
    },
    /// The gRPC connection could not be set up.
    #[error("cannot connect to the agent's gRPC server at {endpoint}")]
    Connect {
        /// The address.
        endpoint: String,
        /// Why.
        #[source]
        source: tonic::transport::Error,
    },
    /// A gRPC option is not usable (a TLS switch the client lacks, a bad address).
    #[error("gRPC client for {endpoint}: {reason}")]
    GrpcConfig {
        /// The address.
        endpoint: String,
        /// What is wrong.
        reason: String,
    },
    /// The agent's description of a model or proto file cannot be used.
    #[error("model `{model}` from the agent: {reason}")]
    RemoteModel {
        /// The model, message or proto file at fault.
        model: String,
        /// Why.
        reason: String,
    },
    /// The agent's answer is not understood.
    #[error("the answer to {call} is not understood: {reason}")]
    Protocol {
        /// The call.
        call: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

impl ClientError {
    /// A KV-store error of `operation` on `store`.
    pub(crate) fn kv(store: &str, operation: impl Into<String>, source: KvError) -> Self {
        Self::Kv {
            store: store.to_owned(),
            operation: operation.into(),
            source,
        }
    }
}
