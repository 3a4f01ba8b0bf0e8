//! Namespace references: upstream's `NetNamespace` as the netlink layer's [`Namespace`], and
//! the tag that names a namespace inside keys.

use std::path::PathBuf;

use cninfra_ligato::linux::namespace::{NetNamespace, net_namespace::ReferenceType};
use cninfra_netlink::Namespace;

use crate::keys;
use crate::models;

/// Why a namespace reference cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NamespaceRefError {
    /// A type without a reference, or a reference without a type.
    #[error("a namespace needs both a type and a reference")]
    Incomplete,
    /// `PID` with a reference that is not a process id.
    #[error("`{0}` is not a process id")]
    BadPid(String),
    /// `NSID` with a name that is not one path component.
    #[error("`{0}` is not a namespace name")]
    BadName(String),
    /// `MICROSERVICE` (docker) and unknown types.
    #[error("namespace type {0} is not supported (NSID, PID and FD are)")]
    Unsupported(String),
}

/// The namespace a value refers to (absent: the agent's own).
///
/// # Errors
/// [`NamespaceRefError`] for a reference that cannot be resolved.
pub fn resolve(ns: Option<&NetNamespace>) -> Result<Namespace, NamespaceRefError> {
    let Some(ns) = ns else {
        return Ok(Namespace::Default);
    };
    let reference = ns.reference.as_str();
    match ReferenceType::try_from(ns.r#type) {
        Ok(ReferenceType::Undefined) if reference.is_empty() => Ok(Namespace::Default),
        Ok(ReferenceType::Undefined) => Err(NamespaceRefError::Incomplete),
        _ if reference.is_empty() => Err(NamespaceRefError::Incomplete),
        Ok(ReferenceType::Nsid) => {
            if reference.contains('/') || reference == "." || reference == ".." {
                Err(NamespaceRefError::BadName(reference.to_owned()))
            } else {
                Ok(Namespace::Named(reference.to_owned()))
            }
        }
        Ok(ReferenceType::Pid) => reference
            .parse()
            .map(Namespace::Pid)
            .map_err(|_| NamespaceRefError::BadPid(reference.to_owned())),
        Ok(ReferenceType::Fd) => Ok(Namespace::Path(PathBuf::from(reference))),
        Ok(ReferenceType::Microservice) => {
            Err(NamespaceRefError::Unsupported("MICROSERVICE".into()))
        }
        Err(_) => Err(NamespaceRefError::Unsupported(ns.r#type.to_string())),
    }
}

/// The tag of a namespace in keys: `default`, `nsid:<name>`, `pid:<pid>`, or
/// `fd:<path>` with `%` and `/` escaped as `%25` and `%2F` (so a tag is one key segment).
pub fn tag(ns: &Namespace) -> String {
    match ns {
        Namespace::Default => "default".to_owned(),
        Namespace::Named(name) => format!("nsid:{name}"),
        Namespace::Pid(pid) => format!("pid:{pid}"),
        Namespace::Path(path) => format!(
            "fd:{}",
            path.to_string_lossy()
                .replace('%', "%25")
                .replace('/', "%2F")
        ),
    }
}

/// The value a value in `ns` waits for, with its label: a named namespace's model value
/// (created by the agent, or found in `/run/netns`), or the southbound value saying a PID
/// or FD namespace can be entered. `None` in the agent's own namespace.
pub fn dependency_key(ns: &Namespace) -> Option<(&'static str, String)> {
    match ns {
        Namespace::Default => None,
        Namespace::Named(name) => Some(("namespace-exists", models::netns_key(name))),
        Namespace::Pid(_) | Namespace::Path(_) => {
            Some(("namespace-available", keys::netns_available_key(&tag(ns))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(kind: ReferenceType, reference: &str) -> NetNamespace {
        NetNamespace {
            r#type: kind.into(),
            reference: reference.into(),
        }
    }

    #[test]
    fn references_resolve_as_upstream_reads_them() {
        assert_eq!(resolve(None), Ok(Namespace::Default));
        assert_eq!(
            resolve(Some(&ns(ReferenceType::Nsid, "blue"))),
            Ok(Namespace::Named("blue".into()))
        );
        assert_eq!(
            resolve(Some(&ns(ReferenceType::Pid, "42"))),
            Ok(Namespace::Pid(42))
        );
        assert_eq!(
            resolve(Some(&ns(ReferenceType::Fd, "/proc/42/ns/net"))),
            Ok(Namespace::Path("/proc/42/ns/net".into()))
        );
        assert_eq!(
            resolve(Some(&ns(ReferenceType::Undefined, ""))),
            Ok(Namespace::Default)
        );
    }

    #[test]
    fn bad_references_are_named() {
        assert_eq!(
            resolve(Some(&ns(ReferenceType::Pid, "x"))),
            Err(NamespaceRefError::BadPid("x".into()))
        );
        assert_eq!(
            resolve(Some(&ns(ReferenceType::Nsid, ""))),
            Err(NamespaceRefError::Incomplete)
        );
        assert_eq!(
            resolve(Some(&ns(ReferenceType::Nsid, "../x"))),
            Err(NamespaceRefError::BadName("../x".into()))
        );
        assert!(matches!(
            resolve(Some(&ns(ReferenceType::Microservice, "web"))),
            Err(NamespaceRefError::Unsupported(_))
        ));
    }

    #[test]
    fn tags_are_one_key_segment() {
        assert_eq!(tag(&Namespace::Default), "default");
        assert_eq!(tag(&Namespace::Named("blue".into())), "nsid:blue");
        assert_eq!(
            tag(&Namespace::Path("/run/netns/a%b".into())),
            "fd:%2Frun%2Fnetns%2Fa%25b"
        );
        assert_eq!(
            dependency_key(&Namespace::Pid(7)),
            Some(("namespace-available", "linux/netns/available/pid:7".into()))
        );
        assert_eq!(
            dependency_key(&Namespace::Named("blue".into())),
            Some((
                "namespace-exists",
                "config/linux/namespace/v1/netns/blue".into()
            ))
        );
    }
}
