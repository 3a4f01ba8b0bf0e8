//! The values of the derived and southbound keys (see [`crate::keys`]).

use serde::{Deserialize, Serialize};

use crate::keys::AddressSource;

/// An address of an interface (derived from the interface value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressValue {
    /// The interface's logical name.
    pub interface: String,
    /// The address with its prefix length (`10.0.0.1/24`).
    pub address: String,
    /// Who adds it.
    pub source: AddressSource,
    /// The interface's namespace ([tag](crate::namespace::tag)).
    pub namespace: String,
    /// The interface's kernel name.
    pub host_name: String,
}

/// A port of a bridge (derived from the port's interface value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BridgePortValue {
    /// The port's logical name.
    pub interface: String,
    /// The bridge's logical name.
    pub bridge: String,
}

/// A link (that is UP) or an address seen in the kernel (southbound values).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostValue {
    /// The namespace ([tag](crate::namespace::tag)).
    pub namespace: String,
    /// The link's kernel name.
    pub host_name: String,
    /// The address, for an address value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}
