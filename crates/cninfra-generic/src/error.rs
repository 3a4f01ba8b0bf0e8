//! [`GenericError`]: why a call of the generic API failed, as a gRPC status or a REST error.

use cninfra_models::ModelError;
use cninfra_rpc::axum::http::StatusCode;
use cninfra_rpc::rest::ApiError;
use tonic::{Code, Status};

/// Why a call of the generic API failed. Every variant names what was wrong; request
/// errors apply nothing of the request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenericError {
    /// An update without an item.
    #[error("update #{index} has no item")]
    NoItem {
        /// Position of the update in the request (from 0).
        index: usize,
    },
    /// An item with neither an id nor data.
    #[error("update #{index}: the item has neither an id nor data")]
    Empty {
        /// Position of the update in the request (from 0).
        index: usize,
    },
    /// An item whose data is not a `google.protobuf.Any`.
    #[error(
        "item `{model}`: its data holds no value (set `data.any`, or leave `data` out to delete)"
    )]
    NoValue {
        /// The item's model.
        model: String,
    },
    /// No model of that name.
    #[error("unknown model `{model}` (known: {known})")]
    UnknownModel {
        /// The model named.
        model: String,
        /// The models the server knows, comma-separated.
        known: String,
    },
    /// An item without a model name whose value's message no model holds.
    #[error("no model holds `{message}` messages (known: {known})")]
    UnknownMessage {
        /// The message named by the value's type URL.
        message: String,
        /// The models the server knows, comma-separated.
        known: String,
    },
    /// A model known only as a serde type: the generic API carries protobuf messages.
    #[error("model `{model}` has no protobuf message: it is not served by the generic API")]
    NotProtobuf {
        /// The model.
        model: String,
    },
    /// The value is a message of another model.
    #[error("item `{model}`: the value is a `{found}`, the model holds `{expected}` messages")]
    WrongMessage {
        /// The item's model.
        model: String,
        /// The model's message.
        expected: String,
        /// The message in the type URL.
        found: String,
    },
    /// The value's bytes are not a valid message.
    #[error("item `{model}`: the value is not a valid `{message}`: {reason}")]
    Undecodable {
        /// The item's model.
        model: String,
        /// The model's message.
        message: String,
        /// What the decoder said.
        reason: String,
    },
    /// The instance name cannot be made from the value.
    #[error("item `{model}`: the value cannot be named")]
    Naming {
        /// The item's model.
        model: String,
        /// Why (the template error).
        #[source]
        source: ModelError,
    },
    /// The item's name is not the one its value makes.
    #[error(
        "item `{model}` named `{name}`: its value is named `{expected}` (key `{key}`) by the model's name template"
    )]
    NameMismatch {
        /// The item's model.
        model: String,
        /// The name the item gives.
        name: String,
        /// The name the value makes.
        expected: String,
        /// The key of the value.
        key: String,
    },
    /// A key the model does not own (a delete with a bad name).
    #[error("item `{model}` named `{name}`: `{key}` is not a key of the model")]
    BadKey {
        /// The item's model.
        model: String,
        /// The name given.
        name: String,
        /// The key it makes.
        key: String,
    },
    /// Two updates of one key.
    #[error("key `{key}` is set by more than one update")]
    DuplicateKey {
        /// The key.
        key: String,
    },
    /// A filter by ids and by labels at once.
    #[error("filter by ids or by labels, not both")]
    IdsAndLabels,
    /// No known model's message is in the file.
    #[error("no known model's message is in `{file}` (files: {known})")]
    UnknownFile {
        /// The file asked for.
        file: String,
        /// The files of the known models, comma-separated.
        known: String,
    },
    /// A request parameter that does not parse.
    #[error("{0}")]
    BadParameter(String),
    /// The orchestrator is not there yet, or the scheduler stopped.
    #[error("{0}")]
    Unavailable(String),
    /// The scheduler did not answer in time.
    #[error("{0}")]
    Timeout(String),
    /// The transaction did not run for another reason.
    #[error("{0}")]
    Failed(String),
}

impl GenericError {
    /// The gRPC status code: `INVALID_ARGUMENT` for request errors, `NOT_FOUND` for an
    /// unknown file, `UNAVAILABLE`, `DEADLINE_EXCEEDED`, and `FAILED_PRECONDITION` (as
    /// upstream) when the transaction did not run.
    pub fn code(&self) -> Code {
        match self {
            Self::UnknownFile { .. } => Code::NotFound,
            Self::Unavailable(_) => Code::Unavailable,
            Self::Timeout(_) => Code::DeadlineExceeded,
            Self::Failed(_) => Code::FailedPrecondition,
            _ => Code::InvalidArgument,
        }
    }

    /// The HTTP status of the same failure.
    pub fn http_status(&self) -> StatusCode {
        match self.code() {
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
            Code::FailedPrecondition => StatusCode::CONFLICT,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl From<GenericError> for Status {
    fn from(err: GenericError) -> Self {
        Status::new(err.code(), cninfra_core::ErrorChain(&err).to_string())
    }
}

impl From<GenericError> for ApiError {
    fn from(err: GenericError) -> Self {
        ApiError::from_error(err.http_status(), &err)
    }
}
