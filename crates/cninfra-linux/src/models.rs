//! The Linux models (vpp-agent's, from [`cninfra_ligato::register_linux`]) and the NB keys
//! made from them.

use std::sync::{Arc, LazyLock};

use cninfra_kvscheduler::models::{Model, ModelError, ModelRegistry};
use cninfra_ligato::linux::interfaces::Interface;
use cninfra_ligato::linux::l3::{ArpEntry, Route};
use cninfra_ligato::linux::netns::NamedNetns;

/// The registered Linux models, with the four the descriptors use looked up.
#[derive(Debug)]
pub(crate) struct LinuxModels {
    pub(crate) registry: ModelRegistry,
    pub(crate) interface: Arc<Model>,
    pub(crate) route: Arc<Model>,
    pub(crate) arp: Arc<Model>,
    pub(crate) netns: Arc<Model>,
}

impl LinuxModels {
    fn new() -> Result<Self, ModelError> {
        let mut registry = ModelRegistry::new();
        cninfra_ligato::register_linux(&mut registry)?;
        Ok(Self {
            interface: registry.model_of::<Interface>()?,
            route: registry.model_of::<Route>()?,
            arp: registry.model_of::<ArpEntry>()?,
            netns: registry.model_of::<NamedNetns>()?,
            registry,
        })
    }
}

/// The models, registered once (as vpp-agent registers its models at package start).
pub(crate) fn linux() -> &'static LinuxModels {
    static MODELS: LazyLock<LinuxModels> = LazyLock::new(|| {
        // The specs and templates are constants: registering them in an empty registry
        // cannot fail (test `keys_are_upstreams`); vpp-agent's `models.Register` panics the
        // same way on a bad declaration.
        #[allow(clippy::expect_used)]
        LinuxModels::new().expect("the Linux models register in an empty registry")
    });
    &MODELS
}

/// The Linux models (interfaces, routes, ARP entries, named namespaces), for clients that
/// build keys from values and for the gRPC `ListModels`; an agent adds its other models.
pub fn models() -> ModelRegistry {
    linux().registry.clone()
}

/// `config/linux/interfaces/v2/interface/<name>`.
pub fn interface_key(name: &str) -> String {
    linux().interface.key(name)
}

/// `config/linux/l3/v2/route/<dst-network>/<outgoing-interface>`, with the destination
/// normalised as upstream's name template does (`10.1.2.3/24` → `10.1.2.0/24`; a
/// destination that is not a network is kept as given).
pub fn route_key(dst_network: &str, outgoing_interface: &str) -> String {
    let dst = dst_network
        .parse::<ipnet::IpNet>()
        .map_or_else(|_| dst_network.to_owned(), |net| net.trunc().to_string());
    linux().route.key(&format!("{dst}/{outgoing_interface}"))
}

/// `config/linux/l3/v2/arp/<interface>/<ip>`.
pub fn arp_key(interface: &str, ip_address: &str) -> String {
    linux().arp.key(&format!("{interface}/{ip_address}"))
}

/// `config/linux/namespace/v1/netns/<name>` (cninfra's named-namespace model).
pub fn netns_key(name: &str) -> String {
    linux().netns.key(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_upstreams() {
        let models = LinuxModels::new().unwrap();
        assert_eq!(models.interface.name(), "linux.interfaces.interface");
        assert_eq!(
            interface_key("veth1"),
            "config/linux/interfaces/v2/interface/veth1"
        );
        let route = Route {
            dst_network: "10.1.2.3/24".into(),
            outgoing_interface: "veth1".into(),
            ..Route::default()
        };
        assert_eq!(
            models.route.key_of_message(&route).unwrap(),
            route_key("10.1.2.3/24", "veth1")
        );
        assert_eq!(
            route_key("10.1.2.3/24", "veth1"),
            "config/linux/l3/v2/route/10.1.2.0/24/veth1"
        );
        assert_eq!(
            route_key("2001:db8::1/64", "v"),
            "config/linux/l3/v2/route/2001:db8::/64/v"
        );
        assert_eq!(
            arp_key("veth1", "10.0.0.2"),
            "config/linux/l3/v2/arp/veth1/10.0.0.2"
        );
        assert_eq!(netns_key("blue"), "config/linux/namespace/v1/netns/blue");
    }
}
