//! [`Namespace`]: which network namespace an operation acts in.

use std::fmt;
use std::path::PathBuf;

/// The directory of named network namespaces, as iproute2 keeps them.
pub const NETNS_RUN_DIR: &str = "/run/netns";

/// A network namespace, named as upstream's (vpp-agent) `NetNamespace` does.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Namespace {
    /// The namespace the agent runs in.
    #[default]
    Default,
    /// A named namespace: the file `/run/netns/<name>` (upstream's NSID).
    Named(String),
    /// The namespace of a process: `/proc/<pid>/ns/net` (upstream's PID).
    Pid(u32),
    /// A namespace file given by path, such as a bind mount or `/proc/<pid>/ns/net`
    /// (upstream's FD).
    Path(PathBuf),
}

impl Namespace {
    /// A named namespace (`/run/netns/<name>`).
    pub fn named(name: impl Into<String>) -> Self {
        Self::Named(name.into())
    }

    /// The file that stands for the namespace; `None` for [`Namespace::Default`], which is
    /// the agent's own.
    pub fn path(&self) -> Option<PathBuf> {
        match self {
            Namespace::Default => None,
            Namespace::Named(name) => Some(PathBuf::from(NETNS_RUN_DIR).join(name)),
            Namespace::Pid(pid) => Some(PathBuf::from(format!("/proc/{pid}/ns/net"))),
            Namespace::Path(path) => Some(path.clone()),
        }
    }

    /// Whether this is the agent's own namespace.
    pub fn is_default(&self) -> bool {
        matches!(self, Namespace::Default)
    }
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Namespace::Default => f.write_str("default"),
            Namespace::Named(name) => write!(f, "netns {name}"),
            Namespace::Pid(pid) => write!(f, "pid {pid}"),
            Namespace::Path(path) => write!(f, "file {}", path.display()),
        }
    }
}

/// Checks a name for a named namespace: one path component, as iproute2 allows.
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains('/') && !name.contains('\0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_handle() {
        assert_eq!(Namespace::Default.path(), None);
        assert_eq!(
            Namespace::named("blue").path(),
            Some(PathBuf::from("/run/netns/blue"))
        );
        assert_eq!(
            Namespace::Pid(42).path(),
            Some(PathBuf::from("/proc/42/ns/net"))
        );
        assert_eq!(Namespace::Pid(42).to_string(), "pid 42");
    }

    #[test]
    fn names_are_one_path_component() {
        assert!(valid_name("blue-1"));
        assert!(!valid_name("../etc"));
        assert!(!valid_name(""));
        assert!(!valid_name(".."));
    }
}
