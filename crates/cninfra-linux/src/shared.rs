//! What the Linux descriptors share: the netlink client, the ownership marks, the index of
//! configured interfaces and the NB interface values seen by validation.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use cninfra_idxmap::IdxMap;
use cninfra_kvscheduler::DescriptorError;
use cninfra_ligato::linux::interfaces::{Interface, interface};
use cninfra_netlink::{Error as NetlinkError, ErrorKind, Namespace, Netlink};
use parking_lot::Mutex;

use crate::LinuxConfig;
use crate::namespace;
use crate::ownership::Ownership;

/// Name of the metadata map of the interface descriptor (upstream's).
pub const INTERFACE_INDEX: &str = "linux-interface-index";

/// Where a configured interface's link is: the metadata of `linux-interface`, kept in the
/// map [`INTERFACE_INDEX`] by logical name (read it with
/// `Scheduler::metadata_map::<InterfaceMeta>("linux-interface")`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceMeta {
    /// The namespace the link is in.
    pub namespace: Namespace,
    /// Its name in the kernel.
    pub host_name: String,
    /// Its index in that namespace.
    pub index: u32,
}

/// The state the Linux descriptors share (cheap to clone).
#[derive(Debug, Clone)]
pub(crate) struct Shared {
    pub(crate) netlink: Arc<dyn Netlink>,
    pub(crate) ownership: Ownership,
    /// Metadata of the configured interfaces, by logical name.
    pub(crate) interfaces: IdxMap<InterfaceMeta>,
    /// The last valid NB value of each interface, by logical name (a VETH end creates
    /// the pair with its peer's settings; the watchers learn which namespaces and links
    /// matter).
    pub(crate) desired: Arc<Mutex<HashMap<String, Interface>>>,
    /// Whether applied values are read back and compared.
    pub(crate) verify: bool,
    /// Whether applied routes are read back too.
    pub(crate) verify_routes: bool,
}

impl Shared {
    pub(crate) fn new(
        netlink: Arc<dyn Netlink>,
        ownership: Ownership,
        config: &LinuxConfig,
    ) -> Self {
        Self {
            netlink,
            ownership,
            interfaces: IdxMap::new(INTERFACE_INDEX),
            desired: Arc::default(),
            verify: config.verify,
            verify_routes: config.verify && config.verify_routes,
        }
    }

    /// The metadata of a configured interface.
    pub(crate) fn interface(&self, name: &str) -> Result<Arc<InterfaceMeta>, DescriptorError> {
        self.interfaces
            .get(name)
            .ok_or_else(|| DescriptorError::failed(format!("interface `{name}` is not configured")))
    }

    /// The namespaces NB interface values use (the agent's own first).
    pub(crate) fn namespaces_in_use(&self) -> BTreeSet<Namespace> {
        let mut namespaces: BTreeSet<Namespace> = self
            .desired
            .lock()
            .values()
            .filter_map(|iface| namespace::resolve(iface.namespace.as_ref()).ok())
            .collect();
        namespaces.extend(
            self.interfaces
                .list_all()
                .into_iter()
                .map(|(_, m)| m.namespace.clone()),
        );
        namespaces.insert(Namespace::Default);
        namespaces
    }

    /// The links EXISTING interfaces wait for: (namespace, host name).
    pub(crate) fn existing_links(&self) -> BTreeSet<(Namespace, String)> {
        self.desired
            .lock()
            .values()
            .filter(|iface| iface.r#type() == interface::Type::Existing)
            .filter_map(|iface| {
                let ns = namespace::resolve(iface.namespace.as_ref()).ok()?;
                Some((ns, host_name(iface).to_owned()))
            })
            .collect()
    }
}

/// The kernel name of an interface: `lo` for LOOPBACK, else `host_if_name`, else the
/// logical name.
pub(crate) fn host_name(iface: &Interface) -> &str {
    if iface.r#type() == interface::Type::Loopback {
        "lo"
    } else if iface.host_if_name.is_empty() {
        &iface.name
    } else {
        &iface.host_if_name
    }
}

/// A netlink failure as a descriptor error (retriable: the kernel may change).
pub(crate) fn failed(err: &NetlinkError) -> DescriptorError {
    DescriptorError::from_error(err)
}

/// Ok for "already gone" (the object, or its namespace), else the failure: what a delete
/// returns.
pub(crate) fn gone_is_ok(result: Result<(), NetlinkError>) -> Result<(), DescriptorError> {
    match result {
        Ok(()) => Ok(()),
        Err(err) if matches!(err.kind(), ErrorKind::NotFound | ErrorKind::NamespaceGone) => Ok(()),
        Err(err) => Err(failed(&err)),
    }
}
