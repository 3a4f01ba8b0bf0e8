//! cninfra's Linux plugins: vpp-agent's Linux models (interfaces, addresses, routes, ARP
//! entries, namespaces) reconciled with the kernel through the KVScheduler, over the
//! synchronous netlink client of `cninfra-netlink`.
//!
//! Values put into the KV store (or sent over gRPC) in vpp-agent's form appear in the
//! kernel in dependency order, wait PENDING while they cannot exist, and are repaired after
//! drift. The guide is `docs/linux.md`.
//!
//! | descriptor | keys | values |
//! |---|---|---|
//! | [`linux-interface`](InterfaceDescriptor) | `config/linux/interfaces/v2/interface/<name>` | `ligato.linux.interfaces.Interface` |
//! | [`linux-interface-address`](AddressDescriptor) | `linux/interface/<name>/address/<source>/<addr>` (derived) | [`AddressValue`] |
//! | [`linux-interface-bridge`](BridgePortDescriptor) | `linux/interface/<name>/bridge/<bridge>` (derived) | [`BridgePortValue`] |
//! | [`linux-route`](RouteDescriptor) | `config/linux/l3/v2/route/<dst>/<iface>` | `ligato.linux.l3.Route` |
//! | [`linux-arp`](ArpDescriptor) | `config/linux/l3/v2/arp/<iface>/<ip>` | `ligato.linux.l3.ARPEntry` |
//! | [`linux-netns`](NetnsDescriptor) | `config/linux/namespace/v1/netns/<name>` | `cninfra.linux.namespace.NamedNetns` |
//! | [`linux-host-interface`](SouthboundDescriptor) | `linux/host-interface/<ns>/<host>[/address/<addr>]` (southbound) | [`HostValue`] |
//! | [`linux-netns-available`](SouthboundDescriptor) | `linux/netns/available/<ns>` (southbound) | [`HostValue`] |
//!
//! The admin state `linux/interface/state/<name>/UP|DOWN` and the link-local routes
//! `linux/link-local-route/<iface>/dest-address/<dst>` are properties (derived values
//! without descriptor), as upstream.
//!
//! # Examples
//! ```
//! use std::sync::Arc;
//! use cninfra_kvscheduler::{Scheduler, SchedulerConfig, Value, ValueState};
//! use cninfra_linux::{Linux, LinuxConfig, models};
//! use cninfra_netlink::FakeNetlink;
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let scheduler = Scheduler::new(SchedulerConfig::default())?;
//! let kernel = Arc::new(FakeNetlink::new());
//! let _linux = Linux::register(&scheduler, kernel.clone(), &LinuxConfig::default(), "/vnf-agent/demo/")?;
//!
//! // A route before its interface: it waits.
//! let route = models::route_key("10.2.0.0/24", "d0");
//! scheduler.txn().put(route.clone(), Value::from_json(json!(
//!     {"outgoing_interface": "d0", "dst_network": "10.2.0.0/24", "gw_addr": "10.1.0.2"})))
//!     .commit().await?;
//! assert_eq!(scheduler.status(&route).value.state, ValueState::Pending);
//!
//! // The interface, UP with an address in the gateway's network: both are applied.
//! scheduler.txn().put(models::interface_key("d0"), Value::from_json(json!(
//!     {"name": "d0", "type": "DUMMY", "enabled": true, "ip_addresses": ["10.1.0.1/24"]})))
//!     .commit().await?;
//! assert_eq!(scheduler.status(&route).value.state, ValueState::Configured);
//! # Ok(()) }
//! ```

mod address;
mod arp;
mod bridge;
mod config;
mod interface;
pub mod keys;
pub mod models;
pub mod namespace;
mod netns;
mod ownership;
mod plugin;
#[cfg(feature = "rest")]
mod rest;
mod route;
mod shared;
mod southbound;
mod values;
mod watcher;

use std::path::PathBuf;
use std::sync::Arc;

use cninfra_idxmap::IdxMap;
use cninfra_kvscheduler::{KvSchedulerError, Scheduler};
use cninfra_netlink::{Netlink, RouteProtocol};
use parking_lot::Mutex;
use tokio::task::JoinHandle;

pub use address::AddressDescriptor;
pub use arp::ArpDescriptor;
pub use bridge::BridgePortDescriptor;
pub use config::LinuxConfig;
pub use interface::InterfaceDescriptor;
pub use netns::NetnsDescriptor;
pub use ownership::Ownership;
pub use plugin::{LinuxPlugin, LinuxPluginBuilder};
pub use route::RouteDescriptor;
pub use shared::{INTERFACE_INDEX, InterfaceMeta};
pub use southbound::SouthboundDescriptor;
pub use values::{AddressValue, BridgePortValue, HostValue};

/// Log target of the Linux plugins.
pub(crate) const LOG: &str = LinuxPlugin::NAME;

/// Name of the interface descriptor.
pub const INTERFACE_DESCRIPTOR: &str = "linux-interface";
/// Name of the address descriptor.
pub const ADDRESS_DESCRIPTOR: &str = "linux-interface-address";
/// Name of the bridge-membership descriptor.
pub const BRIDGE_PORT_DESCRIPTOR: &str = "linux-interface-bridge";
/// Name of the route descriptor.
pub const ROUTE_DESCRIPTOR: &str = "linux-route";
/// Name of the ARP descriptor.
pub const ARP_DESCRIPTOR: &str = "linux-arp";
/// Name of the named-namespace descriptor.
pub const NETNS_DESCRIPTOR: &str = "linux-netns";
/// Name of the descriptor of links and addresses seen in the kernel.
pub const HOST_INTERFACE_DESCRIPTOR: &str = "linux-host-interface";
/// Name of the descriptor of enterable PID/FD namespaces.
pub const NETNS_AVAILABLE_DESCRIPTOR: &str = "linux-netns-available";

/// The Linux descriptors registered in a scheduler, over one netlink client, and their
/// watcher once started.
#[derive(Debug)]
pub struct Linux {
    shared: shared::Shared,
    scheduler: Scheduler,
    config: LinuxConfig,
    watcher: Mutex<Option<JoinHandle<()>>>,
}

impl Linux {
    /// Registers the Linux descriptors in `scheduler` over `netlink`; links are marked
    /// with the alias prefix of `config`, else `agent_prefix` (`/vnf-agent/<label>/`).
    ///
    /// # Errors
    /// [`KvSchedulerError::DescriptorExists`] if they are registered already.
    pub fn register(
        scheduler: &Scheduler,
        netlink: Arc<dyn Netlink>,
        config: &LinuxConfig,
        agent_prefix: &str,
    ) -> Result<Self, KvSchedulerError> {
        let alias_prefix = if config.alias_prefix.is_empty() {
            agent_prefix.to_owned()
        } else {
            config.alias_prefix.clone()
        };
        let ownership = Ownership::new(alias_prefix, RouteProtocol(config.route_protocol));
        let shared = shared::Shared::new(netlink, ownership, config);
        let state_dir = if config.state_dir.as_os_str().is_empty() {
            let label = agent_prefix
                .trim_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or_default();
            PathBuf::from("/run/cninfra").join(label)
        } else {
            config.state_dir.clone()
        };
        scheduler.register(NetnsDescriptor::new(
            shared.clone(),
            state_dir.join("netns-owned"),
        ))?;
        scheduler.register(interface::InterfaceDescriptor::new(shared.clone()))?;
        scheduler.register(AddressDescriptor::new(shared.clone()))?;
        scheduler.register(BridgePortDescriptor::new(shared.clone()))?;
        scheduler.register(RouteDescriptor::new(shared.clone()))?;
        scheduler.register(ArpDescriptor::new(shared.clone()))?;
        scheduler.register(SouthboundDescriptor::host_interfaces(shared.clone()))?;
        scheduler.register(SouthboundDescriptor::netns_available(shared.clone()))?;
        Ok(Self {
            shared,
            scheduler: scheduler.clone(),
            config: config.clone(),
            watcher: Mutex::new(None),
        })
    }

    /// Starts the watcher of netlink events (inside a tokio runtime; once).
    pub fn start_watcher(&self) {
        let mut watcher = self.watcher.lock();
        if watcher.is_none() {
            *watcher = Some(watcher::spawn(
                self.shared.clone(),
                self.scheduler.clone(),
                watcher::Pacing {
                    poll: self.config.watch_poll,
                    debounce: self.config.watch_debounce,
                },
            ));
        }
    }

    /// Stops the watcher.
    pub fn stop_watcher(&self) {
        if let Some(watcher) = self.watcher.lock().take() {
            watcher.abort();
        }
    }

    /// The metadata of the configured interfaces by logical name ([`INTERFACE_INDEX`]).
    pub fn interfaces(&self) -> IdxMap<InterfaceMeta> {
        self.shared.interfaces.clone()
    }

    /// The marks of the agent's kernel objects.
    pub fn ownership(&self) -> &Ownership {
        &self.shared.ownership
    }
}

impl Drop for Linux {
    fn drop(&mut self) {
        self.stop_watcher();
    }
}
