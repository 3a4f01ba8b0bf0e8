//! [`Fields`] of a [`DynamicMessage`]: what upstream's templates see of the generated Go
//! struct, read through the message descriptor.

use std::borrow::Cow;

use prost_reflect::{
    DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, ReflectMessage, Value,
};

use super::data::{Datum, Fields, MessageRef, widen_f32};
use super::names::is_go_name;

impl Fields for DynamicMessage {
    fn field(&self, name: &str) -> Option<Datum<'_>> {
        let desc = self.descriptor();
        let field = find_field(&desc, name)?;
        if field.supports_presence() && !self.has_field(&field) {
            // The Go struct holds a nil pointer (message, oneof member, optional scalar).
            return Some(Datum::Nil);
        }
        Some(read(self.get_field(&field), &field))
    }

    fn field_by_number(&self, number: u32) -> Option<Datum<'_>> {
        let field = self.descriptor().get_field(number)?;
        Some(read(self.get_field(&field), &field))
    }
}

/// The field a template names: Go name first (what upstream's templates use), then the
/// `.proto` name, then the JSON name.
fn find_field(desc: &MessageDescriptor, name: &str) -> Option<FieldDescriptor> {
    let by_go_name = desc
        .descriptor_proto()
        .field
        .iter()
        .find(|f| is_go_name(f.name(), name))
        .and_then(|f| desc.get_field(u32::try_from(f.number()).ok()?));
    by_go_name
        .or_else(|| desc.get_field_by_name(name))
        .or_else(|| desc.get_field_by_json_name(name))
}

/// A field's value (set, or the default the message gives for it).
fn read<'a>(value: Cow<'a, Value>, field: &FieldDescriptor) -> Datum<'a> {
    match value {
        Cow::Borrowed(value) => borrowed(value, field),
        Cow::Owned(value) => owned(value, field),
    }
}

fn borrowed<'a>(value: &'a Value, field: &FieldDescriptor) -> Datum<'a> {
    match value {
        Value::String(s) => Datum::Str(Cow::Borrowed(s)),
        Value::Message(m) => Datum::Message(MessageRef(m)),
        Value::List(items) => Datum::List(items.iter().map(|v| borrowed(v, field)).collect()),
        Value::Map(map) => {
            let value_field = match field.kind() {
                Kind::Message(entry) => entry.map_entry_value_field(),
                _ => field.clone(),
            };
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Datum::Map(
                entries
                    .into_iter()
                    .map(|(key, v)| (map_key(key), borrowed(v, &value_field)))
                    .collect(),
            )
        }
        scalar => copied(scalar, field),
    }
}

/// A default value the message made for an unset field: a scalar, an empty string, list or
/// map, or an empty message (which nothing borrows: [`Datum::Nil`]).
fn owned(value: Value, field: &FieldDescriptor) -> Datum<'static> {
    match value {
        Value::String(s) => Datum::Str(Cow::Owned(s)),
        Value::List(_) => Datum::List(Vec::new()),
        Value::Map(_) => Datum::Map(Vec::new()),
        Value::Message(_) => Datum::Nil,
        scalar => copied(&scalar, field),
    }
}

/// A value that holds no borrowed data.
fn copied(value: &Value, field: &FieldDescriptor) -> Datum<'static> {
    match *value {
        Value::Bool(b) => Datum::Bool(b),
        Value::I32(i) => Datum::Int(i64::from(i)),
        Value::I64(i) => Datum::Int(i),
        Value::U32(u) => Datum::Uint(u64::from(u)),
        Value::U64(u) => Datum::Uint(u),
        Value::F32(f) => Datum::Float(widen_f32(f)),
        Value::F64(f) => Datum::Float(f),
        Value::Bytes(ref b) => {
            Datum::List(b.iter().map(|&byte| Datum::Uint(u64::from(byte))).collect())
        }
        Value::EnumNumber(number) => Datum::Enum {
            number,
            name: match field.kind() {
                Kind::Enum(e) => e.get_value(number).map(|v| Cow::Owned(v.name().to_owned())),
                _ => None,
            },
        },
        Value::String(_) | Value::Message(_) | Value::List(_) | Value::Map(_) => Datum::Nil,
    }
}

fn map_key(key: &prost_reflect::MapKey) -> Cow<'_, str> {
    use prost_reflect::MapKey;
    match key {
        MapKey::String(s) => Cow::Borrowed(s),
        MapKey::Bool(b) => Cow::Owned(b.to_string()),
        MapKey::I32(i) => Cow::Owned(i.to_string()),
        MapKey::I64(i) => Cow::Owned(i.to_string()),
        MapKey::U32(u) => Cow::Owned(u.to_string()),
        MapKey::U64(u) => Cow::Owned(u.to_string()),
    }
}
