//! Numbers as proto3 JSON writes them: JSON numbers or strings (64-bit integers).
//!
//! pbjson's own helper goes through serde's untagged-enum buffering, which costs more than
//! the rest of a message's decoding; this one visits the value directly.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::de::{self, Visitor};

/// A number field of generated code: a JSON number or a string holding one.
#[derive(Debug)]
pub struct NumberDeserialize<T>(pub T);

/// The number types of protobuf.
pub trait Number: FromStr + Sized {
    /// From a JSON unsigned integer, if in range.
    fn from_u64(v: u64) -> Option<Self>;
    /// From a JSON signed integer, if in range.
    fn from_i64(v: i64) -> Option<Self>;
    /// From a JSON float, if it fits (integers must be integral).
    fn from_f64(v: f64) -> Option<Self>;
}

macro_rules! integer {
    ($($t:ty),*) => {$(
        impl Number for $t {
            fn from_u64(v: u64) -> Option<Self> {
                Self::try_from(v).ok()
            }
            fn from_i64(v: i64) -> Option<Self> {
                Self::try_from(v).ok()
            }
            #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
            fn from_f64(v: f64) -> Option<Self> {
                (v.fract() == 0.0 && v >= Self::MIN as f64 && v <= Self::MAX as f64)
                    .then(|| v as Self)
            }
        }
    )*};
}
integer!(i32, i64, u32, u64);

macro_rules! float {
    ($($t:ty),*) => {$(
        impl Number for $t {
            #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
            fn from_u64(v: u64) -> Option<Self> {
                Some(v as Self)
            }
            #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
            fn from_i64(v: i64) -> Option<Self> {
                Some(v as Self)
            }
            #[allow(clippy::cast_possible_truncation)]
            fn from_f64(v: f64) -> Option<Self> {
                Some(v as Self)
            }
        }
    )*};
}
float!(f32, f64);

struct NumberVisitor<T>(PhantomData<T>);

impl<T: Number> Visitor<'_> for NumberVisitor<T>
where
    <T as FromStr>::Err: fmt::Display,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number or a string holding one")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::from_u64(v).ok_or_else(|| E::custom(format!("{v} is out of range")))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::from_i64(v).ok_or_else(|| E::custom(format!("{v} is out of range")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        T::from_f64(v).ok_or_else(|| E::custom(format!("{v} is not a valid number here")))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.parse()
            .map_err(|err| E::custom(format!("`{v}` is not a number: {err}")))
    }
}

impl<'de, T: Number> serde::Deserialize<'de> for NumberDeserialize<T>
where
    <T as FromStr>::Err: fmt::Display,
{
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_any(NumberVisitor(PhantomData)).map(Self)
    }
}
