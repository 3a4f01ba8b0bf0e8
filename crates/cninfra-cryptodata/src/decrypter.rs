//! [`Decrypter`]: the private keys and the registered protobuf fields, applied to one
//! stored value.

use bytes::Bytes;
use cninfra_models::DecodeError;
use serde_json::Value;

use crate::json::{FieldError, decrypt_marked, decrypt_path, is_marked};
use crate::keys::PrivateKeys;
use crate::proto::ProtoFields;

/// What the [`DecodeError`] of a value that cannot be decrypted names as its message, for
/// a marked JSON value (a registered protobuf model names its message instead).
pub const ENCRYPTED_JSON: &str = "encrypted JSON value";

/// Decrypts stored values: JSON objects marked `"encrypted": true` (their `$crypto$`
/// strings) and the registered fields of protobuf models ([`ProtoFields`]).
///
/// # Examples
/// ```
/// use cninfra_cryptodata::{Decrypter, PrivateKeys, ProtoFields};
///
/// let decrypter = Decrypter::new(PrivateKeys::default(), ProtoFields::new());
/// // A value without the marker passes unchanged.
/// let plain = bytes::Bytes::from_static(br#"{"name":"a"}"#);
/// assert_eq!(decrypter.decrypt("config/a", plain.clone()).unwrap(), plain);
/// ```
#[derive(Debug, Clone)]
pub struct Decrypter {
    keys: PrivateKeys,
    fields: ProtoFields,
}

impl Decrypter {
    /// A decrypter with `keys` for JSON values and the protobuf fields of `fields`.
    pub fn new(keys: PrivateKeys, fields: ProtoFields) -> Self {
        Self { keys, fields }
    }

    /// Whether `value` of `key` may need decrypting: a registered protobuf model, or a
    /// value that holds the `"encrypted"` marker text. A cheap test that allows to skip
    /// (or move off the async threads) the real work.
    pub fn may_decrypt(&self, key: &str, value: &[u8]) -> bool {
        self.fields.mapping_for(key).is_some() || contains_marker(value)
    }

    /// The plaintext form of `value` of `key`: unchanged when nothing in it is encrypted;
    /// otherwise re-serialised JSON with every encrypted string decrypted and the
    /// `"encrypted"` marker removed.
    ///
    /// # Errors
    /// A [`DecodeError`] naming the message (or [`ENCRYPTED_JSON`]) and the field path of
    /// the first string that does not decrypt, and why; it never holds the ciphertext or
    /// any plaintext.
    pub fn decrypt(&self, key: &str, value: Bytes) -> Result<Bytes, DecodeError> {
        if !self.may_decrypt(key, &value) {
            return Ok(value);
        }
        let mapping = self.fields.mapping_for(key);
        let message = mapping.map_or(ENCRYPTED_JSON, |m| m.model.proto_name());
        let mut json: Value = match serde_json::from_slice(&value) {
            Ok(json) => json,
            // Not JSON: only a registered protobuf model is sure to hold encrypted fields.
            Err(_) if mapping.is_none() => return Ok(value),
            Err(_) => {
                return Err(DecodeError {
                    message: message.to_owned(),
                    path: String::new(),
                    reason: "not proto3 JSON: encrypted fields are decrypted only in JSON values"
                        .to_owned(),
                });
            }
        };
        if mapping.is_none() && !is_marked(&json) {
            return Ok(value);
        }
        let fail = |err: FieldError| DecodeError {
            message: message.to_owned(),
            path: err.path,
            reason: format!("cannot decrypt: {}", err.error),
        };
        if let Some(mapping) = mapping {
            for path in &mapping.paths {
                decrypt_path(&self.keys, &mut json, path).map_err(fail)?;
            }
        }
        decrypt_marked(&self.keys, &mut json).map_err(fail)?;
        serde_json::to_vec(&json)
            .map(Bytes::from)
            .map_err(|err| DecodeError {
                message: message.to_owned(),
                path: String::new(),
                reason: format!("cannot serialise the decrypted value: {err}"),
            })
    }
}

fn contains_marker(value: &[u8]) -> bool {
    const NEEDLE: &[u8] = b"\"encrypted\"";
    value.windows(NEEDLE.len()).any(|window| window == NEEDLE)
}
