//! [`ProtoFields`]: the fields of protobuf models that hold encrypted strings (upstream's
//! proto decrypter and its `RegisterMapping`).

use std::sync::Arc;

use cninfra_models::Model;
use cninfra_models::secret::FieldPath;

/// A field path that does not fit the model's message.
#[derive(Debug, thiserror::Error)]
#[error("model `{model}` has no string field `{path}`")]
pub struct FieldPathError {
    /// The model's name.
    pub model: String,
    /// The path as given, dot-joined.
    pub path: String,
}

/// The protobuf models whose values carry encrypted strings in given fields, as
/// upstream's `DecrypterProto::RegisterMapping`: every value of a registered model has
/// those fields decrypted (no `"encrypted"` marker needed), each field holding base64url of
/// RSA-OAEP (upstream's proto format, [`encrypt_field`](crate::encrypt_field)); empty
/// fields are left alone. A path crosses repeated fields and submessages: the field path
/// `["tunnels", "local_crypto_key"]` decrypts that field in every tunnel. Paths use proto
/// field names (upstream uses the Go names, `Tunnels`, `LocalCryptoKey`); values are
/// matched under the proto name and the JSON (lowerCamel) name alike.
///
/// Values must be stored as proto3 JSON (the default codec); a binary value of a registered
/// model is an error, so that no ciphertext passes undecrypted.
///
/// # Examples
/// ```
/// use cninfra_cryptodata::ProtoFields;
/// use cninfra_models::{ModelRegistry, ModelSpec};
///
/// # fn demo(registry: &ModelRegistry) -> Result<(), Box<dyn std::error::Error>> {
/// let model = registry.get("vpp.interfaces").ok_or("no such model")?;
/// let mut fields = ProtoFields::new();
/// fields.register(model, &[&["memif", "secret"]])?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct ProtoFields {
    mappings: Vec<Mapping>,
}

/// The encrypted fields of one model.
#[derive(Debug, Clone)]
pub(crate) struct Mapping {
    pub(crate) model: Arc<Model>,
    pub(crate) paths: Vec<FieldPath>,
}

impl ProtoFields {
    /// No fields.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the fields at `paths` of `model`'s values as encrypted. With a message
    /// descriptor, each path must lead through message fields to a string field.
    ///
    /// # Errors
    /// [`FieldPathError`] for a path the message does not have.
    pub fn register(
        &mut self,
        model: &Arc<Model>,
        paths: &[&[&str]],
    ) -> Result<&mut Self, FieldPathError> {
        let steps = paths
            .iter()
            .map(|path| {
                FieldPath::new(model.descriptor(), path)
                    .filter(FieldPath::is_string)
                    .ok_or_else(|| FieldPathError {
                        model: model.name().to_owned(),
                        path: path.join("."),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.mappings.push(Mapping {
            model: Arc::clone(model),
            paths: steps,
        });
        Ok(self)
    }

    /// True when no field is registered.
    pub fn is_empty(&self) -> bool {
        self.mappings.is_empty()
    }

    /// The mapping of the model `key` belongs to; the key may carry an agent prefix
    /// (`/vnf-agent/vpp1/config/…`).
    pub(crate) fn mapping_for(&self, key: &str) -> Option<&Mapping> {
        self.mappings.iter().find(|mapping| {
            let prefix = mapping.model.key_prefix();
            key.match_indices(prefix).any(|(at, _)| {
                (at == 0 || key.as_bytes()[at - 1] == b'/')
                    && mapping.model.is_key_valid(&key[at..])
            })
        })
    }
}
