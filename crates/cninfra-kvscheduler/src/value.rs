//! Type-erased values and metadata.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use cninfra_models::secret::FieldPath;
use serde::Serialize;

/// A value of the key space: any `Serialize + PartialEq + Debug` type behind an `Arc`.
///
/// The scheduler never looks inside a value; the descriptor that owns the key downcasts it
/// to its own type. Cloning is cheap (one reference count). Protobuf messages are values
/// once their serde impls are proto3 JSON (`cninfra_models::proto_json!`, which the
/// messages compiled by `cninfra_models::build` and those of `cninfra-ligato` have), so
/// [`to_json`](Self::to_json) shows them as upstream stores them.
///
/// A value may also be *raw* JSON ([`Value::from_json`]), as a KV store or a REST client
/// hands it over; the owning descriptor decodes it into its type before using it (a value
/// that does not decode ends INVALID, its error naming the key, the message and the
/// field).
///
/// # Examples
/// ```
/// use cninfra_kvscheduler::Value;
///
/// #[derive(Debug, PartialEq, serde::Serialize)]
/// struct Iface { name: String, mtu: u32 }
///
/// let v = Value::new(Iface { name: "eth0".into(), mtu: 1500 });
/// assert_eq!(v.downcast_ref::<Iface>().map(|i| i.mtu), Some(1500));
/// assert_eq!(v.to_json()["name"], "eth0");
/// assert_eq!(v, Value::new(Iface { name: "eth0".into(), mtu: 1500 }));
/// ```
///
/// A value may carry the secret fields of its model ([`with_secret_fields`](Self::with_secret_fields),
/// which the scheduler does for the values of a descriptor whose model has
/// [secret fields](cninfra_models::ModelRegistry::mark_secret)): its `Display`, `Debug`
/// and `Serialize` forms (the transaction log, the REST debug API, dumps) then show those
/// fields as `<redacted>`; [`to_json`](Self::to_json) and downcasts still give the real
/// value, and equality ignores the marking.
#[derive(Clone)]
pub struct Value {
    object: Arc<dyn ValueObject>,
    secret_fields: Option<Arc<[FieldPath]>>,
}

/// What the scheduler needs from a value: comparison, printing and JSON.
trait ValueObject: Send + Sync + 'static {
    fn as_any(&self) -> &dyn Any;
    fn eq_dyn(&self, other: &dyn ValueObject) -> bool;
    fn to_json(&self) -> serde_json::Value;
    fn debug(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
    fn type_name(&self) -> &'static str;
}

struct Typed<T>(T);

impl<T> ValueObject for Typed<T>
where
    T: Serialize + PartialEq + fmt::Debug + Send + Sync + 'static,
{
    fn as_any(&self) -> &dyn Any {
        &self.0
    }

    fn eq_dyn(&self, other: &dyn ValueObject) -> bool {
        other.as_any().downcast_ref::<T>() == Some(&self.0)
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.0)
            .unwrap_or_else(|err| serde_json::Value::String(format!("<not serialisable: {err}>")))
    }

    fn debug(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }

    fn type_name(&self) -> &'static str {
        std::any::type_name::<T>()
    }
}

/// JSON that no descriptor has decoded yet.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub(crate) struct RawJson(pub(crate) serde_json::Value);

impl Value {
    /// Wraps a typed value.
    pub fn new<T>(value: T) -> Self
    where
        T: Serialize + PartialEq + fmt::Debug + Send + Sync + 'static,
    {
        Self {
            object: Arc::new(Typed(value)),
            secret_fields: None,
        }
    }

    /// A raw JSON value, decoded by the descriptor of its key when a transaction applies it.
    pub fn from_json(json: serde_json::Value) -> Self {
        Self::new(RawJson(json))
    }

    /// A raw value from JSON bytes (as read from a KV store).
    ///
    /// # Errors
    /// When `bytes` is not JSON.
    pub fn from_json_slice(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        Ok(Self::from_json(serde_json::from_slice(bytes)?))
    }

    /// The value as `T`, if it is one.
    pub fn downcast_ref<T: 'static>(&self) -> Option<&T> {
        self.object.as_any().downcast_ref::<T>()
    }

    /// The raw JSON of a value made by [`from_json`](Self::from_json).
    pub(crate) fn raw_json(&self) -> Option<&serde_json::Value> {
        self.downcast_ref::<RawJson>().map(|raw| &raw.0)
    }

    /// The value as JSON (for logs, dumps and the REST API).
    pub fn to_json(&self) -> serde_json::Value {
        self.object.to_json()
    }

    /// This value with `fields` shown as `<redacted>` in its `Display`, `Debug` and
    /// `Serialize` forms (an empty list takes a marking away).
    #[must_use]
    pub fn with_secret_fields(mut self, fields: Arc<[FieldPath]>) -> Self {
        self.secret_fields = (!fields.is_empty()).then_some(fields);
        self
    }

    /// The JSON form shown in logs and debug views: [`to_json`](Self::to_json) with the
    /// secret fields replaced by `<redacted>`.
    pub fn to_redacted_json(&self) -> serde_json::Value {
        let mut json = self.to_json();
        for path in self.secret_fields.iter().flat_map(|fields| fields.iter()) {
            path.redact(&mut json);
        }
        json
    }

    /// The Rust type name of the value.
    pub fn type_name(&self) -> &'static str {
        self.object.type_name()
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.object, &other.object) || self.object.eq_dyn(&*other.object)
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.secret_fields.is_some() {
            write!(f, "{}", self.to_redacted_json())
        } else {
            self.object.debug(f)
        }
    }
}

/// Compact JSON, as the transaction log prints values (secret fields redacted).
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_redacted_json())
    }
}

/// The JSON form with secret fields redacted (for the REST debug API and dumps).
impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_redacted_json().serialize(serializer)
    }
}

/// Per-value run-time data a descriptor returns from `create`/`update` (an index, a handle).
pub type Metadata = Arc<dyn Any + Send + Sync>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_of_different_types_differ() {
        assert_ne!(Value::new(1u32), Value::new(1u64));
        assert_eq!(Value::new("a".to_owned()), Value::new("a".to_owned()));
        assert_eq!(format!("{}", Value::new(vec![1, 2])), "[1,2]");
        let raw = Value::from_json(serde_json::json!({"a": 1}));
        assert_eq!(raw.raw_json(), Some(&serde_json::json!({"a": 1})));
        assert!(Value::new(1).raw_json().is_none());
    }
}
