//! The in-memory southbound of the test kit.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use parking_lot::Mutex;

use super::TestValue;
use crate::DescriptorError;

/// One call the southbound received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SbCall {
    /// `create`, `update` or `delete`.
    pub op: &'static str,
    /// The key.
    pub key: String,
}

impl fmt::Display for SbCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.op, self.key)
    }
}

#[derive(Debug, Default)]
struct Inner {
    values: BTreeMap<String, TestValue>,
    calls: Vec<SbCall>,
    failures: HashMap<String, (u32, bool)>,
    violations: Vec<String>,
    record: bool,
}

/// A shared in-memory southbound: current values, calls in order, injected failures,
/// ordering violations.
#[derive(Debug, Clone)]
pub struct TestSouthbound {
    inner: Arc<Mutex<Inner>>,
}

impl Default for TestSouthbound {
    fn default() -> Self {
        Self::new()
    }
}

impl TestSouthbound {
    /// An empty southbound that records calls.
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                record: true,
                ..Inner::default()
            })),
        }
    }

    /// A southbound that keeps no call log (benchmarks).
    pub fn without_call_log() -> Self {
        let sb = Self::new();
        sb.inner.lock().record = false;
        sb
    }

    /// Calls so far as `"create <key>"`.
    pub fn calls(&self) -> Vec<String> {
        self.inner
            .lock()
            .calls
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// Calls so far, cleared.
    pub fn take_calls(&self) -> Vec<String> {
        std::mem::take(&mut self.inner.lock().calls)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// Ordering violations seen (empty when every call respected the dependencies).
    pub fn violations(&self) -> Vec<String> {
        self.inner.lock().violations.clone()
    }

    /// The values that exist.
    pub fn values(&self) -> BTreeMap<String, TestValue> {
        self.inner.lock().values.clone()
    }

    /// Number of values that exist.
    pub fn len(&self) -> usize {
        self.inner.lock().values.len()
    }

    /// Whether nothing exists.
    pub fn is_empty(&self) -> bool {
        self.inner.lock().values.is_empty()
    }

    /// Values under a prefix.
    pub fn values_under(&self, prefix: &str) -> Vec<(String, TestValue)> {
        self.inner
            .lock()
            .values
            .range(prefix.to_owned()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Makes the next `times` calls `op` on `key` fail (`retriable` or not).
    pub fn fail_next(&self, op: &str, key: &str, times: u32, retriable: bool) {
        self.inner
            .lock()
            .failures
            .insert(format!("{op} {key}"), (times, retriable));
    }

    /// Changes a value behind the scheduler's back (`None` removes it).
    pub fn drift(&self, key: &str, value: Option<TestValue>) {
        let mut inner = self.inner.lock();
        match value {
            Some(v) => inner.values.insert(key.to_owned(), v),
            None => inner.values.remove(key),
        };
    }

    pub(super) fn apply(
        &self,
        op: &'static str,
        key: &str,
        value: Option<&TestValue>,
    ) -> Result<(), DescriptorError> {
        let mut inner = self.inner.lock();
        if inner.record {
            inner.calls.push(SbCall {
                op,
                key: key.to_owned(),
            });
        }
        if let Some((left, retriable)) = inner.failures.get_mut(&format!("{op} {key}"))
            && *left > 0
        {
            *left -= 1;
            let message = format!("injected failure of {op} {key}");
            return Err(if *retriable {
                DescriptorError::failed(message)
            } else {
                DescriptorError::permanent(message)
            });
        }
        match value {
            Some(value) => {
                let missing: Vec<&String> = value
                    .deps
                    .iter()
                    .filter(|d| !inner.values.contains_key(*d))
                    .collect();
                let any_missing = !value.any_of.is_empty()
                    && !inner
                        .values
                        .keys()
                        .any(|k| value.any_of.iter().any(|p| k.starts_with(p.as_str())));
                if !missing.is_empty() || any_missing {
                    let violation = format!("{op} {key} before its dependencies {missing:?}");
                    inner.violations.push(violation);
                }
                inner.values.insert(key.to_owned(), value.clone());
            }
            None if inner.record => {
                let dependants: Vec<String> = inner
                    .values
                    .iter()
                    .filter(|(_, v)| v.deps.iter().any(|d| d == key))
                    .map(|(k, _)| k.clone())
                    .collect();
                if !dependants.is_empty() {
                    let violation = format!("delete {key} while {dependants:?} depend on it");
                    inner.violations.push(violation);
                }
                inner.values.remove(key);
            }
            None => {
                inner.values.remove(key);
            }
        }
        Ok(())
    }
}
