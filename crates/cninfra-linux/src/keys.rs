//! The keys of the values the Linux plugins derive or learn from the kernel (the NB keys
//! come from the models, [`crate::models`]).
//!
//! | key | kind | what |
//! |---|---|---|
//! | `linux/interface/state/<name>/UP` or `/DOWN` | derived property (upstream's) | the admin state NB asks for |
//! | `linux/interface/<name>/address/<static\|existing>/<addr/len>` | derived (upstream's) | one per address |
//! | `linux/interface/<name>/bridge/<bridge>` | derived (cninfra's) | bridge membership |
//! | `linux/link-local-route/<iface>/dest-address/<dst>` | derived property (upstream's) | a LINK-scope route, a gateway may sit behind it |
//! | `linux/host-interface/<ns>/<host>` | southbound | a link that exists and is UP (upstream's `linux/interface/host-name/<host>`, in any namespace) |
//! | `linux/host-interface/<ns>/<host>/address/<addr/len>` | southbound | an address on that link |
//! | `linux/netns/available/<ns>` | southbound | a PID or FD namespace that can be entered |
//!
//! `<ns>` is a namespace's [tag](crate::namespace::tag): `default`, `nsid:<name>`,
//! `pid:<pid>` or `fd:<path with '/' as %2F>`.

/// Prefix of the derived keys of an interface (addresses, bridge membership).
pub const INTERFACE_DERIVED_PREFIX: &str = "linux/interface/";
/// Prefix of the admin-state properties.
pub const INTERFACE_STATE_PREFIX: &str = "linux/interface/state/";
/// Prefix of the link-local route properties.
pub const LINK_LOCAL_ROUTE_PREFIX: &str = "linux/link-local-route/";
/// Prefix of the southbound values of links and their addresses.
pub const HOST_INTERFACE_PREFIX: &str = "linux/host-interface/";
/// Prefix of the southbound values of namespaces that can be entered.
pub const NETNS_AVAILABLE_PREFIX: &str = "linux/netns/available/";

/// Marks the address part of a derived address key.
const ADDRESS_PART: &str = "/address/";
/// Marks the bridge part of a derived bridge-membership key.
const BRIDGE_PART: &str = "/bridge/";

/// Where an interface's address comes from (the source segment of its key, as upstream's
/// netalloc `IPAddressSource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AddressSource {
    /// The agent adds it.
    Static,
    /// Someone else adds it (EXISTING with `link_only`): the agent waits for it.
    Existing,
}

impl AddressSource {
    fn as_str(self) -> &'static str {
        match self {
            AddressSource::Static => "static",
            AddressSource::Existing => "existing",
        }
    }
}

/// `linux/interface/state/<name>/UP|DOWN`.
pub fn interface_state_key(name: &str, up: bool) -> String {
    let state = if up { "UP" } else { "DOWN" };
    format!("{INTERFACE_STATE_PREFIX}{name}/{state}")
}

/// `linux/interface/<name>/address/`: every address of an interface.
pub fn address_prefix(interface: &str) -> String {
    format!("{INTERFACE_DERIVED_PREFIX}{interface}{ADDRESS_PART}")
}

/// `linux/interface/<name>/address/<source>/<address>`.
pub fn address_key(interface: &str, source: AddressSource, address: &str) -> String {
    format!("{}{}/{address}", address_prefix(interface), source.as_str())
}

/// The address of an address key (`None` for another key).
pub fn address_of_key(key: &str) -> Option<&str> {
    let rest = key.strip_prefix(INTERFACE_DERIVED_PREFIX)?;
    let (_, tail) = rest.split_once(ADDRESS_PART)?;
    let (_, address) = tail.split_once('/')?;
    Some(address)
}

/// Whether `key` is a derived address key.
pub fn is_address_key(key: &str) -> bool {
    address_of_key(key).is_some()
}

/// `linux/interface/<name>/bridge/<bridge>`.
pub fn bridge_port_key(interface: &str, bridge: &str) -> String {
    format!("{INTERFACE_DERIVED_PREFIX}{interface}{BRIDGE_PART}{bridge}")
}

/// Whether `key` is a derived bridge-membership key.
pub fn is_bridge_port_key(key: &str) -> bool {
    key.strip_prefix(INTERFACE_DERIVED_PREFIX)
        .is_some_and(|rest| rest.contains(BRIDGE_PART) && !rest.contains(ADDRESS_PART))
}

/// `linux/link-local-route/<iface>/`: the link-local routes of an interface.
pub fn link_local_route_prefix(interface: &str) -> String {
    format!("{LINK_LOCAL_ROUTE_PREFIX}{interface}/")
}

/// `linux/link-local-route/<iface>/dest-address/<dst>`.
pub fn link_local_route_key(interface: &str, dst: &str) -> String {
    format!("{}dest-address/{dst}", link_local_route_prefix(interface))
}

/// The destination of a link-local route key (`None` for another key).
pub fn link_local_route_dst(key: &str) -> Option<&str> {
    let rest = key.strip_prefix(LINK_LOCAL_ROUTE_PREFIX)?;
    rest.split_once("/dest-address/").map(|(_, dst)| dst)
}

/// `linux/host-interface/<ns>/<host>`: the link exists and is UP.
pub fn host_interface_key(ns_tag: &str, host: &str) -> String {
    format!("{HOST_INTERFACE_PREFIX}{ns_tag}/{host}")
}

/// `linux/host-interface/<ns>/<host>/address/<address>`: the link has the address.
pub fn host_address_key(ns_tag: &str, host: &str, address: &str) -> String {
    format!(
        "{}{ADDRESS_PART}{address}",
        host_interface_key(ns_tag, host)
    )
}

/// `linux/netns/available/<ns>`.
pub fn netns_available_key(ns_tag: &str) -> String {
    format!("{NETNS_AVAILABLE_PREFIX}{ns_tag}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_keys_are_upstreams() {
        assert_eq!(
            interface_state_key("veth1", true),
            "linux/interface/state/veth1/UP"
        );
        assert_eq!(
            address_key("veth1", AddressSource::Static, "10.0.0.1/24"),
            "linux/interface/veth1/address/static/10.0.0.1/24"
        );
        assert_eq!(
            address_of_key("linux/interface/veth1/address/existing/10.0.0.1/24"),
            Some("10.0.0.1/24")
        );
        assert_eq!(
            link_local_route_key("memif0", "192.168.1.12/24"),
            "linux/link-local-route/memif0/dest-address/192.168.1.12/24"
        );
        assert_eq!(
            link_local_route_dst("linux/link-local-route/memif0/dest-address/192.168.1.12/24"),
            Some("192.168.1.12/24")
        );
    }

    #[test]
    fn kinds_of_interface_keys_do_not_mix() {
        let bridge = bridge_port_key("tap1", "br0");
        assert!(is_bridge_port_key(&bridge));
        assert!(!is_address_key(&bridge));
        let address = address_key("tap1", AddressSource::Static, "fe80::1/64");
        assert!(is_address_key(&address));
        assert!(!is_bridge_port_key(&address));
        assert!(!is_address_key(&interface_state_key("tap1", true)));
        assert!(!is_bridge_port_key(&interface_state_key("tap1", true)));
    }

    #[test]
    fn southbound_keys_carry_the_namespace() {
        assert_eq!(
            host_address_key("nsid:blue", "eth0", "10.0.0.1/24"),
            "linux/host-interface/nsid:blue/eth0/address/10.0.0.1/24"
        );
        assert_eq!(
            netns_available_key("pid:42"),
            "linux/netns/available/pid:42"
        );
    }
}
