//! Decrypting JSON values in place: objects marked `"encrypted": true` (upstream's JSON
//! decrypter) and registered protobuf fields ([`ProtoFields`](crate::ProtoFields)).

use cninfra_models::secret::FieldPath;
use serde_json::Value;

use crate::cipher::{CRYPTO_PREFIX, DecryptError, ENCRYPTED_MARKER, decrypt_string};
use crate::keys::PrivateKeys;

/// A string that could not be decrypted, with the path of its field (`tunnels[1].key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldError {
    pub(crate) path: String,
    pub(crate) error: DecryptError,
}

/// Whether `value` is an object marked `"encrypted": true`.
pub(crate) fn is_marked(value: &Value) -> bool {
    value.get(ENCRYPTED_MARKER) == Some(&Value::Bool(true))
}

/// Decrypts every string of a marked object (recursively, through objects and arrays) that
/// starts with [`CRYPTO_PREFIX`], and removes the marker so that a strict model decodes the
/// result. An unmarked value is left alone. Stops at the first string that fails.
pub(crate) fn decrypt_marked(keys: &PrivateKeys, value: &mut Value) -> Result<(), FieldError> {
    let Value::Object(object) = value else {
        return Ok(());
    };
    if object.get(ENCRYPTED_MARKER) != Some(&Value::Bool(true)) {
        return Ok(());
    }
    object.remove(ENCRYPTED_MARKER);
    let mut path = String::new();
    walk_prefixed(keys, value, &mut path)
}

fn walk_prefixed(
    keys: &PrivateKeys,
    value: &mut Value,
    path: &mut String,
) -> Result<(), FieldError> {
    match value {
        Value::String(text) => {
            if let Some(encoded) = text.strip_prefix(CRYPTO_PREFIX) {
                *text = decrypt_string(keys, encoded).map_err(|error| FieldError {
                    path: path.clone(),
                    error,
                })?;
            }
        }
        Value::Object(object) => {
            for (name, child) in object.iter_mut() {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(name);
                walk_prefixed(keys, child, path)?;
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter_mut().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{index}]"));
                walk_prefixed(keys, child, path)?;
                path.truncate(len);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
    Ok(())
}

/// Decrypts the strings at `path` in `value` (every element where the path meets a list);
/// empty and absent fields are left alone. The strings are base64url without prefix
/// (upstream's proto format); a `$crypto$` prefix is accepted too.
pub(crate) fn decrypt_path(
    keys: &PrivateKeys,
    value: &mut Value,
    path: &FieldPath,
) -> Result<(), FieldError> {
    path.try_visit_mut(value, &mut |at, field| {
        let Value::String(text) = field else {
            return Ok(());
        };
        if text.is_empty() {
            return Ok(());
        }
        let encoded = text.strip_prefix(CRYPTO_PREFIX).unwrap_or(text);
        *text = decrypt_string(keys, encoded).map_err(|error| FieldError {
            path: at.to_owned(),
            error,
        })?;
        Ok(())
    })
}
