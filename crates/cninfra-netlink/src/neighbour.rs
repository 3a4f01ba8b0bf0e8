//! [`Neighbour`]: an ARP (IPv4) or NDP (IPv6) entry.

use std::net::IpAddr;

use crate::MacAddr;

/// The state of a neighbour entry (`NUD_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NeighbourState {
    /// Being resolved.
    Incomplete,
    /// Confirmed reachable.
    Reachable,
    /// Valid but unconfirmed.
    Stale,
    /// Waiting before probing.
    Delay,
    /// Being probed.
    Probe,
    /// Resolution failed.
    Failed,
    /// No resolution needed.
    Noarp,
    /// Set by an administrator; never expires.
    Permanent,
    /// Any other state bits.
    Other(u16),
}

impl NeighbourState {
    /// The kernel's `NUD_*` bits.
    pub fn bits(self) -> u16 {
        match self {
            NeighbourState::Incomplete => 0x01,
            NeighbourState::Reachable => 0x02,
            NeighbourState::Stale => 0x04,
            NeighbourState::Delay => 0x08,
            NeighbourState::Probe => 0x10,
            NeighbourState::Failed => 0x20,
            NeighbourState::Noarp => 0x40,
            NeighbourState::Permanent => 0x80,
            NeighbourState::Other(bits) => bits,
        }
    }

    /// The state of the kernel's `NUD_*` bits.
    pub fn from_bits(bits: u16) -> Self {
        match bits {
            0x01 => NeighbourState::Incomplete,
            0x02 => NeighbourState::Reachable,
            0x04 => NeighbourState::Stale,
            0x08 => NeighbourState::Delay,
            0x10 => NeighbourState::Probe,
            0x20 => NeighbourState::Failed,
            0x40 => NeighbourState::Noarp,
            0x80 => NeighbourState::Permanent,
            other => NeighbourState::Other(other),
        }
    }
}

/// A neighbour entry on a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Neighbour {
    /// The link's index.
    pub index: u32,
    /// The neighbour's IP address.
    pub ip: IpAddr,
    /// Its link-layer address (none while unresolved).
    pub mac: Option<MacAddr>,
    /// The state.
    pub state: NeighbourState,
}

impl Neighbour {
    /// A permanent entry: `ip` is at `mac` on the link `index`.
    pub fn permanent(index: u32, ip: IpAddr, mac: MacAddr) -> Self {
        Self {
            index,
            ip,
            mac: Some(mac),
            state: NeighbourState::Permanent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_through_bits() {
        for bits in [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x82] {
            assert_eq!(NeighbourState::from_bits(bits).bits(), bits);
        }
    }
}
