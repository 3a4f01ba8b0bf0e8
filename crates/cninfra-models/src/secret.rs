//! Secret fields of models: [`FieldPath`] and the [`REDACTED`] text that stands for their
//! values in logs and debug views ([`ModelRegistry::mark_secret`](crate::ModelRegistry::mark_secret)).

use std::fmt;

use prost_reflect::{Kind, MessageDescriptor};
use serde_json::Value;

/// What a secret value is shown as.
pub const REDACTED: &str = "<redacted>";

/// A path to a field of a model's values, through submessages and repeated fields
/// (`["memif", "secret"]`), as its JSON form is matched: each step under the field's proto
/// name and its JSON (lowerCamel) name, every element where a step meets a list.
///
/// # Examples
/// ```
/// use cninfra_models::secret::FieldPath;
/// use serde_json::json;
///
/// let path = FieldPath::new(None, &["users", "password"]).unwrap();
/// let mut value = json!({"users": [{"name": "a", "password": "x"}, {"name": "b"}]});
/// path.redact(&mut value);
/// assert_eq!(value, json!({"users": [{"name": "a", "password": "<redacted>"}, {"name": "b"}]}));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath {
    steps: Vec<Vec<String>>,
    text: String,
    string_leaf: bool,
}

impl FieldPath {
    /// The path `path` in `descriptor` (each step must be a field, every step but the last
    /// a message field); without a descriptor (serde models) the names as given.
    /// `None` for an empty path or one the message does not have.
    pub fn new(descriptor: Option<&MessageDescriptor>, path: &[&str]) -> Option<Self> {
        if path.is_empty() {
            return None;
        }
        let text = path.join(".");
        let Some(mut message) = descriptor.cloned() else {
            return Some(Self {
                steps: path.iter().map(|name| vec![(*name).to_owned()]).collect(),
                text,
                string_leaf: true,
            });
        };
        let mut steps = Vec::with_capacity(path.len());
        let mut string_leaf = false;
        for (index, name) in path.iter().enumerate() {
            let field = message.get_field_by_name(name)?;
            let mut names = vec![field.name().to_owned()];
            if field.json_name() != field.name() {
                names.push(field.json_name().to_owned());
            }
            steps.push(names);
            let last = index + 1 == path.len();
            match field.kind() {
                Kind::Message(next) if !last => message = next,
                kind if last => string_leaf = kind == Kind::String,
                _ => return None,
            }
        }
        Some(Self {
            steps,
            text,
            string_leaf,
        })
    }

    /// Whether the field holds strings (always true without a descriptor).
    pub fn is_string(&self) -> bool {
        self.string_leaf
    }

    /// Calls `f` with the field path as written in `json` (`tunnels[1].key`) and the value
    /// of every field the path reaches (absent fields are skipped); stops at the first
    /// error.
    ///
    /// # Errors
    /// The first error of `f`.
    pub fn try_visit_mut<E>(
        &self,
        json: &mut Value,
        f: &mut dyn FnMut(&str, &mut Value) -> Result<(), E>,
    ) -> Result<(), E> {
        visit(json, &self.steps, &mut String::new(), f)
    }

    /// Replaces the value of every field the path reaches in `json` by [`REDACTED`].
    pub fn redact(&self, json: &mut Value) {
        let _ = self.try_visit_mut::<()>(json, &mut |_, value| {
            *value = Value::String(REDACTED.to_owned());
            Ok(())
        });
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn visit<E>(
    json: &mut Value,
    steps: &[Vec<String>],
    path: &mut String,
    f: &mut dyn FnMut(&str, &mut Value) -> Result<(), E>,
) -> Result<(), E> {
    let Some((names, rest)) = steps.split_first() else {
        return f(path, json);
    };
    match json {
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{index}]"));
                visit(item, steps, path, f)?;
                path.truncate(len);
            }
        }
        Value::Object(object) => {
            for name in names {
                if let Some(child) = object.get_mut(name) {
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(name);
                    // A list at the last step: every element is the field's value.
                    match child {
                        Value::Array(items) if rest.is_empty() => {
                            for (index, item) in items.iter_mut().enumerate() {
                                let len = path.len();
                                path.push_str(&format!("[{index}]"));
                                f(path, item)?;
                                path.truncate(len);
                            }
                        }
                        _ => visit(child, rest, path, f)?,
                    }
                    path.truncate(len);
                }
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::{ModelError, ModelRegistry, ModelSpec};

    #[derive(serde::Serialize)]
    struct Db {
        name: String,
    }

    #[test]
    fn a_marked_field_is_redacted_in_every_element_and_unknown_models_are_refused() {
        let mut registry = ModelRegistry::new();
        registry
            .register_serde::<Db>(ModelSpec::new("example", "v1", "dbs").unwrap(), None)
            .unwrap();
        registry.mark_secret("example.dbs", &["password"]).unwrap();
        let model = registry
            .mark_secret("example.dbs", &["users", "token"])
            .unwrap();
        assert_eq!(model.secret_fields().len(), 2);
        let mut value = json!({
            "name": "a",
            "password": "p",
            "users": [{"token": "t1"}, {"token": ["t2", "t3"]}, {}],
        });
        model.redact(&mut value);
        assert_eq!(
            value,
            json!({
                "name": "a",
                "password": "<redacted>",
                "users": [{"token": "<redacted>"}, {"token": ["<redacted>", "<redacted>"]}, {}],
            })
        );
        assert!(matches!(
            registry.mark_secret("example.nope", &["x"]),
            Err(ModelError::Unknown { .. })
        ));
        assert!(matches!(
            registry.mark_secret("example.dbs", &[]),
            Err(ModelError::NoField { .. })
        ));
    }
}
