//! Codecs: how typed values become bytes and back.

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::BoxError;

/// Turns values of `T` into bytes and back. Implement it for other formats; the broker adds
/// the key and type name to errors.
pub trait Codec<T>: Send + Sync + 'static {
    /// Encodes `value`.
    ///
    /// # Errors
    /// When the value cannot be represented in this format.
    fn encode(&self, value: &T) -> Result<Bytes, BoxError>;

    /// Decodes `bytes`.
    ///
    /// # Errors
    /// When the bytes are not a valid encoding of `T`.
    fn decode(&self, bytes: &[u8]) -> Result<T, BoxError>;
}

/// JSON through serde, the format upstream connectors store by default. Works for prost
/// messages too when they derive serde.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonCodec;

impl<T: Serialize + DeserializeOwned> Codec<T> for JsonCodec {
    fn encode(&self, value: &T) -> Result<Bytes, BoxError> {
        Ok(serde_json::to_vec(value)?.into())
    }

    fn decode(&self, bytes: &[u8]) -> Result<T, BoxError> {
        Ok(serde_json::from_slice(bytes)?)
    }
}

/// Protobuf binary encoding through prost.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProtoCodec;

impl<T: prost::Message + Default> Codec<T> for ProtoCodec {
    fn encode(&self, value: &T) -> Result<Bytes, BoxError> {
        Ok(value.encode_to_vec().into())
    }

    fn decode(&self, bytes: &[u8]) -> Result<T, BoxError> {
        Ok(T::decode(bytes)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, PartialEq, prost::Message)]
    struct Interface {
        #[prost(string, tag = "1")]
        name: String,
        #[prost(uint32, tag = "2")]
        mtu: u32,
    }

    #[test]
    fn proto_round_trip() {
        let value = Interface {
            name: "eth0".into(),
            mtu: 1500,
        };
        let bytes = Codec::<Interface>::encode(&ProtoCodec, &value).unwrap();
        let back: Interface = ProtoCodec.decode(&bytes).unwrap();
        assert_eq!(back, value);
        assert!(Codec::<Interface>::decode(&ProtoCodec, b"\xff\xff\xff").is_err());
    }

    #[test]
    fn json_round_trip_and_error() {
        let bytes = Codec::<Vec<u32>>::encode(&JsonCodec, &vec![1, 2]).unwrap();
        assert_eq!(bytes.as_ref(), b"[1,2]");
        let back: Vec<u32> = JsonCodec.decode(&bytes).unwrap();
        assert_eq!(back, vec![1, 2]);
        assert!(Codec::<Vec<u32>>::decode(&JsonCodec, b"{").is_err());
    }
}
