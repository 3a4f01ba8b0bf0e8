//! A stop-gap name template: `{{.Field}}` placeholders only (replaced by the evaluator).

use super::{Datum, Fields};
use prost_reflect::{DynamicMessage, ReflectMessage};

/// A parsed name template.
#[derive(Debug, Clone)]
pub struct NameTemplate {
    text: String,
}

/// A template that does not parse or render.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template `{template}`: {reason}")]
pub struct TemplateError {
    template: String,
    reason: String,
}

impl NameTemplate {
    /// Parses `text`.
    ///
    /// # Errors
    /// An unclosed action.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        Ok(Self {
            text: text.to_owned(),
        })
    }

    /// The source text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Renders over `data`.
    ///
    /// # Errors
    /// A missing field.
    pub fn render(&self, data: &dyn Fields) -> Result<String, TemplateError> {
        let fail = |reason: String| TemplateError {
            template: self.text.clone(),
            reason,
        };
        let mut out = String::new();
        let mut rest = self.text.as_str();
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| fail("unclosed action".into()))?;
            let name = after[..end].trim().trim_start_matches('.');
            match data.field(name) {
                Some(Datum::Str(s)) => out.push_str(&s),
                Some(Datum::Int(i)) => out.push_str(&i.to_string()),
                Some(Datum::Uint(i)) => out.push_str(&i.to_string()),
                Some(Datum::Bool(b)) => out.push_str(&b.to_string()),
                Some(Datum::Enum { name: Some(n), .. }) => out.push_str(&n),
                _ => return Err(fail(format!("no field `{name}`"))),
            }
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

fn go_name_matches(proto: &str, wanted: &str) -> bool {
    let mut camel = String::new();
    let mut upper = true;
    for c in proto.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            camel.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            camel.push(c);
        }
    }
    proto == wanted || camel == wanted
}

impl Fields for DynamicMessage {
    fn field(&self, name: &str) -> Option<Datum<'_>> {
        let field = self
            .descriptor()
            .fields()
            .find(|f| go_name_matches(f.name(), name))?;
        let value = self.get_field(&field);
        Some(match &*value {
            prost_reflect::Value::String(s) => Datum::Str(s.clone().into()),
            prost_reflect::Value::U32(n) => Datum::Uint(u64::from(*n)),
            prost_reflect::Value::U64(n) => Datum::Uint(*n),
            prost_reflect::Value::I32(n) => Datum::Int(i64::from(*n)),
            prost_reflect::Value::I64(n) => Datum::Int(*n),
            prost_reflect::Value::Bool(b) => Datum::Bool(*b),
            prost_reflect::Value::EnumNumber(n) => Datum::Enum {
                number: *n,
                name: field
                    .kind()
                    .as_enum()
                    .and_then(|e| e.get_value(*n))
                    .map(|v| v.name().to_owned().into()),
            },
            _ => Datum::Nil,
        })
    }

    fn field_by_number(&self, _number: u32) -> Option<Datum<'_>> {
        None
    }
}

impl Fields for serde_json::Value {
    fn field(&self, name: &str) -> Option<Datum<'_>> {
        let object = self.as_object()?;
        let value = object
            .iter()
            .find(|(k, _)| go_name_matches(k, name))
            .map(|(_, v)| v)?;
        Some(match value {
            serde_json::Value::String(s) => Datum::Str(s.as_str().into()),
            serde_json::Value::Bool(b) => Datum::Bool(*b),
            serde_json::Value::Number(n) => n
                .as_i64()
                .map(Datum::Int)
                .or_else(|| n.as_u64().map(Datum::Uint))
                .unwrap_or(Datum::Nil),
            _ => Datum::Nil,
        })
    }

    fn field_by_number(&self, _number: u32) -> Option<Datum<'_>> {
        None
    }
}
