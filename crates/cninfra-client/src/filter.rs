//! [`Filter`]: which configured values [`Client::get_config`](crate::Client::get_config)
//! returns.

use std::collections::BTreeMap;

/// Selects configured values by key or by label (upstream's `GetConfigRequest`: ids or
/// labels, not both). The default selects everything.
///
/// # Examples
/// ```
/// use cninfra_client::Filter;
/// let filter = Filter::keys(["config/vpp/v2/interfaces/tap1"]);
/// assert!(filter.matches_key("config/vpp/v2/interfaces/tap1"));
/// assert!(!filter.matches_key("config/vpp/v2/interfaces/tap2"));
/// assert!(Filter::default().matches_key("anything"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// These keys only (relative to the agent prefix); empty: any key.
    pub keys: Vec<String>,
    /// Values carrying all these labels; empty: any.
    pub labels: BTreeMap<String, String>,
}

impl Filter {
    /// Values of these keys.
    pub fn keys<S: Into<String>>(keys: impl IntoIterator<Item = S>) -> Self {
        Self {
            keys: keys.into_iter().map(Into::into).collect(),
            labels: BTreeMap::new(),
        }
    }

    /// Values carrying all these labels.
    pub fn labels<K: Into<String>, V: Into<String>>(
        labels: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            keys: Vec::new(),
            labels: labels
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// Whether `key` passes the key part of the filter.
    pub fn matches_key(&self, key: &str) -> bool {
        self.keys.is_empty() || self.keys.iter().any(|k| k == key)
    }
}
