//! The service label: the agent's name in the key space (`/vnf-agent/<label>/`).

use std::fmt;

/// The label that names this agent instance; every key the agent reads or writes sits under
/// its [`agent_prefix`](ServiceLabel::agent_prefix).
///
/// Set with `--microservice-label` or `MICROSERVICE_LABEL` (default `vpp1`), or in code with
/// [`AgentBuilder::with_label`](crate::AgentBuilder::with_label).
///
/// # Examples
/// ```
/// use cninfra_core::ServiceLabel;
///
/// let label = ServiceLabel::new("vpp1").unwrap();
/// assert_eq!(label.agent_prefix(), "/vnf-agent/vpp1/");
/// assert_eq!(label.other_agent_prefix("vpp2"), "/vnf-agent/vpp2/");
/// assert_eq!(ServiceLabel::all_agents_prefix(), "/vnf-agent/");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServiceLabel(String);

impl ServiceLabel {
    /// The label used when none is given.
    pub const DEFAULT: &'static str = "vpp1";
    /// The root under which every agent's keys sit.
    pub const ROOT: &'static str = "/vnf-agent/";

    /// A label; it must be non-empty and hold no `/` or white space.
    ///
    /// # Errors
    /// [`InvalidLabel`] naming the label when it is empty or has a `/` or white space.
    pub fn new(label: impl Into<String>) -> Result<Self, InvalidLabel> {
        let label = label.into();
        if label.is_empty() || label.contains('/') || label.chars().any(char::is_whitespace) {
            return Err(InvalidLabel(label));
        }
        Ok(Self(label))
    }

    /// The label itself.
    pub fn label(&self) -> &str {
        &self.0
    }

    /// `/vnf-agent/<label>/`: the prefix of this agent's keys.
    pub fn agent_prefix(&self) -> String {
        format!("{}{}/", Self::ROOT, self.0)
    }

    /// `/vnf-agent/<other>/`: the prefix of another agent's keys.
    pub fn other_agent_prefix(&self, other: &str) -> String {
        format!("{}{other}/", Self::ROOT)
    }

    /// `/vnf-agent/`: the prefix of all agents' keys.
    pub fn all_agents_prefix() -> &'static str {
        Self::ROOT
    }
}

impl Default for ServiceLabel {
    fn default() -> Self {
        Self(Self::DEFAULT.to_owned())
    }
}

impl fmt::Display for ServiceLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A service label that is empty or holds `/` or white space.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid microservice label {0:?}: it must be non-empty, without `/` or white space")]
pub struct InvalidLabel(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_label_is_vpp1() {
        assert_eq!(ServiceLabel::default().agent_prefix(), "/vnf-agent/vpp1/");
    }

    #[test]
    fn bad_labels_are_rejected_with_the_label_named() {
        for bad in ["", "a/b", "a b"] {
            let err = ServiceLabel::new(bad).unwrap_err();
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
    }
}
