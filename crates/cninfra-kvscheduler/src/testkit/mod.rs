//! A generic descriptor over an in-memory southbound that records every call, for tests
//! and benchmarks (feature `testkit`).
//!
//! A [`TestValue`] carries its own relations (dependencies on keys, an any-of prefix,
//! derived values, invalid fields), so a test builds any graph from plain data. The
//! [`TestSouthbound`] checks ordering invariants as calls arrive: a value created before
//! one of its dependencies exists, or deleted while a value depending on it still exists,
//! is recorded as a violation.

mod southbound;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

pub use southbound::{SbCall, TestSouthbound};

use crate::{
    Correlated, Dependency, DerivedValue, DescriptorError, InvalidValueError, RetrieveResult,
    Retrieved, TypedDescriptor, Value,
};

/// A value with its relations spelled out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TestValue {
    /// Payload (what an update changes).
    pub data: String,
    /// Keys this value depends on (each a dependency labelled with the key).
    pub deps: Vec<String>,
    /// An any-of dependency (label `any-of`) on keys under these prefixes.
    pub any_of: Vec<String>,
    /// Derived values `(key, value)`.
    pub derived: Vec<(String, TestValue)>,
    /// Fields `validate` rejects (empty = valid).
    pub invalid: Vec<String>,
    /// A change to this value needs a re-creation.
    pub recreate: bool,
}

impl TestValue {
    /// A value with this payload and no relations.
    pub fn new(data: impl Into<String>) -> Self {
        Self {
            data: data.into(),
            ..Self::default()
        }
    }

    /// Adds dependencies on `keys`.
    pub fn with_deps<I: IntoIterator<Item = S>, S: Into<String>>(mut self, keys: I) -> Self {
        self.deps.extend(keys.into_iter().map(Into::into));
        self
    }

    /// Adds an any-of dependency on keys under `prefix`.
    pub fn with_any_of(mut self, prefix: impl Into<String>) -> Self {
        self.any_of.push(prefix.into());
        self
    }

    /// Adds a derived value.
    pub fn with_derived(mut self, key: impl Into<String>, value: TestValue) -> Self {
        self.derived.push((key.into(), value));
        self
    }

    /// Makes `validate` reject these fields.
    pub fn with_invalid<I: IntoIterator<Item = S>, S: Into<String>>(mut self, fields: I) -> Self {
        self.invalid.extend(fields.into_iter().map(Into::into));
        self
    }

    /// Wraps the value.
    pub fn value(self) -> Value {
        Value::new(self)
    }
}

/// The test descriptor; `UPDATE`/`RETRIEVE` choose whether it implements update and
/// retrieve. Metadata is a sequence number given at create/update.
pub struct TestDescriptor<const UPDATE: bool = true, const RETRIEVE: bool = true> {
    name: String,
    prefix: String,
    nb: bool,
    sb: TestSouthbound,
    next_meta: AtomicU64,
    retriable: bool,
}

impl<const U: bool, const R: bool> fmt::Debug for TestDescriptor<U, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestDescriptor")
            .field("name", &self.name)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl<const U: bool, const R: bool> TestDescriptor<U, R> {
    /// A descriptor `name` owning keys under `prefix`, calling `sb`.
    pub fn new(name: impl Into<String>, prefix: impl Into<String>, sb: &TestSouthbound) -> Self {
        Self {
            name: name.into(),
            prefix: prefix.into(),
            nb: true,
            sb: sb.clone(),
            next_meta: AtomicU64::new(1),
            retriable: true,
        }
    }

    /// Marks the descriptor as one of derived values (no NB key prefix).
    pub fn derived_only(mut self) -> Self {
        self.nb = false;
        self
    }

    /// Makes every failure non-retriable.
    pub fn never_retriable(mut self) -> Self {
        self.retriable = false;
        self
    }

    fn meta(&self) -> u64 {
        self.next_meta.fetch_add(1, Ordering::Relaxed)
    }
}

impl<const U: bool, const R: bool> TypedDescriptor for TestDescriptor<U, R> {
    type Value = TestValue;
    type Metadata = u64;
    const SUPPORTS_UPDATE: bool = U;
    const SUPPORTS_RETRIEVE: bool = R;
    const WITH_METADATA: bool = true;

    fn name(&self) -> &str {
        &self.name
    }

    fn key_prefix(&self) -> &str {
        &self.prefix
    }

    fn nb_key_prefix(&self) -> Option<&str> {
        self.nb.then_some(self.prefix.as_str())
    }

    fn validate(&self, _key: &str, value: &TestValue) -> Result<(), DescriptorError> {
        if value.invalid.is_empty() {
            Ok(())
        } else {
            Err(
                InvalidValueError::new("rejected by the test descriptor", value.invalid.clone())
                    .into(),
            )
        }
    }

    fn create(&self, key: &str, value: &TestValue) -> Result<u64, DescriptorError> {
        self.sb.apply("create", key, Some(value))?;
        Ok(self.meta())
    }

    fn update(
        &self,
        key: &str,
        _old: &TestValue,
        new: &TestValue,
        _meta: Option<&u64>,
    ) -> Result<u64, DescriptorError> {
        self.sb.apply("update", key, Some(new))?;
        Ok(self.meta())
    }

    fn update_with_recreate(
        &self,
        _key: &str,
        _old: &TestValue,
        new: &TestValue,
        _meta: Option<&u64>,
    ) -> bool {
        !U || new.recreate
    }

    fn delete(
        &self,
        key: &str,
        _value: &TestValue,
        _meta: Option<&u64>,
    ) -> Result<(), DescriptorError> {
        self.sb.apply("delete", key, None)
    }

    fn retrieve(
        &self,
        _correlate: &[Correlated<'_, TestValue, u64>],
    ) -> RetrieveResult<TestValue, u64> {
        Ok(self
            .sb
            .values_under(&self.prefix)
            .into_iter()
            .map(|(key, value)| Retrieved {
                key,
                value,
                metadata: Some(0),
                origin: crate::Origin::Unknown,
            })
            .collect())
    }

    fn is_retriable(&self, err: &DescriptorError) -> bool {
        self.retriable && err.is_retriable_kind()
    }

    fn derived_values(&self, _key: &str, value: &TestValue) -> Vec<DerivedValue> {
        value
            .derived
            .iter()
            .map(|(k, v)| DerivedValue::new(k.clone(), Value::new(v.clone())))
            .collect()
    }

    fn dependencies(&self, _key: &str, value: &TestValue) -> Vec<Dependency> {
        let mut deps: Vec<Dependency> = value
            .deps
            .iter()
            .map(|d| {
                let key: Arc<str> = Arc::from(d.as_str());
                Dependency::on_key(Arc::clone(&key), key)
            })
            .collect();
        if !value.any_of.is_empty() {
            deps.push(Dependency::any_of(
                "any-of",
                value.any_of.iter().map(String::as_str),
            ));
        }
        deps
    }
}
