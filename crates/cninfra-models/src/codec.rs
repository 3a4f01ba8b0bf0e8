//! Codecs: how a typed value becomes bytes and back, for KV brokers, data sync watchers and
//! Kafka connections alike.
//!
//! - [`JsonCodec`]: serde JSON. Messages made serde by [`proto_json!`](crate::proto_json)
//!   come out as proto3 JSON through it too.
//! - [`ProtoJsonCodec`]: proto3 JSON for any prost message with a descriptor
//!   (`prost_reflect::ReflectMessage`); what upstream's agents store, and the default of
//!   every proto broker and connection.
//! - [`ProtoBinaryCodec`]: binary protobuf, chosen explicitly.
//!
//! A decode error names the field that broke and the message or type; the broker or
//! connection adds the key.

use std::any::type_name;

use prost_reflect::ReflectMessage;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::json::{self, DecodeError, path_string, reason_of};

/// Turns values of `T` into bytes and back.
pub trait Codec<T>: Send + Sync + 'static {
    /// The name of the format, for logs and errors (`json`, `proto3-json`, `protobuf`).
    const FORMAT: &'static str;

    /// Encodes `value`.
    ///
    /// # Errors
    /// When the value has no representation in this format.
    fn encode(&self, value: &T) -> Result<Vec<u8>, EncodeError>;

    /// Decodes `bytes`.
    ///
    /// # Errors
    /// [`DecodeError`] naming the message (or type) and the field.
    fn decode(&self, bytes: &[u8]) -> Result<T, DecodeError>;
}

/// A value that cannot be encoded (a serde value with a non-string map key, say).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot encode a `{type_name}`: {reason}")]
pub struct EncodeError {
    /// The type.
    pub type_name: &'static str,
    /// Why.
    pub reason: String,
}

/// serde JSON; a decode error names the field path (`interfaces[0].name`).
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonCodec;

impl<T: Serialize + DeserializeOwned> Codec<T> for JsonCodec {
    const FORMAT: &'static str = "json";

    fn encode(&self, value: &T) -> Result<Vec<u8>, EncodeError> {
        serde_json::to_vec(value).map_err(|err| EncodeError {
            type_name: type_name::<T>(),
            reason: err.to_string(),
        })
    }

    fn decode(&self, bytes: &[u8]) -> Result<T, DecodeError> {
        decode_serde(bytes)
    }
}

/// Reads a serde value from JSON, naming the field that broke.
///
/// # Errors
/// [`DecodeError`] with the Rust type name as the message.
pub fn decode_serde<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    // The fast path first; only a value that fails is read again with its path tracked
    // (tracking costs about as much as the decoding itself).
    match serde_json::from_slice(bytes) {
        Ok(value) => Ok(value),
        Err(err) => Err(locate::<T>(bytes).unwrap_or_else(|| DecodeError {
            message: type_name::<T>().to_owned(),
            path: String::new(),
            reason: reason_of(&err),
        })),
    }
}

/// The error of a value that does not decode, with the path of the field that broke.
fn locate<T: DeserializeOwned>(bytes: &[u8]) -> Option<DecodeError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    let err = match result {
        Err(err) => DecodeError {
            message: type_name::<T>().to_owned(),
            path: path_string(err.path()),
            reason: reason_of(err.inner()),
        },
        Ok(_) => DecodeError {
            message: type_name::<T>().to_owned(),
            path: String::new(),
            reason: reason_of(&de.end().err()?),
        },
    };
    Some(err)
}

/// A prost message that proto3 JSON codecs take: a descriptor and proto3-JSON serde impls,
/// as the `build` module (feature `build`) generates them.
pub trait ProtoMessage: ReflectMessage + Default + Serialize + DeserializeOwned {}

impl<T: ReflectMessage + Default + Serialize + DeserializeOwned> ProtoMessage for T {}

/// Proto3 JSON of a prost message generated with descriptors and proto3-JSON serde impls
/// (the `build` module (feature `build`), [`proto_json!`](crate::proto_json)); decode errors name the
/// message by its proto name. See [`json`](mod@crate::json).
#[derive(Debug, Clone, Copy, Default)]
pub struct ProtoJsonCodec;

impl<T: ProtoMessage> Codec<T> for ProtoJsonCodec {
    const FORMAT: &'static str = "proto3-json";

    fn encode(&self, value: &T) -> Result<Vec<u8>, EncodeError> {
        JsonCodec.encode(value)
    }

    fn decode(&self, bytes: &[u8]) -> Result<T, DecodeError> {
        json::decode(bytes)
    }
}

/// Binary protobuf of any prost message.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProtoBinaryCodec;

impl<T: prost::Message + Default> Codec<T> for ProtoBinaryCodec {
    const FORMAT: &'static str = "protobuf";

    fn encode(&self, value: &T) -> Result<Vec<u8>, EncodeError> {
        Ok(value.encode_to_vec())
    }

    fn decode(&self, bytes: &[u8]) -> Result<T, DecodeError> {
        T::decode(bytes).map_err(|err| DecodeError {
            message: type_name::<T>().to_owned(),
            path: String::new(),
            reason: err.to_string(),
        })
    }
}
