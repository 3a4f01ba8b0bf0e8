//! Conversions between the scheduler's types and the Configurator messages, and the
//! mapping of errors to gRPC status codes.

use tonic::Status;

use cninfra_models::json::{decode_dynamic, encode_dynamic};
use cninfra_models::{ModelInfo, ModelRegistry};

use super::pb;
use crate::descriptor::DescriptorError;
use crate::orchestrator::OrchestratorError;
use crate::scheduler::DumpedKv;
use crate::state::{Origin, ValueStatus};
use crate::txn::{KeyError, TxnError};
use crate::value::Value;

/// A value as JSON text (a descriptor's value: proto3 JSON for a protobuf message).
fn json_text(value: &Value) -> String {
    value.to_json().to_string()
}

/// A value as a client gave it, as canonical proto3 JSON text when the key's model has a
/// message and the value decodes into it (lowerCamel names, defaults left out, as `Dump`
/// shows values); else its JSON as given.
pub(super) fn canonical_json_text(models: &ModelRegistry, key: &str, value: &Value) -> String {
    let json = value.to_json().to_string();
    models
        .for_key(key)
        .and_then(|model| model.descriptor())
        .and_then(|desc| decode_dynamic(desc.clone(), json.as_bytes()).ok())
        .map_or(json, |msg| encode_dynamic(&msg).to_string())
}

/// Whether the value of a failed key was rejected as invalid (validation, or JSON that
/// does not fit the descriptor's type): the client's fault.
fn is_invalid(error: &KeyError) -> bool {
    matches!(
        error.error,
        DescriptorError::Invalid(_)
            | DescriptorError::WrongType { .. }
            | DescriptorError::Undecodable { .. }
    )
}

/// The answer to a source transaction: its sequence number and the keys that failed, or
/// `INVALID_ARGUMENT` when a value was rejected as invalid (naming every failed key).
pub(super) fn change_response(
    outcome: Result<Option<u64>, OrchestratorError>,
) -> Result<pb::ChangeResponse, Status> {
    match outcome {
        Ok(seq_num) => Ok(pb::ChangeResponse {
            seq_num,
            errors: Vec::new(),
        }),
        Err(OrchestratorError::Keys { seq, errors, .. }) if errors.iter().any(is_invalid) => {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            Err(Status::invalid_argument(format!(
                "transaction #{seq}: invalid values (the other keys are applied): {}",
                list.join("; ")
            )))
        }
        Err(OrchestratorError::Keys { seq, errors, .. }) => Ok(pb::ChangeResponse {
            seq_num: Some(seq),
            errors: errors.into_iter().map(key_error).collect(),
        }),
        Err(other) => Err(orchestrator_status(&other)),
    }
}

fn key_error(error: KeyError) -> pb::KeyError {
    pb::KeyError {
        operation: error.operation.as_str().to_owned(),
        fields: error.error.invalid_fields().to_vec(),
        error: error.error.to_string(),
        key: error.key,
    }
}

/// `UNAVAILABLE` while the scheduler cannot take work; `INTERNAL`
/// for what a client cannot cause.
fn orchestrator_status(error: &OrchestratorError) -> Status {
    match error {
        OrchestratorError::Txn {
            cause: TxnError::Closed | TxnError::QueueFull { .. },
            ..
        } => Status::unavailable(error.to_string()),
        other => Status::internal(other.to_string()),
    }
}

/// A dumped value with its status in the scheduler.
pub(super) fn dumped_value(kv: DumpedKv, status: ValueStatus) -> pb::DumpedValue {
    let origin = match kv.origin {
        Origin::Unknown => "UnknownOrigin",
        Origin::FromNb => "FromNB",
        Origin::FromSb => "FromSB",
    };
    pb::DumpedValue {
        value: json_text(&kv.value),
        key: kv.key,
        origin: origin.to_owned(),
        state: status.state.as_str().to_owned(),
        error: status.error,
        details: status.details,
        metadata: kv.metadata,
    }
}

/// A model as a `ModelDetail`.
pub(super) fn model_detail(info: ModelInfo) -> pb::ModelDetail {
    pb::ModelDetail {
        name: info.name,
        module: info.spec.module,
        version: info.spec.version,
        r#type: info.spec.type_,
        class: info.spec.class,
        key_prefix: info.key_prefix,
        proto_name: info.proto_name,
        name_template: info.name_template,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::InvalidValueError;
    use crate::state::TxnOperation;

    fn failed(key: &str, error: DescriptorError) -> KeyError {
        KeyError {
            key: key.to_owned(),
            operation: TxnOperation::Create,
            error,
        }
    }

    #[test]
    fn invalid_values_are_invalid_argument_naming_key_and_field() {
        let errors = vec![
            failed("config/a/v1/x/ok", DescriptorError::failed("busy")),
            failed(
                "config/a/v1/x/bad",
                InvalidValueError::new("unknown type", ["type"]).into(),
            ),
        ];
        let outcome = Err(OrchestratorError::Keys {
            label: "grpc".into(),
            seq: 7,
            errors,
        });
        let status = change_response(outcome).unwrap_err();
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        for part in [
            "#7",
            "`config/a/v1/x/bad`",
            "invalid fields: type",
            "`config/a/v1/x/ok`",
        ] {
            assert!(
                status.message().contains(part),
                "{part}: {}",
                status.message()
            );
        }
    }

    #[test]
    fn failures_are_listed_and_readiness_is_unavailable() {
        let outcome = Err(OrchestratorError::Keys {
            label: "grpc".into(),
            seq: 3,
            errors: vec![failed("k", DescriptorError::permanent("no room"))],
        });
        let answer = change_response(outcome).unwrap();
        assert_eq!(answer.seq_num, Some(3));
        assert_eq!(answer.errors.len(), 1);
        assert_eq!(
            (
                answer.errors[0].key.as_str(),
                answer.errors[0].operation.as_str()
            ),
            ("k", "CREATE")
        );
        assert_eq!(answer.errors[0].error, "no room");

        let closed = OrchestratorError::Txn {
            label: "grpc".into(),
            cause: TxnError::Closed,
        };
        assert_eq!(
            orchestrator_status(&closed).code(),
            tonic::Code::Unavailable
        );
        let revert = OrchestratorError::Txn {
            label: "grpc".into(),
            cause: TxnError::RevertWithResync,
        };
        assert_eq!(orchestrator_status(&revert).code(), tonic::Code::Internal);
    }
}
