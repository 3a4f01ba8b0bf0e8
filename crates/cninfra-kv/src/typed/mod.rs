//! Typed access: values of one Rust type stored through a [`Codec`]: proto3 JSON for prost
//! messages ([`ProtoBroker`], the default, as upstream's agents store), serde JSON
//! ([`JsonBroker`]), or binary protobuf chosen explicitly ([`ProtoBinaryBroker`]).
//!
//! The codecs are the platform's one set, from `cninfra-models`; they are re-exported here.

mod broker;

pub use broker::{
    JsonBroker, ProtoBinaryBroker, ProtoBroker, TypedBroker, TypedChange, TypedEntry, TypedEvent,
    TypedWatchStream, Versioned,
};
pub use cninfra_models::DecodeError;
pub use cninfra_models::codec::{Codec, EncodeError, JsonCodec, ProtoBinaryCodec, ProtoJsonCodec};
