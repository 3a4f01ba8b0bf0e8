//! Items of the generic API (`{model, name}` + `Any` with `models.ligato.io/` type URLs)
//! to and from the client's keys, values and statuses.

use std::collections::BTreeMap;

use cninfra_generic::pb;
use cninfra_kvscheduler::{TxnOperation, ValueState, ValueStatus};
use cninfra_models::{ModelRegistry, any};
use prost::Message as _;
use prost_reflect::DescriptorPool;

use crate::error::ClientError;
use crate::item::{Item, Value};
use crate::request::Op;

const TRANSPORT: &str = "gRPC";

/// The id of a key: its model name and instance name.
pub(crate) fn id_of(models: &ModelRegistry, key: &str) -> Result<pb::item::Id, ClientError> {
    let model = models
        .for_key(key)
        .ok_or_else(|| ClientError::UnknownModel {
            what: format!("key `{key}`"),
        })?;
    Ok(pb::item::Id {
        model: model.name().to_owned(),
        name: model.strip_key_prefix(key).unwrap_or_default().to_owned(),
    })
}

/// The key of an id (`<model's key prefix><name>`; a model the client does not know:
/// `<model>/<name>`, so that it still shows).
pub(crate) fn key_of(models: &ModelRegistry, id: &pb::item::Id) -> String {
    match models.get(&id.model) {
        Some(model) if model.name_template().is_none() => model.key_prefix().to_owned(),
        Some(model) => cninfra_models::key::join(model.key_prefix(), &id.name),
        None => format!("{}/{}", id.model, id.name),
    }
}

/// The update of one op: its item with the value packed, or without data for a delete.
pub(crate) fn update_of(models: &ModelRegistry, op: Op) -> Result<pb::UpdateItem, ClientError> {
    let id = id_of(models, &op.key)?;
    let data = match op.value {
        None => None,
        Some(value) => Some(pb::Data {
            union: Some(pb::data::Union::Any(pack(models, &op.key, value)?)),
        }),
    };
    Ok(pb::UpdateItem {
        item: Some(pb::Item { id: Some(id), data }),
        labels: op.labels.into_iter().collect(),
    })
}

/// A value as `Any` with upstream's type URL: a message as it is, JSON through the
/// model's descriptor.
fn pack(models: &ModelRegistry, key: &str, value: Value) -> Result<prost_types::Any, ClientError> {
    let msg = match value {
        Value::Message(msg) => msg,
        Value::Json(json) => {
            let descriptor = models
                .for_key(key)
                .and_then(|m| m.descriptor())
                .ok_or_else(|| ClientError::Encode {
                    key: key.to_owned(),
                    transport: TRANSPORT,
                    reason: "its model has no protobuf message the agent described".into(),
                })?;
            cninfra_models::json::decode_dynamic(descriptor.clone(), json.to_string().as_bytes())
                .map_err(|source| ClientError::Decode {
                    key: key.to_owned(),
                    source,
                })?
        }
    };
    Ok(any::pack(&msg))
}

/// The item's key and value, unpacked with the agent's descriptors.
pub(crate) fn item_of(
    models: &ModelRegistry,
    pool: &DescriptorPool,
    item: pb::Item,
) -> Result<Item, ClientError> {
    let id = item.id.unwrap_or_default();
    let key = key_of(models, &id);
    let value = match item.data.and_then(|d| d.union) {
        Some(pb::data::Union::Any(packed)) => any::unpack(&packed, pool)
            .map(Value::Message)
            .map_err(|err| ClientError::RemoteModel {
                model: id.model.clone(),
                reason: format!("value of `{key}`: {err}"),
            })?,
        None => Value::Json(serde_json::Value::Null),
    };
    Ok(Item {
        model: Some(id.model).filter(|m| !m.is_empty()),
        key,
        value,
    })
}

/// A value status from upstream's `ItemStatus` (`status`: the state's name; `message`:
/// the details, comma-separated, of a PENDING value, else its error).
pub(crate) fn status_of(
    call: &'static str,
    key: &str,
    status: Option<pb::ItemStatus>,
) -> Result<Option<ValueStatus>, ClientError> {
    let Some(status) = status.filter(|s| !s.status.is_empty()) else {
        return Ok(None);
    };
    let state: ValueState = serde_json::from_value(serde_json::Value::String(
        status.status.to_ascii_uppercase(),
    ))
    .map_err(|_| ClientError::Protocol {
        call,
        reason: format!("`{key}` has the unknown state `{}`", status.status),
    })?;
    let (error, details) = match (state, status.message.is_empty()) {
        (_, true) => (String::new(), Vec::new()),
        (ValueState::Pending, false) => (
            String::new(),
            status.message.split(", ").map(str::to_owned).collect(),
        ),
        (_, false) => (status.message, Vec::new()),
    };
    Ok(Some(ValueStatus {
        key: key.to_owned(),
        state,
        error,
        last_operation: TxnOperation::Undefined,
        details,
    }))
}

/// A label map from the wire.
pub(crate) fn labels(map: std::collections::HashMap<String, String>) -> BTreeMap<String, String> {
    map.into_iter().collect()
}

/// The encoded size of an update, for logs.
pub(crate) fn size_of(updates: &[pb::UpdateItem]) -> usize {
    updates.iter().map(|u| u.encoded_len()).sum()
}
