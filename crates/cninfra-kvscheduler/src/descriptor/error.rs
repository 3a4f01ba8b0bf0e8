//! Errors descriptors return.

use cninfra_models::DecodeError;

use crate::state::TxnOperation;

/// A value rejected by a descriptor's `validate`, with the fields at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason} (invalid fields: {})", fields.join(", "))]
pub struct InvalidValueError {
    /// Why the value is invalid.
    pub reason: String,
    /// The invalid fields (shown as the details of the INVALID value status).
    pub fields: Vec<String>,
}

impl InvalidValueError {
    /// An invalid value with the fields at fault.
    pub fn new<I, S>(reason: impl Into<String>, fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            reason: reason.into(),
            fields: fields.into_iter().map(Into::into).collect(),
        }
    }
}

/// What a descriptor callback returns on failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DescriptorError {
    /// The descriptor does not implement the operation (never retried).
    #[error("descriptor `{descriptor}` does not implement {operation}")]
    Unimplemented {
        /// The descriptor.
        descriptor: String,
        /// The missing operation.
        operation: TxnOperation,
    },
    /// The value is invalid (from `validate`; never retried).
    #[error(transparent)]
    Invalid(#[from] InvalidValueError),
    /// The value of a key is not of the type its descriptor handles.
    #[error("value of `{key}` is not a valid `{expected}`: {reason}")]
    WrongType {
        /// The key.
        key: String,
        /// The type the descriptor expects.
        expected: &'static str,
        /// What was found instead.
        reason: String,
    },
    /// A raw value (JSON from a KV store or a client) that does not decode into the
    /// descriptor's value type (never retried). The text names the key, the message (the
    /// proto name of the descriptor's model, e.g. `ligato.vpp.l2.FIBEntry`, else the Rust
    /// type) and the field, e.g. ``value of `config/vpp/l2/v2/fib/bd1/mac/..` is not a
    /// valid `ligato.vpp.l2.FIBEntry`: field `action`: unknown enum value `FORWARDX`..``.
    #[error("value of `{key}` is {error}")]
    Undecodable {
        /// The key.
        key: String,
        /// What does not decode, and where (its `path` is the invalid field).
        error: DecodeError,
    },
    /// The southbound operation failed.
    #[error("{message}")]
    Failed {
        /// What went wrong.
        message: String,
        /// Whether a retry may help (see `TypedDescriptor::is_retriable`).
        retriable: bool,
    },
}

impl DescriptorError {
    /// A failure that a retry may fix.
    pub fn failed(message: impl Into<String>) -> Self {
        Self::Failed {
            message: message.into(),
            retriable: true,
        }
    }

    /// A failure that retrying cannot fix.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self::Failed {
            message: message.into(),
            retriable: false,
        }
    }

    /// Wraps any error as a retriable failure (its message, with its causes).
    pub fn from_error(err: &(dyn std::error::Error + 'static)) -> Self {
        let mut message = err.to_string();
        let mut source = err.source();
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        Self::failed(message)
    }

    /// Whether the error kind allows a retry (the descriptor may narrow it further).
    pub fn is_retriable_kind(&self) -> bool {
        matches!(
            self,
            Self::Failed {
                retriable: true,
                ..
            }
        )
    }

    /// The invalid fields of an [`Invalid`](Self::Invalid) error, or the field that did
    /// not decode of an [`Undecodable`](Self::Undecodable) one.
    pub fn invalid_fields(&self) -> &[String] {
        match self {
            Self::Invalid(invalid) => &invalid.fields,
            Self::Undecodable { error, .. } if !error.path.is_empty() => {
                std::slice::from_ref(&error.path)
            }
            _ => &[],
        }
    }
}
