//! Descriptors: how the scheduler reaches the southbound for one part of the key space.
//!
//! A descriptor is written against its own value type with [`TypedDescriptor`]; the
//! scheduler keeps it behind a type-erased core (no code generation). The relations a value
//! has are [`Dependency`] (it needs another value) and [`DerivedValue`] (it brings more
//! values with it).

mod error;
mod registry;
mod typed;

use std::fmt;
use std::sync::Arc;

pub use error::{DescriptorError, InvalidValueError};
pub(crate) use registry::{DescId, Registry};
pub(crate) use typed::{CorrelateEntry, ErasedDescriptor, RetrievedKv, erase};
pub use typed::{Correlated, RetrieveResult, Retrieved, TypedDescriptor};

use crate::value::Value;

/// A predicate on keys (used by any-of dependencies).
pub type KeySelector = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// One dependency of a value: the value can exist only while the target does.
///
/// The target is a single key, or *any of* the keys under some prefixes (optionally
/// filtered by a selector). The label names the dependency in the PENDING details.
///
/// # Examples
/// ```
/// use cninfra_kvscheduler::Dependency;
///
/// let bd = Dependency::on_key("bridge-domain", "config/vpp/l2/v2/bridge-domain/bd1");
/// let any_loop = Dependency::any_of("some-loopback", ["config/vpp/v2/interfaces/"])
///     .with_selector(|key| key.ends_with("loop0") || key.ends_with("loop1"));
/// assert_eq!(bd.label(), "bridge-domain");
/// # let _ = any_loop;
/// ```
#[derive(Clone)]
pub struct Dependency {
    pub(crate) label: Arc<str>,
    pub(crate) target: DepTarget,
}

/// What a dependency points at.
#[derive(Clone)]
pub(crate) enum DepTarget {
    /// Exactly this key.
    Key(Arc<str>),
    /// At least one available key under one of the prefixes that the selector accepts.
    AnyOf {
        prefixes: Arc<[Arc<str>]>,
        selector: Option<KeySelector>,
    },
}

impl Dependency {
    /// A dependency on one key.
    pub fn on_key(label: impl Into<Arc<str>>, key: impl Into<Arc<str>>) -> Self {
        Self {
            label: label.into(),
            target: DepTarget::Key(key.into()),
        }
    }

    /// A dependency satisfied by any available key under one of `prefixes`. Without
    /// prefixes (only a selector) every new key has to be tested: give prefixes.
    pub fn any_of<I, P>(label: impl Into<Arc<str>>, prefixes: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<Arc<str>>,
    {
        Self {
            label: label.into(),
            target: DepTarget::AnyOf {
                prefixes: prefixes.into_iter().map(Into::into).collect(),
                selector: None,
            },
        }
    }

    /// Narrows an any-of dependency to the keys `selector` accepts (no effect on a key
    /// dependency).
    pub fn with_selector(
        mut self,
        selector: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> Self {
        if let DepTarget::AnyOf { selector: slot, .. } = &mut self.target {
            *slot = Some(Arc::new(selector));
        }
        self
    }

    /// The label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The key of a key dependency.
    pub fn key(&self) -> Option<&str> {
        match &self.target {
            DepTarget::Key(key) => Some(key),
            DepTarget::AnyOf { .. } => None,
        }
    }

    /// Whether `key` is a possible target.
    pub(crate) fn matches(&self, key: &str) -> bool {
        match &self.target {
            DepTarget::Key(target) => &**target == key,
            DepTarget::AnyOf { prefixes, selector } => {
                (prefixes.is_empty() || prefixes.iter().any(|p| key.starts_with(&**p)))
                    && selector.as_ref().is_none_or(|accept| accept(key))
            }
        }
    }
}

impl fmt::Debug for Dependency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Dependency");
        s.field("label", &self.label);
        match &self.target {
            DepTarget::Key(key) => s.field("key", key),
            DepTarget::AnyOf { prefixes, selector } => s
                .field("any_of", prefixes)
                .field("selector", &selector.is_some()),
        };
        s.finish()
    }
}

/// A value derived from a base value: it lives as long as the base does. Without a
/// descriptor of its own it is a *property* (no southbound call; only a dependency target).
#[derive(Debug, Clone)]
pub struct DerivedValue {
    /// The derived key.
    pub key: String,
    /// The derived value.
    pub value: Value,
}

impl DerivedValue {
    /// A derived key and value.
    pub fn new(key: impl Into<String>, value: Value) -> Self {
        Self {
            key: key.into(),
            value,
        }
    }
}
