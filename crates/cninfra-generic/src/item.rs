//! [`ItemCodec`]: items (`{model, name}` + `google.protobuf.Any`) to keys and values of the
//! orchestrator, and back.

use std::sync::Arc;

use cninfra_kvscheduler::Value;
use cninfra_models::any::{proto_name_of, type_url};
use cninfra_models::{Model, ModelRegistry};
use prost::Message as _;
use prost_reflect::{DynamicMessage, MessageDescriptor};
use prost_types::Any;

use crate::LOG;
use crate::error::GenericError;
use crate::pb::{Data, Item, data, item};

/// One update of a request, checked: its key and value (`None`: delete).
#[derive(Debug, Clone)]
pub(crate) struct Change {
    /// The item's id (model name and instance name).
    pub(crate) id: item::Id,
    /// The key the model gives the item.
    pub(crate) key: String,
    /// The value as proto3 JSON; `None` deletes.
    pub(crate) value: Option<Value>,
}

/// Turns items into keys and values with the models of a registry, and back. Cheap to
/// clone.
#[derive(Debug, Clone)]
pub(crate) struct ItemCodec {
    models: Arc<ModelRegistry>,
}

impl ItemCodec {
    pub(crate) fn new(models: Arc<ModelRegistry>) -> Self {
        Self { models }
    }

    pub(crate) fn models(&self) -> &ModelRegistry {
        &self.models
    }

    /// The model named `name` that has a protobuf message.
    pub(crate) fn model(
        &self,
        name: &str,
    ) -> Result<(&Arc<Model>, &MessageDescriptor), GenericError> {
        let model = self
            .models
            .get(name)
            .ok_or_else(|| GenericError::UnknownModel {
                model: name.to_owned(),
                known: self.known(),
            })?;
        let descriptor = model
            .descriptor()
            .ok_or_else(|| GenericError::NotProtobuf {
                model: name.to_owned(),
            })?;
        Ok((model, descriptor))
    }

    /// The names of the models served (with a protobuf message), comma-separated.
    fn known(&self) -> String {
        self.models
            .models()
            .iter()
            .filter(|m| m.descriptor().is_some())
            .map(|m| m.name())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Checks an item of an update (number `index`) and makes its key and value: the model
    /// from the id (else from the value's type URL), the key from the value through the
    /// model's name template; a name given in the id must be the one the value makes. An
    /// item without data deletes the key `<model's key prefix><name>`.
    pub(crate) fn change(&self, index: usize, item: &Item) -> Result<Change, GenericError> {
        let any = match &item.data {
            Some(Data {
                union: Some(data::Union::Any(any)),
            }) => Some(any),
            Some(Data { union: None }) => {
                return Err(GenericError::NoValue {
                    model: item
                        .id
                        .as_ref()
                        .map(|id| id.model.clone())
                        .unwrap_or_default(),
                });
            }
            None => None,
        };
        let model_name = match (&item.id, any) {
            (Some(id), _) if !id.model.is_empty() => id.model.as_str(),
            (_, Some(any)) => self
                .models
                .for_proto_name(proto_name_of(&any.type_url))
                .map(|model| model.name())
                .ok_or_else(|| GenericError::UnknownMessage {
                    message: proto_name_of(&any.type_url).to_owned(),
                    known: self.known(),
                })?,
            _ => return Err(GenericError::Empty { index }),
        };
        let (model, descriptor) = self.model(model_name)?;
        let given_name = item.id.as_ref().map_or("", |id| id.name.as_str());
        let Some(any) = any else {
            let key = key_of_name(model, given_name);
            if !model.is_key_valid(&key) {
                return Err(GenericError::BadKey {
                    model: model.name().to_owned(),
                    name: given_name.to_owned(),
                    key,
                });
            }
            return Ok(Change {
                id: id(model, given_name),
                key,
                value: None,
            });
        };
        let message = decode_any(model, descriptor, any)?;
        let name = model
            .instance_name(&message)
            .map_err(|source| GenericError::Naming {
                model: model.name().to_owned(),
                source,
            })?;
        let key = key_of_name(model, &name);
        if !given_name.is_empty() && given_name != name {
            return Err(GenericError::NameMismatch {
                model: model.name().to_owned(),
                name: given_name.to_owned(),
                expected: name,
                key,
            });
        }
        let json = serde_json::to_value(&message).map_err(|err| GenericError::Undecodable {
            model: model.name().to_owned(),
            message: descriptor.full_name().to_owned(),
            reason: err.to_string(),
        })?;
        Ok(Change {
            id: id(model, &name),
            key,
            value: Some(Value::from_json(json)),
        })
    }

    /// The model and id of a key, when a served model owns it.
    pub(crate) fn id_of_key(&self, key: &str) -> Option<(&Arc<Model>, item::Id)> {
        let model = self.models.for_key(key)?;
        model.descriptor()?;
        let name = model.strip_key_prefix(key)?;
        Some((model, id(model, name)))
    }

    /// The item of `key` with `value` (proto3 JSON, or a typed message whose JSON is): its
    /// id, and its data unless the value does not decode into the model's message (the
    /// scheduler reports such a value INVALID). `None` for a key no served model owns.
    pub(crate) fn item(&self, key: &str, value: Option<&Value>) -> Option<Item> {
        let (model, id) = self.id_of_key(key)?;
        let descriptor = model.descriptor()?;
        let data = match value.map(|value| encode(descriptor, value)) {
            Some(Ok(any)) => Some(Data {
                union: Some(data::Union::Any(any)),
            }),
            Some(Err(reason)) => {
                tracing::debug!(target: LOG, key, %reason, "value left out of its item");
                None
            }
            None => None,
        };
        Some(Item { id: Some(id), data })
    }
}

/// `<key prefix><name>` (upstream's `path.Join`); a singleton's key is its prefix.
fn key_of_name(model: &Model, name: &str) -> String {
    if model.name_template().is_none() {
        model.key_prefix().to_owned()
    } else {
        cninfra_models::key::join(model.key_prefix(), name)
    }
}

fn id(model: &Model, name: &str) -> item::Id {
    item::Id {
        model: model.name().to_owned(),
        name: name.to_owned(),
    }
}

/// The message in `any`, which must be the model's (any type URL prefix is accepted, as
/// upstream).
fn decode_any(
    model: &Model,
    descriptor: &MessageDescriptor,
    any: &Any,
) -> Result<DynamicMessage, GenericError> {
    let found = proto_name_of(&any.type_url);
    if found != descriptor.full_name() {
        return Err(GenericError::WrongMessage {
            model: model.name().to_owned(),
            expected: descriptor.full_name().to_owned(),
            found: found.to_owned(),
        });
    }
    DynamicMessage::decode(descriptor.clone(), any.value.as_slice()).map_err(|err| {
        GenericError::Undecodable {
            model: model.name().to_owned(),
            message: descriptor.full_name().to_owned(),
            reason: err.to_string(),
        }
    })
}

/// A value as an `Any` of the model's message with upstream's type URL.
fn encode(descriptor: &MessageDescriptor, value: &Value) -> Result<Any, String> {
    let message = DynamicMessage::deserialize(descriptor.clone(), value.to_json())
        .map_err(|err| format!("not a valid `{}`: {err}", descriptor.full_name()))?;
    Ok(Any {
        type_url: type_url(descriptor.full_name()),
        value: message.encode_to_vec(),
    })
}
