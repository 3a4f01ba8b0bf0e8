//! Typed access: values of one Rust type stored as JSON ([`JsonBroker`]) or protobuf
//! ([`ProtoBroker`]), or any other [`Codec`].

mod broker;
mod codec;

pub use broker::{
    JsonBroker, ProtoBroker, TypedBroker, TypedChange, TypedEntry, TypedEvent, TypedWatchStream,
    Versioned,
};
pub use codec::{Codec, JsonCodec, ProtoCodec};
