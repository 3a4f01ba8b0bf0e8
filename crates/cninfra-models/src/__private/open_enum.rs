//! Enums as proto3 has them: open. A number the enum does not name is a valid value (Go's
//! protojson reads and writes it as a number); pbjson's own code rejects it, so the build
//! helper points its enum fields here.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Visitor};

/// An enum value: a named one, or a number the enum does not name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenEnum<E> {
    /// A value the enum names.
    Known(E),
    /// Any other number.
    Number(i32),
}

impl<E: Into<i32>> OpenEnum<E> {
    /// The value as the prost field holds it.
    pub fn number(self) -> i32 {
        match self {
            Self::Known(e) => e.into(),
            Self::Number(n) => n,
        }
    }
}

impl<E: serde::Serialize> serde::Serialize for OpenEnum<E> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Known(e) => e.serialize(ser),
            Self::Number(n) => ser.serialize_i32(*n),
        }
    }
}

struct OpenEnumVisitor<E>(PhantomData<E>);

impl<'de, E: serde::Deserialize<'de>> Visitor<'de> for OpenEnumVisitor<E> {
    type Value = OpenEnum<E>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an enum value name or number")
    }

    fn visit_str<Er: de::Error>(self, v: &str) -> Result<Self::Value, Er> {
        E::deserialize(de::value::StrDeserializer::<Er>::new(v)).map(OpenEnum::Known)
    }

    fn visit_i64<Er: de::Error>(self, v: i64) -> Result<Self::Value, Er> {
        i32::try_from(v)
            .map(OpenEnum::Number)
            .map_err(|_| Er::custom(format!("enum number {v} is out of range")))
    }

    fn visit_u64<Er: de::Error>(self, v: u64) -> Result<Self::Value, Er> {
        i32::try_from(v)
            .map(OpenEnum::Number)
            .map_err(|_| Er::custom(format!("enum number {v} is out of range")))
    }
}

impl<'de, E: serde::Deserialize<'de>> serde::Deserialize<'de> for OpenEnum<E> {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_any(OpenEnumVisitor(PhantomData))
    }
}
