//! The southbound values the Linux plugins learn from the kernel (no NB counterpart):
//! links that EXISTING interfaces wait for, their addresses, and PID/FD namespaces that can
//! be entered. Two retrieve-only descriptors report them at resyncs; between resyncs the
//! [watcher](crate::watcher) pushes their changes as SB notifications.

use std::collections::BTreeMap;

use cninfra_kvscheduler::{
    Correlated, DescriptorError, Origin, RetrieveResult, Retrieved, TypedDescriptor,
};
use cninfra_netlink::{LinkRef, Namespace, Scope};

use crate::keys;
use crate::namespace;
use crate::shared::Shared;
use crate::values::HostValue;
use crate::{HOST_INTERFACE_DESCRIPTOR, NETNS_AVAILABLE_DESCRIPTOR};

/// The southbound values now: key → value.
pub(crate) type Snapshot = BTreeMap<String, HostValue>;

/// Reads the southbound values the NB values wait for.
pub(crate) fn snapshot(shared: &Shared) -> Snapshot {
    let mut values = Snapshot::new();
    for (ns, host) in shared.existing_links() {
        let tag = namespace::tag(&ns);
        let link = match shared.netlink.link(&ns, &LinkRef::Name(host.clone())) {
            Ok(Some(link)) if link.up => link,
            Ok(_) => continue,
            Err(err) => {
                tracing::debug!(target: crate::LOG, %ns, %host, error = %err, "cannot read link");
                continue;
            }
        };
        values.insert(
            keys::host_interface_key(&tag, &host),
            HostValue {
                namespace: tag.clone(),
                host_name: host.clone(),
                address: None,
            },
        );
        let Ok(addresses) = shared.netlink.addresses(&ns, Some(link.index)) else {
            continue;
        };
        for address in addresses.iter().filter(|a| a.scope != Scope::Link) {
            let text = address.addr.to_string();
            values.insert(
                keys::host_address_key(&tag, &host, &text),
                HostValue {
                    namespace: tag.clone(),
                    host_name: host.clone(),
                    address: Some(text),
                },
            );
        }
    }
    for ns in shared.namespaces_in_use() {
        if matches!(ns, Namespace::Pid(_) | Namespace::Path(_))
            && shared.netlink.namespace_exists(&ns)
        {
            let tag = namespace::tag(&ns);
            values.insert(
                keys::netns_available_key(&tag),
                HostValue {
                    namespace: tag,
                    host_name: String::new(),
                    address: None,
                },
            );
        }
    }
    values
}

fn retrieved(shared: &Shared, prefix: &str) -> Vec<Retrieved<HostValue, ()>> {
    snapshot(shared)
        .into_iter()
        .filter(|(key, _)| key.starts_with(prefix))
        .map(|(key, value)| {
            let mut found = Retrieved::new(key, value);
            found.origin = Origin::FromSb;
            found
        })
        .collect()
}

fn southbound_only(key: &str) -> DescriptorError {
    DescriptorError::permanent(format!("`{key}` is a southbound value: NB cannot set it"))
}

/// A retrieve-only descriptor of southbound values under one prefix:
///
/// - `linux-host-interface`: `linux/host-interface/<ns>/<host>`
///   (the link exists and is UP) and `.../<host>/address/<addr>`, for the links EXISTING
///   interfaces name (upstream's `linux/interface/host-name/...`, in every namespace rather
///   than the default one only);
/// - `linux-netns-available`: `linux/netns/available/<ns>`, for the
///   PID and FD namespaces interface values name, present while the namespace can be
///   entered; its values wait (PENDING) while it cannot, rather than failing (upstream
///   issues #1285, #1373).
#[derive(Debug)]
pub struct SouthboundDescriptor {
    name: &'static str,
    prefix: &'static str,
    shared: Shared,
}

impl SouthboundDescriptor {
    /// `linux-host-interface`.
    pub(crate) fn host_interfaces(shared: Shared) -> Self {
        Self {
            name: HOST_INTERFACE_DESCRIPTOR,
            prefix: keys::HOST_INTERFACE_PREFIX,
            shared,
        }
    }

    /// `linux-netns-available`.
    pub(crate) fn netns_available(shared: Shared) -> Self {
        Self {
            name: NETNS_AVAILABLE_DESCRIPTOR,
            prefix: keys::NETNS_AVAILABLE_PREFIX,
            shared,
        }
    }
}

impl TypedDescriptor for SouthboundDescriptor {
    type Value = HostValue;
    type Metadata = ();
    const SUPPORTS_RETRIEVE: bool = true;

    fn name(&self) -> &str {
        self.name
    }

    fn key_prefix(&self) -> &str {
        self.prefix
    }

    fn nb_key_prefix(&self) -> Option<&str> {
        None
    }

    fn create(&self, key: &str, _value: &HostValue) -> Result<(), DescriptorError> {
        Err(southbound_only(key))
    }

    fn delete(
        &self,
        key: &str,
        _value: &HostValue,
        _meta: Option<&()>,
    ) -> Result<(), DescriptorError> {
        Err(southbound_only(key))
    }

    fn retrieve(
        &self,
        _correlate: &[Correlated<'_, HostValue, ()>],
    ) -> RetrieveResult<HostValue, ()> {
        Ok(retrieved(&self.shared, self.prefix))
    }
}
