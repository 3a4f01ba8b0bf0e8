//! Errors: the operation, the object it acted on, the namespace, and the cause (the errno
//! the kernel answered, a namespace that is gone, a timeout, a malformed answer).

use std::fmt;
use std::time::Duration;

use nix::errno::Errno;

use crate::Namespace;

/// The result of every operation of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An operation of the client, as named in errors and in the fake's recorded requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Op {
    /// Opening a netlink socket (inside a namespace).
    OpenSocket,
    /// Dumping the links of a namespace.
    ListLinks,
    /// Reading one link.
    GetLink,
    /// Creating a link.
    AddLink,
    /// Changing a link's attributes.
    SetLink,
    /// Moving a link to another namespace.
    MoveLink,
    /// Deleting a link.
    DeleteLink,
    /// Dumping addresses.
    ListAddresses,
    /// Adding an address.
    AddAddress,
    /// Deleting an address.
    DeleteAddress,
    /// Dumping routes.
    ListRoutes,
    /// Adding a route (fails when it exists).
    AddRoute,
    /// Adding or replacing a route.
    ReplaceRoute,
    /// Deleting a route.
    DeleteRoute,
    /// Dumping neighbours.
    ListNeighbours,
    /// Adding or replacing a neighbour.
    SetNeighbour,
    /// Deleting a neighbour.
    DeleteNeighbour,
    /// Creating a named namespace.
    CreateNamespace,
    /// Deleting a named namespace.
    DeleteNamespace,
    /// Listing the named namespaces.
    ListNamespaces,
    /// Entering a namespace (on a helper thread).
    EnterNamespace,
    /// Reading a sysctl.
    GetSysctl,
    /// Writing a sysctl.
    SetSysctl,
    /// Watching a namespace's events.
    Watch,
    /// No longer watching a namespace.
    Unwatch,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::OpenSocket => "open netlink socket",
            Op::ListLinks => "list links",
            Op::GetLink => "get link",
            Op::AddLink => "add link",
            Op::SetLink => "set link",
            Op::MoveLink => "move link",
            Op::DeleteLink => "delete link",
            Op::ListAddresses => "list addresses",
            Op::AddAddress => "add address",
            Op::DeleteAddress => "delete address",
            Op::ListRoutes => "list routes",
            Op::AddRoute => "add route",
            Op::ReplaceRoute => "replace route",
            Op::DeleteRoute => "delete route",
            Op::ListNeighbours => "list neighbours",
            Op::SetNeighbour => "set neighbour",
            Op::DeleteNeighbour => "delete neighbour",
            Op::CreateNamespace => "create namespace",
            Op::DeleteNamespace => "delete namespace",
            Op::ListNamespaces => "list namespaces",
            Op::EnterNamespace => "enter namespace",
            Op::GetSysctl => "get sysctl",
            Op::SetSysctl => "set sysctl",
            Op::Watch => "watch",
            Op::Unwatch => "unwatch",
        })
    }
}

/// Why an operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Cause {
    /// The kernel answered an error number (to a netlink request or a system call).
    #[error("the kernel answered {0}")]
    Errno(Errno),
    /// The namespace the operation acts in does not exist (any more): its file is missing,
    /// or its process died.
    #[error("the namespace is gone")]
    NamespaceGone,
    /// The kernel did not answer in time.
    #[error("no answer from the kernel within {0:?}")]
    Timeout(Duration),
    /// The kernel's answer could not be understood.
    #[error("unexpected answer: {0}")]
    Protocol(String),
    /// The request itself is not valid (a bad name, a missing object the call needs).
    #[error("{0}")]
    Invalid(String),
}

/// What the caller usually needs to tell apart, see [`Error::kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The object does not exist (ENOENT, ENODEV, ESRCH, EADDRNOTAVAIL): "already gone"
    /// for a delete.
    NotFound,
    /// The object exists already (EEXIST): "already there" for an add.
    Exists,
    /// The namespace is gone: values in it wait (PENDING) rather than fail.
    NamespaceGone,
    /// Anything else.
    Other,
}

/// An operation failed: which, on what, in which namespace, and why.
#[derive(Debug, thiserror::Error)]
#[error("{op} {object} in namespace {namespace}")]
pub struct Error {
    /// The operation.
    pub op: Op,
    /// The object it acted on: a link name or index, an address, a route's destination.
    pub object: String,
    /// The namespace it acted in.
    pub namespace: Namespace,
    /// Why it failed.
    #[source]
    pub cause: Cause,
}

impl Error {
    /// An error of `op` on `object` in `namespace`.
    pub fn new(op: Op, object: impl Into<String>, namespace: &Namespace, cause: Cause) -> Self {
        Self {
            op,
            object: object.into(),
            namespace: namespace.clone(),
            cause,
        }
    }

    /// For a call that reaches a second namespace (a veth peer's, a move's target): when
    /// the namespace that is gone is not this error's own (`exists` says it is there),
    /// names `other` as the one that is gone.
    pub(crate) fn gone_elsewhere(
        mut self,
        other: Option<&Namespace>,
        exists: impl Fn(&Namespace) -> bool,
    ) -> Self {
        if let Some(other) = other
            && self.is_namespace_gone()
            && exists(&self.namespace)
        {
            self.namespace = other.clone();
        }
        self
    }

    /// The error number the kernel answered, if that is the cause.
    pub fn errno(&self) -> Option<Errno> {
        match self.cause {
            Cause::Errno(errno) => Some(errno),
            _ => None,
        }
    }

    /// The kind of failure callers act on.
    pub fn kind(&self) -> ErrorKind {
        match self.cause {
            Cause::NamespaceGone => ErrorKind::NamespaceGone,
            Cause::Errno(Errno::EEXIST) => ErrorKind::Exists,
            Cause::Errno(Errno::ENOENT | Errno::ENODEV | Errno::ESRCH | Errno::EADDRNOTAVAIL) => {
                ErrorKind::NotFound
            }
            _ => ErrorKind::Other,
        }
    }

    /// The object does not exist (see [`ErrorKind::NotFound`]).
    pub fn is_not_found(&self) -> bool {
        self.kind() == ErrorKind::NotFound
    }

    /// The object exists already (see [`ErrorKind::Exists`]).
    pub fn is_exists(&self) -> bool {
        self.kind() == ErrorKind::Exists
    }

    /// The namespace is gone (see [`ErrorKind::NamespaceGone`]).
    pub fn is_namespace_gone(&self) -> bool {
        self.kind() == ErrorKind::NamespaceGone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_errno() {
        let ns = Namespace::Default;
        let err = |cause| Error::new(Op::AddLink, "veth0", &ns, cause);
        assert!(err(Cause::Errno(Errno::EEXIST)).is_exists());
        assert!(err(Cause::Errno(Errno::ENODEV)).is_not_found());
        assert!(err(Cause::Errno(Errno::ENOENT)).is_not_found());
        assert!(err(Cause::NamespaceGone).is_namespace_gone());
        assert_eq!(err(Cause::Errno(Errno::EPERM)).kind(), ErrorKind::Other);
        assert_eq!(err(Cause::Errno(Errno::EPERM)).errno(), Some(Errno::EPERM));
    }

    #[test]
    fn the_message_names_operation_object_and_namespace_but_not_the_cause() {
        let err = Error::new(
            Op::DeleteRoute,
            "10.0.0.0/24",
            &Namespace::Named("blue".into()),
            Cause::Errno(Errno::ESRCH),
        );
        assert_eq!(
            err.to_string(),
            "delete route 10.0.0.0/24 in namespace netns blue"
        );
        let source = std::error::Error::source(&err).map(ToString::to_string);
        assert_eq!(
            source.as_deref(),
            Some("the kernel answered ESRCH: No such process")
        );
    }
}
