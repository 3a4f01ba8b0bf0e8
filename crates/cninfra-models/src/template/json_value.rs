//! [`Fields`] of a JSON object (`serde_json::Value`), for models kept as serde types.
//!
//! JSON carries no descriptor: an absent key is an unknown field (proto3 JSON leaves out
//! default values, so a template over such JSON must only name keys that are written),
//! enums are their names as strings, 64-bit integers written as strings stay strings, and
//! there are no field numbers (`field . N` prints `<invalid>`).

use std::borrow::Cow;

use serde_json::Value;

use super::data::{Datum, Fields, MessageRef};
use super::names::names_match;

impl Fields for Value {
    fn field(&self, name: &str) -> Option<Datum<'_>> {
        let object = self.as_object()?;
        let value = match object.get(name) {
            Some(value) => value,
            None => object.iter().find(|(key, _)| names_match(key, name))?.1,
        };
        Some(datum(value))
    }

    fn field_by_number(&self, _number: u32) -> Option<Datum<'_>> {
        None
    }
}

fn datum(value: &Value) -> Datum<'_> {
    match value {
        Value::Null => Datum::Nil,
        Value::Bool(b) => Datum::Bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Datum::Int(i),
            (None, Some(u)) => Datum::Uint(u),
            (None, None) => Datum::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => Datum::Str(Cow::Borrowed(s)),
        Value::Array(items) => Datum::List(items.iter().map(datum).collect()),
        Value::Object(_) => Datum::Message(MessageRef(value)),
    }
}
