//! The typed descriptor trait and its type-erased form.

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use cninfra_idxmap::IdxMap;
use cninfra_models::codec::decode_serde;
use cninfra_models::secret::FieldPath;
use cninfra_models::{DecodeError, Model};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Dependency, DerivedValue, DescriptorError};
use crate::state::{Origin, TxnOperation};
use crate::value::{Metadata, Value};

/// A value the scheduler believes exists, handed to `retrieve` to help classify what it
/// finds (at the first resync these are the values NB asked for).
#[derive(Debug)]
pub struct Correlated<'a, V, M> {
    /// The key.
    pub key: &'a str,
    /// The value.
    pub value: &'a V,
    /// Who asked for it.
    pub origin: Origin,
    /// Its metadata, if the scheduler keeps one.
    pub metadata: Option<&'a M>,
}

/// A value found in the southbound by `retrieve`.
#[derive(Debug, Clone, PartialEq)]
pub struct Retrieved<V, M> {
    /// The key.
    pub key: String,
    /// The value as it is in the southbound.
    pub value: V,
    /// Its metadata.
    pub metadata: Option<M>,
    /// [`Origin::FromSb`] for values the agent did not configure (defaults), [`Origin::FromNb`]
    /// for values it did, [`Origin::Unknown`] to let the scheduler decide from its records.
    pub origin: Origin,
}

impl<V, M> Retrieved<V, M> {
    /// A value of unknown origin without metadata.
    pub fn new(key: impl Into<String>, value: V) -> Self {
        Self {
            key: key.into(),
            value,
            metadata: None,
            origin: Origin::Unknown,
        }
    }
}

/// What `retrieve` returns.
pub type RetrieveResult<V, M> = Result<Vec<Retrieved<V, M>>, DescriptorError>;

/// A descriptor written against its own value type `Value` and metadata type `Metadata`.
///
/// Only `name`, `key_prefix`, `create` and `delete` are required; every other callback has
/// upstream's default. Callbacks are synchronous and run on the scheduler's engine thread,
/// one at a time: they may block briefly (a southbound call) but should bound their own
/// waits (every external call needs a timeout).
///
/// Capabilities a descriptor may lack are declared with constants: without
/// [`SUPPORTS_UPDATE`](Self::SUPPORTS_UPDATE) every change is a delete + create, without
/// [`SUPPORTS_RETRIEVE`](Self::SUPPORTS_RETRIEVE) the scheduler trusts its own view
/// (no refresh), without [`WITH_METADATA`](Self::WITH_METADATA) metadata is dropped.
///
/// # Examples
/// ```
/// use std::sync::{Arc, Mutex};
/// use cninfra_kvscheduler::{DescriptorError, TypedDescriptor};
///
/// #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
/// struct Route { dst: String, via: String }
///
/// struct Routes { installed: Arc<Mutex<Vec<String>>> }
///
/// impl TypedDescriptor for Routes {
///     type Value = Route;
///     type Metadata = ();
///     fn name(&self) -> &str { "routes" }
///     fn key_prefix(&self) -> &str { "config/demo/v1/routes/" }
///     fn create(&self, _key: &str, value: &Route) -> Result<(), DescriptorError> {
///         self.installed.lock().unwrap().push(value.dst.clone());
///         Ok(())
///     }
///     fn delete(&self, _key: &str, value: &Route, _meta: Option<&()>) -> Result<(), DescriptorError> {
///         self.installed.lock().unwrap().retain(|dst| dst != &value.dst);
///         Ok(())
///     }
/// }
/// ```
pub trait TypedDescriptor: Send + Sync + 'static {
    /// The value type of the keys this descriptor owns.
    type Value: Serialize + DeserializeOwned + PartialEq + fmt::Debug + Send + Sync + 'static;
    /// Per-value run-time data (`()` for none).
    type Metadata: fmt::Debug + Send + Sync + 'static;

    /// Whether `update` is implemented (else every change re-creates the value).
    const SUPPORTS_UPDATE: bool = false;
    /// Whether `retrieve` is implemented (else the descriptor's values are never refreshed).
    const SUPPORTS_RETRIEVE: bool = false;
    /// Whether metadata returned by `create`/`update` is kept (in the descriptor's
    /// metadata map, see [`metadata_map`](Self::metadata_map)).
    const WITH_METADATA: bool = false;

    /// The unique name of the descriptor.
    fn name(&self) -> &str;

    /// Every key the descriptor owns starts with this prefix (the registry indexes it, so
    /// finding the descriptor of a key costs a few hash lookups). An empty prefix makes the
    /// descriptor a fallback tested by [`key_selector`](Self::key_selector) for every key.
    fn key_prefix(&self) -> &str;

    /// Narrows the keys under the prefix that the descriptor owns (default: all; with a
    /// [`model`](Self::model), only its instance keys are the descriptor's anyway).
    fn key_selector(&self, _key: &str) -> bool {
        true
    }

    /// The model of the values, as upstream's descriptors are built from one (default:
    /// none). With a model, the descriptor owns only the model's instance keys
    /// ([`Model::is_key_valid`]: upstream's `KeySelector`), and a raw value that does not
    /// decode is reported under the model's message ([`Model::proto_name`]:
    /// `ligato.vpp.l2.FIBEntry`, upstream's `ValueTypeName`) rather than the Rust type.
    /// Give the model's [`Model::key_prefix`] as [`key_prefix`](Self::key_prefix)
    /// (upstream's `NBKeyPrefix`); the default [`key_label`](Self::key_label) is then
    /// upstream's `StripKeyPrefix`.
    fn model(&self) -> Option<&Model> {
        None
    }

    /// The prefix NB writes these values under (watched by the KV store wiring); `None`
    /// for descriptors of derived or southbound-only values. Default: the key prefix.
    fn nb_key_prefix(&self) -> Option<&str> {
        Some(self.key_prefix())
    }

    /// A short name of the value, unique within the descriptor (metadata map name, logs).
    /// Default: the key without the key prefix.
    fn key_label<'k>(&self, key: &'k str) -> Cow<'k, str> {
        Cow::Borrowed(key.strip_prefix(self.key_prefix()).unwrap_or(key))
    }

    /// Whether two values are the same for the southbound (default: `==`).
    fn equivalent(&self, _key: &str, old: &Self::Value, new: &Self::Value) -> bool {
        old == new
    }

    /// Checks a value before any operation; an error makes the value INVALID.
    ///
    /// # Errors
    /// [`DescriptorError::Invalid`] naming the invalid fields.
    fn validate(&self, _key: &str, _value: &Self::Value) -> Result<(), DescriptorError> {
        Ok(())
    }

    /// Creates the value in the southbound.
    ///
    /// # Errors
    /// When the southbound call fails.
    fn create(&self, key: &str, value: &Self::Value) -> Result<Self::Metadata, DescriptorError>;

    /// Updates the value in place (only with [`SUPPORTS_UPDATE`](Self::SUPPORTS_UPDATE)).
    ///
    /// # Errors
    /// When the southbound call fails.
    fn update(
        &self,
        _key: &str,
        _old: &Self::Value,
        _new: &Self::Value,
        _metadata: Option<&Self::Metadata>,
    ) -> Result<Self::Metadata, DescriptorError> {
        Err(DescriptorError::Unimplemented {
            descriptor: self.name().to_owned(),
            operation: TxnOperation::Update,
        })
    }

    /// Whether this change needs a delete + create (default: when update is not supported).
    fn update_with_recreate(
        &self,
        _key: &str,
        _old: &Self::Value,
        _new: &Self::Value,
        _metadata: Option<&Self::Metadata>,
    ) -> bool {
        !Self::SUPPORTS_UPDATE
    }

    /// Deletes the value from the southbound.
    ///
    /// # Errors
    /// When the southbound call fails.
    fn delete(
        &self,
        key: &str,
        value: &Self::Value,
        metadata: Option<&Self::Metadata>,
    ) -> Result<(), DescriptorError>;

    /// Reads the descriptor's (non-derived) values from the southbound (only with
    /// [`SUPPORTS_RETRIEVE`](Self::SUPPORTS_RETRIEVE)).
    ///
    /// # Errors
    /// When the southbound cannot be read; the scheduler then trusts its own view.
    fn retrieve(
        &self,
        _correlate: &[Correlated<'_, Self::Value, Self::Metadata>],
    ) -> RetrieveResult<Self::Value, Self::Metadata> {
        Ok(Vec::new())
    }

    /// Names of descriptors whose `retrieve` must run before this one's.
    fn retrieve_dependencies(&self) -> Vec<String> {
        Vec::new()
    }

    /// Whether a failure may go away on retry (default: the error kind says so).
    fn is_retriable(&self, err: &DescriptorError) -> bool {
        err.is_retriable_kind()
    }

    /// Values derived from this one (kept as long as it exists).
    fn derived_values(&self, _key: &str, _value: &Self::Value) -> Vec<DerivedValue> {
        Vec::new()
    }

    /// Values this one needs (all of them, AND-ed).
    fn dependencies(&self, _key: &str, _value: &Self::Value) -> Vec<Dependency> {
        Vec::new()
    }

    /// The map the metadata is kept in, keyed by key label (only with
    /// [`WITH_METADATA`](Self::WITH_METADATA)); override to add secondary indexes.
    fn metadata_map(&self) -> IdxMap<Self::Metadata> {
        IdxMap::new(self.name())
    }
}

/// A correlation entry of the erased layer.
#[derive(Debug, Clone)]
pub(crate) struct CorrelateEntry {
    pub(crate) key: Arc<str>,
    pub(crate) value: Value,
    pub(crate) origin: Origin,
    pub(crate) metadata: Option<Metadata>,
}

/// A retrieved value in the erased layer.
#[derive(Debug, Clone)]
pub(crate) struct RetrievedKv {
    pub(crate) key: Arc<str>,
    pub(crate) value: Value,
    pub(crate) metadata: Option<Metadata>,
    pub(crate) origin: Origin,
}

/// The descriptor as the scheduler sees it.
pub(crate) trait ErasedDescriptor: Send + Sync + 'static {
    fn name(&self) -> &str;
    fn key_prefix(&self) -> &str;
    fn key_selector(&self, key: &str) -> bool;
    fn nb_key_prefix(&self) -> Option<&str>;
    fn key_label<'k>(&self, key: &'k str) -> Cow<'k, str>;
    fn decode(&self, key: &str, value: &Value) -> Result<Value, DescriptorError>;
    fn equivalent(&self, key: &str, old: &Value, new: &Value) -> bool;
    fn validate(&self, key: &str, value: &Value) -> Result<(), DescriptorError>;
    fn create(&self, key: &str, value: &Value) -> Result<Option<Metadata>, DescriptorError>;
    fn update(
        &self,
        key: &str,
        old: &Value,
        new: &Value,
        metadata: Option<&Metadata>,
    ) -> Result<Option<Metadata>, DescriptorError>;
    fn update_with_recreate(
        &self,
        key: &str,
        old: &Value,
        new: &Value,
        metadata: Option<&Metadata>,
    ) -> bool;
    fn delete(
        &self,
        key: &str,
        value: &Value,
        metadata: Option<&Metadata>,
    ) -> Result<(), DescriptorError>;
    fn retrieve(
        &self,
        correlate: &[CorrelateEntry],
    ) -> Option<Result<Vec<RetrievedKv>, DescriptorError>>;
    fn retrieve_dependencies(&self) -> Vec<String>;
    fn is_retriable(&self, err: &DescriptorError) -> bool;
    fn derived_values(&self, key: &str, value: &Value) -> Vec<DerivedValue>;
    fn dependencies(&self, key: &str, value: &Value) -> Vec<Dependency>;
    fn with_metadata(&self) -> bool;
    fn metadata_put(&self, label: &str, metadata: &Metadata);
    fn metadata_delete(&self, label: &str);
    /// A clone of the `IdxMap<Metadata>`, boxed.
    fn metadata_map_any(&self) -> Option<Box<dyn Any + Send + Sync>>;
    fn metadata_debug(&self, metadata: &Metadata) -> String;
    /// `value` marked with the secret fields of the descriptor's model.
    fn mark_secrets(&self, value: Value) -> Value;
}

/// Turns a typed descriptor into the erased form.
pub(crate) fn erase<D: TypedDescriptor>(descriptor: D) -> Arc<dyn ErasedDescriptor> {
    let map = D::WITH_METADATA.then(|| descriptor.metadata_map());
    let secret_fields = descriptor
        .model()
        .map(|model| model.secret_fields().into())
        .unwrap_or_else(|| Arc::from([]));
    Arc::new(Adapter {
        inner: descriptor,
        map,
        secret_fields,
    })
}

struct Adapter<D: TypedDescriptor> {
    inner: D,
    map: Option<IdxMap<D::Metadata>>,
    /// The secret fields of the descriptor's model, marked on its values.
    secret_fields: Arc<[FieldPath]>,
}

impl<D: TypedDescriptor> Adapter<D> {
    fn typed<'v>(&self, key: &str, value: &'v Value) -> Result<&'v D::Value, DescriptorError> {
        value
            .downcast_ref::<D::Value>()
            .ok_or_else(|| DescriptorError::WrongType {
                key: key.to_owned(),
                expected: std::any::type_name::<D::Value>(),
                reason: format!("found a `{}`", value.type_name()),
            })
    }

    fn meta(metadata: Option<&Metadata>) -> Option<&D::Metadata> {
        metadata.and_then(|m| m.downcast_ref::<D::Metadata>())
    }

    fn keep(metadata: D::Metadata) -> Option<Metadata> {
        D::WITH_METADATA.then(|| Arc::new(metadata) as Metadata)
    }
}

impl<D: TypedDescriptor> ErasedDescriptor for Adapter<D> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn key_prefix(&self) -> &str {
        self.inner.key_prefix()
    }

    fn key_selector(&self, key: &str) -> bool {
        key.starts_with(self.inner.key_prefix())
            && self
                .inner
                .model()
                .is_none_or(|model| model.is_key_valid(key))
            && self.inner.key_selector(key)
    }

    fn nb_key_prefix(&self) -> Option<&str> {
        self.inner.nb_key_prefix()
    }

    fn key_label<'k>(&self, key: &'k str) -> Cow<'k, str> {
        self.inner.key_label(key)
    }

    fn decode(&self, key: &str, value: &Value) -> Result<Value, DescriptorError> {
        let Some(json) = value.raw_json() else {
            return self
                .typed(key, value)
                .map(|_| self.mark_secrets(value.clone()));
        };
        // Through the bytes, so the error names the field that broke (as a KV store's
        // value would be read).
        let decoded = serde_json::to_vec(json)
            .map_err(|err| DecodeError {
                message: String::new(),
                path: String::new(),
                reason: err.to_string(),
            })
            .and_then(|bytes| decode_serde::<D::Value>(&bytes));
        decoded
            .map(|decoded| self.mark_secrets(Value::new(decoded)))
            .map_err(|mut error| {
                // The message by its proto name (the Rust type name without a model).
                error.message = self.inner.model().map_or_else(
                    || std::any::type_name::<D::Value>().to_owned(),
                    |model| model.proto_name().to_owned(),
                );
                DescriptorError::Undecodable {
                    key: key.to_owned(),
                    error,
                }
            })
    }

    fn equivalent(&self, key: &str, old: &Value, new: &Value) -> bool {
        match (self.typed(key, old), self.typed(key, new)) {
            (Ok(old), Ok(new)) => self.inner.equivalent(key, old, new),
            _ => old == new,
        }
    }

    fn validate(&self, key: &str, value: &Value) -> Result<(), DescriptorError> {
        self.inner.validate(key, self.typed(key, value)?)
    }

    fn create(&self, key: &str, value: &Value) -> Result<Option<Metadata>, DescriptorError> {
        self.inner
            .create(key, self.typed(key, value)?)
            .map(Self::keep)
    }

    fn update(
        &self,
        key: &str,
        old: &Value,
        new: &Value,
        metadata: Option<&Metadata>,
    ) -> Result<Option<Metadata>, DescriptorError> {
        self.inner
            .update(
                key,
                self.typed(key, old)?,
                self.typed(key, new)?,
                Self::meta(metadata),
            )
            .map(Self::keep)
    }

    fn update_with_recreate(
        &self,
        key: &str,
        old: &Value,
        new: &Value,
        metadata: Option<&Metadata>,
    ) -> bool {
        match (self.typed(key, old), self.typed(key, new)) {
            (Ok(old), Ok(new)) => {
                self.inner
                    .update_with_recreate(key, old, new, Self::meta(metadata))
            }
            _ => true,
        }
    }

    fn delete(
        &self,
        key: &str,
        value: &Value,
        metadata: Option<&Metadata>,
    ) -> Result<(), DescriptorError> {
        self.inner
            .delete(key, self.typed(key, value)?, Self::meta(metadata))
    }

    fn retrieve(
        &self,
        correlate: &[CorrelateEntry],
    ) -> Option<Result<Vec<RetrievedKv>, DescriptorError>> {
        if !D::SUPPORTS_RETRIEVE {
            return None;
        }
        let typed: Vec<Correlated<'_, D::Value, D::Metadata>> = correlate
            .iter()
            .filter_map(|entry| {
                Some(Correlated {
                    key: &entry.key,
                    value: entry.value.downcast_ref::<D::Value>()?,
                    origin: entry.origin,
                    metadata: Self::meta(entry.metadata.as_ref()),
                })
            })
            .collect();
        Some(self.inner.retrieve(&typed).map(|found| {
            found
                .into_iter()
                .map(|r| RetrievedKv {
                    key: r.key.into(),
                    value: self.mark_secrets(Value::new(r.value)),
                    metadata: r.metadata.and_then(Self::keep),
                    origin: r.origin,
                })
                .collect()
        }))
    }

    fn retrieve_dependencies(&self) -> Vec<String> {
        self.inner.retrieve_dependencies()
    }

    fn is_retriable(&self, err: &DescriptorError) -> bool {
        self.inner.is_retriable(err)
    }

    fn derived_values(&self, key: &str, value: &Value) -> Vec<DerivedValue> {
        self.typed(key, value)
            .map(|v| self.inner.derived_values(key, v))
            .unwrap_or_default()
    }

    fn dependencies(&self, key: &str, value: &Value) -> Vec<Dependency> {
        self.typed(key, value)
            .map(|v| self.inner.dependencies(key, v))
            .unwrap_or_default()
    }

    fn with_metadata(&self) -> bool {
        D::WITH_METADATA
    }

    fn metadata_put(&self, label: &str, metadata: &Metadata) {
        if let (Some(map), Ok(typed)) = (&self.map, Arc::clone(metadata).downcast::<D::Metadata>())
        {
            map.put(label, typed);
        }
    }

    fn metadata_delete(&self, label: &str) {
        if let Some(map) = &self.map {
            map.delete(label);
        }
    }

    fn metadata_map_any(&self) -> Option<Box<dyn Any + Send + Sync>> {
        self.map
            .clone()
            .map(|map| Box::new(map) as Box<dyn Any + Send + Sync>)
    }

    fn metadata_debug(&self, metadata: &Metadata) -> String {
        Self::meta(Some(metadata)).map_or_else(String::new, |m| format!("{m:?}"))
    }

    fn mark_secrets(&self, value: Value) -> Value {
        if self.secret_fields.is_empty() {
            value
        } else {
            value.with_secret_fields(Arc::clone(&self.secret_fields))
        }
    }
}
