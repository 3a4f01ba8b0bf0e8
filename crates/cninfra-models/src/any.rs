//! `google.protobuf.Any` with upstream's type URLs: `models.ligato.io/<proto name>`.
//!
//! # Examples
//! ```
//! # use prost_reflect::{DescriptorPool, DynamicMessage, Value};
//! # let fds = protox::compile(["ligato/vpp/l2/fib.proto"], ["../cninfra-ligato/proto"]).unwrap();
//! # let pool = DescriptorPool::from_file_descriptor_set(fds).unwrap();
//! # let desc = pool.get_message_by_name("ligato.vpp.l2.FIBEntry").unwrap();
//! let mut fib = DynamicMessage::new(desc);
//! fib.set_field_by_name("bridge_domain", Value::String("bd1".into()));
//! let any = cninfra_models::any::pack(&fib);
//! assert_eq!(any.type_url, "models.ligato.io/ligato.vpp.l2.FIBEntry");
//! let back = cninfra_models::any::unpack(&any, &pool)?;
//! assert_eq!(back, fib);
//! # Ok::<(), cninfra_models::any::AnyError>(())
//! ```

use prost_reflect::{DescriptorPool, DynamicMessage, ReflectMessage};
pub use prost_types::Any;

/// The prefix of upstream's type URLs.
pub const TYPE_URL_PREFIX: &str = "models.ligato.io/";

/// The type URL of a message: `models.ligato.io/<proto name>`.
pub fn type_url(proto_name: &str) -> String {
    format!("{TYPE_URL_PREFIX}{proto_name}")
}

/// The proto name in a type URL: what follows the last `/` (any prefix is accepted, as
/// upstream and `protojson` accept `type.googleapis.com/...` too).
pub fn proto_name_of(type_url: &str) -> &str {
    type_url.rsplit_once('/').map_or(type_url, |(_, name)| name)
}

/// What can go wrong unpacking an `Any`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AnyError {
    /// No message of that name is known.
    #[error("unknown message `{proto_name}` in type URL `{type_url}`")]
    UnknownMessage {
        /// The type URL.
        type_url: String,
        /// The proto name in it.
        proto_name: String,
    },
    /// The bytes are not a valid message of that type.
    #[error("`{type_url}`: the value is not a valid `{proto_name}`: {reason}")]
    Invalid {
        /// The type URL.
        type_url: String,
        /// The proto name in it.
        proto_name: String,
        /// Why.
        reason: String,
    },
}

/// Packs a message with upstream's type URL.
pub fn pack<M: ReflectMessage>(msg: &M) -> Any {
    Any {
        type_url: type_url(msg.descriptor().full_name()),
        value: msg.encode_to_vec(),
    }
}

/// Unpacks an `Any` whose message is in `pool`.
///
/// # Errors
/// [`AnyError`] naming the type URL.
pub fn unpack(any: &Any, pool: &DescriptorPool) -> Result<DynamicMessage, AnyError> {
    let proto_name = proto_name_of(&any.type_url);
    let desc = pool
        .get_message_by_name(proto_name)
        .ok_or_else(|| AnyError::UnknownMessage {
            type_url: any.type_url.clone(),
            proto_name: proto_name.to_owned(),
        })?;
    DynamicMessage::decode(desc, any.value.as_slice()).map_err(|err| AnyError::Invalid {
        type_url: any.type_url.clone(),
        proto_name: proto_name.to_owned(),
        reason: err.to_string(),
    })
}
