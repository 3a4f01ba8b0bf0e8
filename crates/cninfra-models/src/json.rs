//! Proto3 JSON: the canonical JSON mapping of protobuf messages, as upstream's agents store
//! values (Go's `protojson`).
//!
//! Writing follows `protojson`'s defaults: lowerCamel field names, enums by name, 64-bit
//! integers as strings, fields at their default value left out. Reading accepts what
//! `protojson` accepts: original (`phys_address`) and lowerCamel (`physAddress`) field
//! names, enums by name or number, 64-bit integers as strings or numbers, oneofs, and the
//! well-known types, `google.protobuf.Any` with a type URL of any prefix (upstream's is
//! `models.ligato.io/<proto name>`) whose message is in the global descriptor pool.
//!
//! A value that does not decode gives a [`DecodeError`] naming the message and the path of
//! the field that broke (`rx_modes[1].mode`).
//!
//! # Examples
//! ```
//! # use prost_reflect::{DescriptorPool, DynamicMessage};
//! # let fds = protox::compile(["ligato/vpp/l2/fib.proto"], ["../cninfra-ligato/proto"]).unwrap();
//! # let pool = DescriptorPool::from_file_descriptor_set(fds).unwrap();
//! # let fib = pool.get_message_by_name("ligato.vpp.l2.FIBEntry").unwrap();
//! let msg = cninfra_models::json::decode_dynamic(
//!     fib.clone(),
//!     br#"{"bridge_domain": "bd1", "action": "DROP"}"#,
//! )?;
//! assert_eq!(
//!     cninfra_models::json::encode_dynamic(&msg),
//!     serde_json::json!({"bridgeDomain": "bd1", "action": "DROP"})
//! );
//! let err = cninfra_models::json::decode_dynamic(fib, br#"{"action": "FORWARDX"}"#).unwrap_err();
//! assert_eq!(err.path, "action");
//! # Ok::<(), cninfra_models::json::DecodeError>(())
//! ```

use prost_reflect::{
    DeserializeOptions, DynamicMessage, MessageDescriptor, ReflectMessage, SerializeOptions,
};
use serde::de::{DeserializeOwned, DeserializeSeed};

/// A value that is not a valid encoding of its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct DecodeError {
    /// The full proto name of the message (`ligato.vpp.l2.FIBEntry`), or the Rust type name
    /// of a serde value.
    pub message: String,
    /// The path of the field that broke, as written in the input (`rx_modes[1].mode`);
    /// empty when the input is broken as a whole (not JSON, not an object).
    pub path: String,
    /// What is wrong.
    pub reason: String,
}

impl DecodeError {
    fn describe(&self) -> String {
        if self.path.is_empty() {
            format!("not a valid `{}`: {}", self.message, self.reason)
        } else {
            format!(
                "not a valid `{}`: field `{}`: {}",
                self.message, self.path, self.reason
            )
        }
    }
}

/// How messages are written: `protojson`'s defaults.
fn serialize_options() -> SerializeOptions {
    SerializeOptions::new()
}

/// How messages are read: unknown fields are an error (as `protojson.Unmarshal`).
fn deserialize_options() -> DeserializeOptions {
    DeserializeOptions::new()
}

/// A path of `serde_path_to_error` as upstream writes field paths: dots between fields,
/// indexes in brackets.
pub(crate) fn path_string(path: &serde_path_to_error::Path) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            serde_path_to_error::Segment::Seq { index } => {
                out.push_str(&format!("[{index}]"));
            }
            serde_path_to_error::Segment::Map { key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            serde_path_to_error::Segment::Enum { variant } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(variant);
            }
            serde_path_to_error::Segment::Unknown => {}
        }
    }
    out
}

/// Strips serde_json's " at line L column C" tail: the path names the place.
pub(crate) fn reason_of(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(at) if err.line() > 0 => text[..at].to_owned(),
        _ => text,
    }
}

/// Reads proto3 JSON bytes into a dynamic message of `desc`.
///
/// # Errors
/// [`DecodeError`] naming the message and field.
pub fn decode_dynamic(
    desc: MessageDescriptor,
    bytes: &[u8],
) -> Result<DynamicMessage, DecodeError> {
    let message = desc.full_name().to_owned();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut track = serde_path_to_error::Track::new();
    let options = deserialize_options();
    let result = {
        let tracked = serde_path_to_error::Deserializer::new(&mut de, &mut track);
        Seed {
            desc,
            options: &options,
        }
        .deserialize(tracked)
    };
    let fail = |err: serde_json::Error, track: serde_path_to_error::Track| DecodeError {
        message: message.clone(),
        path: path_string(&track.path()),
        reason: reason_of(&err),
    };
    match result {
        Ok(msg) => match de.end() {
            Ok(()) => Ok(msg),
            Err(err) => Err(fail(err, serde_path_to_error::Track::new())),
        },
        Err(err) => Err(fail(err, track)),
    }
}

/// `DynamicMessage::deserialize_with_options` as a seed, so a path-tracking deserializer
/// can drive it.
struct Seed<'o> {
    desc: MessageDescriptor,
    options: &'o DeserializeOptions,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = DynamicMessage;

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<DynamicMessage, D::Error> {
        DynamicMessage::deserialize_with_options(self.desc, de, self.options)
    }
}

/// Reads proto3 JSON bytes into the prost message `M` (generated by
/// the `build` module (feature `build`): its serde impls are proto3 JSON).
///
/// # Errors
/// [`DecodeError`] naming the message (its proto name) and the field.
pub fn decode<M: ReflectMessage + Default + DeserializeOwned>(
    bytes: &[u8],
) -> Result<M, DecodeError> {
    crate::codec::decode_serde::<M>(bytes).map_err(|mut err| {
        M::default()
            .descriptor()
            .full_name()
            .clone_into(&mut err.message);
        err
    })
}

/// Reads a JSON value into the prost message `M`.
///
/// # Errors
/// [`DecodeError`] naming the message and the field.
pub fn decode_value<M: ReflectMessage + Default + DeserializeOwned>(
    value: &serde_json::Value,
) -> Result<M, DecodeError> {
    // Values reach here from JSON APIs (REST, gRPC) where they are small: one more pass
    // over the text keeps a single decoder with field paths.
    decode::<M>(value.to_string().as_bytes())
}

/// Writes a dynamic message as proto3 JSON.
pub fn encode_dynamic(msg: &DynamicMessage) -> serde_json::Value {
    // Serialising into a `serde_json::Value` cannot fail: every proto3 value has a JSON
    // form and the map keys are strings.
    msg.serialize_with_options(serde_json::value::Serializer, &serialize_options())
        .unwrap_or(serde_json::Value::Null)
}

/// `serde::Serialize` through proto3 JSON, for [`proto_json!`](crate::proto_json).
///
/// # Errors
/// The serializer's own.
#[doc(hidden)]
pub fn serialize<M: ReflectMessage, S: serde::Serializer>(
    msg: &M,
    ser: S,
) -> Result<S::Ok, S::Error> {
    msg.transcode_to_dynamic()
        .serialize_with_options(ser, &serialize_options())
}

/// `serde::Deserialize` through proto3 JSON, for [`proto_json!`](crate::proto_json).
///
/// # Errors
/// The deserializer's own, or a message that does not fit `M`.
#[doc(hidden)]
pub fn deserialize<'de, M, D>(de: D) -> Result<M, D::Error>
where
    M: ReflectMessage + Default,
    D: serde::Deserializer<'de>,
{
    let options = deserialize_options();
    let msg = DynamicMessage::deserialize_with_options(M::default().descriptor(), de, &options)?;
    msg.transcode_to::<M>()
        .map_err(<D::Error as serde::de::Error>::custom)
}
