//! What the client sends and receives: [`Value`]s of models, [`Item`]s (a value at its
//! key), with their status ([`ConfigItem`]), southbound metadata ([`StateItem`]), the
//! answer to a change ([`Reply`], [`ItemResult`]) and status [`Notification`]s.

use std::collections::BTreeMap;

use cninfra_kvscheduler::{ValueState, ValueStatus};
use cninfra_models::Model;
use prost_reflect::{DynamicMessage, ReflectMessage};
use serde::Serialize;

use crate::error::ClientError;

/// A value of a model: a protobuf message (typed messages become dynamic ones, read
/// back with [`Value::to_message`]) or, for serde models and models the client knows
/// only by name, its JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A protobuf message.
    Message(DynamicMessage),
    /// JSON (proto3 JSON for a protobuf model whose descriptor the client lacks).
    Json(serde_json::Value),
}

impl Value {
    /// The value of a prost message (generated with a descriptor, as `cninfra-ligato`'s).
    pub fn from_message<M: ReflectMessage>(msg: &M) -> Self {
        Self::Message(msg.transcode_to_dynamic())
    }

    /// The value as JSON: proto3 JSON for a message (Go `protojson`'s form: lowerCamel
    /// names, enums by name, default values left out).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Message(msg) => cninfra_models::json::encode_dynamic(msg),
            Self::Json(json) => json.clone(),
        }
    }

    /// The dynamic message, if the value is one.
    pub fn as_message(&self) -> Option<&DynamicMessage> {
        match self {
            Self::Message(msg) => Some(msg),
            Self::Json(_) => None,
        }
    }

    /// The value as the prost message `M` (from a message of `M`'s proto name, or from
    /// JSON).
    ///
    /// # Errors
    /// [`ClientError::Decode`] (with `key` as given) when the value is not an `M`.
    pub fn to_message<M: ReflectMessage + Default>(&self, key: &str) -> Result<M, ClientError> {
        let decode_error = |reason: String| ClientError::Decode {
            key: key.to_owned(),
            source: cninfra_models::DecodeError {
                message: M::default().descriptor().full_name().to_owned(),
                path: String::new(),
                reason,
            },
        };
        match self {
            Self::Message(msg) => msg
                .transcode_to::<M>()
                .map_err(|e| decode_error(e.to_string())),
            Self::Json(json) => {
                let msg = cninfra_models::json::decode_dynamic(
                    M::default().descriptor(),
                    json.to_string().as_bytes(),
                )
                .map_err(|source| ClientError::Decode {
                    key: key.to_owned(),
                    source,
                })?;
                msg.transcode_to::<M>()
                    .map_err(|e| decode_error(e.to_string()))
            }
        }
    }

    /// Reads JSON bytes of `model`'s values: a dynamic message when the model has a
    /// descriptor, else JSON.
    ///
    /// # Errors
    /// [`ClientError::Decode`] naming the key, the message and the field.
    pub(crate) fn decode(
        model: Option<&Model>,
        key: &str,
        bytes: &[u8],
    ) -> Result<Self, ClientError> {
        let not_json = |err: serde_json::Error| ClientError::Decode {
            key: key.to_owned(),
            source: cninfra_models::DecodeError {
                message: model.map_or("JSON", |m| m.proto_name()).to_owned(),
                path: String::new(),
                reason: err.to_string(),
            },
        };
        match model.and_then(Model::descriptor) {
            Some(desc) => cninfra_models::json::decode_dynamic(desc.clone(), bytes)
                .map(Self::Message)
                .map_err(|source| ClientError::Decode {
                    key: key.to_owned(),
                    source,
                }),
            None => serde_json::from_slice(bytes)
                .map(Self::Json)
                .map_err(not_json),
        }
    }

    /// The JSON text of the value (what a KV store holds).
    pub(crate) fn to_json_bytes(&self) -> Vec<u8> {
        // A `serde_json::Value` always serialises.
        serde_json::to_vec(&self.to_json()).unwrap_or_default()
    }
}

impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<M: ReflectMessage> From<&M> for Value {
    fn from(msg: &M) -> Self {
        Self::from_message(msg)
    }
}

/// A value at its key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    /// The key, relative to the agent prefix (`config/vpp/v2/interfaces/tap1`).
    pub key: String,
    /// The model name (`vpp.interfaces`), when a model of the client holds the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The value.
    pub value: Value,
}

/// A configured value with its status in the agent ([`Client::get_config`](crate::Client::get_config)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigItem {
    /// The value.
    #[serde(flatten)]
    pub item: Item,
    /// Its status; `None` where the transport cannot tell (a KV store).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ValueStatus>,
    /// Its labels.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// A value found in the southbound ([`Client::dump_state`](crate::Client::dump_state)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StateItem {
    /// The value.
    #[serde(flatten)]
    pub item: Item,
    /// What the agent tells about it (`origin`, descriptor metadata).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
}

/// What happened to one key of a change or resync.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemResult {
    /// The key.
    pub key: String,
    /// The model name, if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The key's status after the transaction; `None` where the transport cannot tell (a
    /// KV store: the agent applies the change after the store took it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ValueStatus>,
}

impl ItemResult {
    /// Whether the value failed: INVALID, FAILED or RETRYING. PENDING (waiting for
    /// dependencies) is not a failure.
    pub fn is_failure(&self) -> bool {
        self.status
            .as_ref()
            .is_some_and(|s| s.state.is_failure() || s.state == ValueState::Invalid)
    }

    /// Whether the value waits for its dependencies.
    pub fn is_pending(&self) -> bool {
        self.status
            .as_ref()
            .is_some_and(|s| s.state == ValueState::Pending)
    }
}

/// The answer to a change or resync.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Reply {
    /// The agent's transaction sequence number, when one ran and the transport tells.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// Each key of the request, in request order.
    pub results: Vec<ItemResult>,
}

impl Reply {
    /// The keys that failed (INVALID, FAILED, RETRYING).
    pub fn failures(&self) -> impl Iterator<Item = &ItemResult> {
        self.results.iter().filter(|r| r.is_failure())
    }

    /// Whether no key failed.
    pub fn is_ok(&self) -> bool {
        self.failures().next().is_none()
    }

    /// The result of `key`.
    pub fn get(&self, key: &str) -> Option<&ItemResult> {
        self.results.iter().find(|r| r.key == key)
    }
}

/// A change of a value's status ([`Client::subscribe`](crate::Client::subscribe)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notification {
    /// The model name, if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The new status (its key included).
    pub status: ValueStatus,
}
