//! Generated `template::Fields` impls: name templates read a typed message's fields in
//! place, by Go, `.proto` or JSON name or by number, without converting the message.

use std::fmt::Write as _;

use prost_types::FieldDescriptorProto;
use prost_types::field_descriptor_proto::{Label, Type};

use super::index::{Message, TypeIndex};
use super::names::{go_camel, snake, upper_camel};

/// Writes `impl Fields for <message>`.
pub(super) fn write_impl(out: &mut String, message: &Message<'_>, types: &TypeIndex<'_>) {
    let mut by_name = String::new();
    let mut by_number = String::new();
    for field in &message.proto.field {
        let expr = field_expr(field, message, types);
        let mut names = vec![go_camel(field.name()), field.name().to_owned()];
        let json = field.json_name().to_owned();
        if !json.is_empty() {
            names.push(json);
        }
        names.dedup();
        names.sort();
        names.dedup();
        let pattern = names
            .iter()
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(" | ");
        let _ = writeln!(by_name, "            {pattern} => {expr},");
        let _ = writeln!(by_number, "            {} => {expr},", field.number());
    }
    let _ = writeln!(
        out,
        "impl ::cninfra_models::template::Fields for {path} {{
    #[allow(unused_variables, clippy::match_single_binding)]
    fn field(&self, name: &str) -> ::core::option::Option<::cninfra_models::template::Datum<'_>> {{
        #[allow(unused_imports)]
        use ::cninfra_models::template::{{Datum, MessageRef}};
        #[allow(unused_imports)]
        use ::std::borrow::Cow;
        ::core::option::Option::Some(match name {{
{by_name}            _ => return ::core::option::Option::None,
        }})
    }}

    #[allow(unused_variables, clippy::match_single_binding)]
    fn field_by_number(&self, number: u32) -> ::core::option::Option<::cninfra_models::template::Datum<'_>> {{
        #[allow(unused_imports)]
        use ::cninfra_models::template::{{Datum, MessageRef}};
        #[allow(unused_imports)]
        use ::std::borrow::Cow;
        ::core::option::Option::Some(match number {{
{by_number}            _ => return ::core::option::Option::None,
        }})
    }}
}}",
        path = message.path
    );
}

/// The expression reading one field as a `Datum`.
fn field_expr(
    field: &FieldDescriptorProto,
    message: &Message<'_>,
    types: &TypeIndex<'_>,
) -> String {
    let rust = snake(field.name());
    let repeated = field.label() == Label::Repeated;
    if let (Some(index), false) = (field.oneof_index, field.proto3_optional()) {
        let Some(oneof) = usize::try_from(index)
            .ok()
            .and_then(|i| message.proto.oneof_decl.get(i))
        else {
            return "Datum::Nil".to_owned();
        };
        let enum_path = format!("{}::{}", message.nested_module, upper_camel(oneof.name()));
        return format!(
            "match &self.{} {{ ::core::option::Option::Some({enum_path}::{}(v)) => {}, _ => Datum::Nil }}",
            snake(oneof.name()),
            upper_camel(field.name()),
            value_expr(field, types, "v")
        );
    }
    if repeated {
        let is_map = field.r#type() == Type::Message && types.message(field.type_name()).is_none();
        if is_map {
            // Map fields: not read by templates upstream (Go would give a map); nil here.
            return "Datum::Nil".to_owned();
        }
        return format!(
            "Datum::List(self.{rust}.iter().map(|v| {}).collect())",
            value_expr(field, types, "v")
        );
    }
    if field.r#type() == Type::Message || field.proto3_optional() {
        return format!(
            "match &self.{rust} {{ ::core::option::Option::Some(v) => {}, ::core::option::Option::None => Datum::Nil }}",
            value_expr(field, types, "v")
        );
    }
    format!(
        "{{ let v = &self.{rust}; {} }}",
        value_expr(field, types, "v")
    )
}

/// The expression turning `v` (a reference to one value of the field) into a `Datum`.
fn value_expr(field: &FieldDescriptorProto, types: &TypeIndex<'_>, v: &str) -> String {
    match field.r#type() {
        Type::Double => format!("Datum::Float(*{v})"),
        Type::Float => format!("Datum::Float(f64::from(*{v}))"),
        Type::Int32 | Type::Sint32 | Type::Sfixed32 => format!("Datum::Int(i64::from(*{v}))"),
        Type::Int64 | Type::Sint64 | Type::Sfixed64 => format!("Datum::Int(*{v})"),
        Type::Uint32 | Type::Fixed32 => format!("Datum::Uint(u64::from(*{v}))"),
        Type::Uint64 | Type::Fixed64 => format!("Datum::Uint(*{v})"),
        Type::Bool => format!("Datum::Bool(*{v})"),
        Type::String => format!("Datum::Str(Cow::Borrowed({v}.as_str()))"),
        Type::Bytes => {
            format!("Datum::List({v}.iter().map(|b| Datum::Uint(u64::from(*b))).collect())")
        }
        Type::Enum => match types.enum_path(field.type_name()) {
            Some(path) => format!(
                "Datum::Enum {{ number: *{v}, name: {path}::try_from(*{v}).ok().map(|e| Cow::Borrowed(e.as_str_name())) }}"
            ),
            None => format!("Datum::Enum {{ number: *{v}, name: None }}"),
        },
        Type::Message if types.message(field.type_name()).is_some() => {
            format!("Datum::Message(MessageRef({v}))")
        }
        // Well-known types (prost-types) and groups: not readable by templates.
        Type::Message | Type::Group => "Datum::Nil".to_owned(),
    }
}
