//! Instance names: a field of the value, a template over its fields, or none.

use serde::{Deserialize, Serialize};

use super::ModelError;

/// How the instance name (the key suffix) of a value is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NameSource {
    /// The value of a string field (upstream's default `{{.Name}}`: the `name` field).
    Field(String),
    /// A template with `{{.field}}` placeholders (dotted paths into nested objects),
    /// e.g. `{{.bridge_domain}}/mac/{{.phys_address}}`. A missing field is an error.
    Template(String),
    /// A global singleton: no name; the key is the prefix without its trailing slash.
    Singleton,
}

impl Default for NameSource {
    fn default() -> Self {
        Self::Field("name".to_owned())
    }
}

fn field<'v>(value: &'v serde_json::Value, path: &str) -> Option<&'v serde_json::Value> {
    path.split('.').try_fold(value, |v, part| v.get(part))
}

fn scalar(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl NameSource {
    /// The instance name of `value` (JSON) for model `model`.
    ///
    /// # Errors
    /// [`ModelError::MissingField`] when a field is absent or not a scalar,
    /// [`ModelError::BadTemplate`] for an unclosed placeholder.
    pub fn instance_name(
        &self,
        model: &str,
        value: &serde_json::Value,
    ) -> Result<String, ModelError> {
        let missing = |path: &str| ModelError::MissingField {
            model: model.to_owned(),
            field: path.to_owned(),
        };
        match self {
            Self::Singleton => Ok(String::new()),
            Self::Field(path) => field(value, path)
                .and_then(scalar)
                .ok_or_else(|| missing(path)),
            Self::Template(template) => {
                let mut out = String::new();
                let mut rest = template.as_str();
                while let Some(start) = rest.find("{{") {
                    out.push_str(&rest[..start]);
                    let after = &rest[start + 2..];
                    let end = after.find("}}").ok_or_else(|| ModelError::BadTemplate {
                        model: model.to_owned(),
                        template: template.clone(),
                    })?;
                    let path = after[..end].trim().trim_start_matches('.');
                    out.push_str(
                        &field(value, path)
                            .and_then(scalar)
                            .ok_or_else(|| missing(path))?,
                    );
                    rest = &after[end + 2..];
                }
                out.push_str(rest);
                Ok(out)
            }
        }
    }
}
