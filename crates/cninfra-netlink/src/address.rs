//! [`Address`]: an IP address on a link.

use ipnet::IpNet;

use crate::Scope;

/// An IP address on a link, with its prefix length (host bits kept: `10.0.0.1/24`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Address {
    /// The link's index.
    pub index: u32,
    /// The address and prefix length.
    pub addr: IpNet,
    /// The scope (link-local IPv6 addresses have [`Scope::Link`]).
    pub scope: Scope,
}

impl Address {
    /// A global address `addr` on the link `index`.
    pub fn new(index: u32, addr: IpNet) -> Self {
        Self {
            index,
            addr,
            scope: Scope::Universe,
        }
    }
}
