//! Links: what the kernel reports ([`Link`]), what to create ([`NewLink`]) and what to
//! change ([`LinkChange`]).

use std::fmt;

use crate::{Cause, MacAddr, Namespace};

/// The longest interface name (`IFNAMSIZ` - 1).
const MAX_NAME_LEN: usize = 15;

/// Checks an interface name as the kernel does (`dev_valid_name`).
pub(crate) fn check_name(name: &str) -> Result<(), Cause> {
    let valid = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name != "."
        && name != ".."
        && !name.contains(|c: char| c == '/' || c == ':' || c.is_whitespace());
    if valid {
        Ok(())
    } else {
        Err(Cause::Invalid(format!(
            "{name:?} is not a valid interface name"
        )))
    }
}

/// The type of a link, from its `IFLA_INFO_KIND` (or the loopback device type).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LinkKind {
    /// The loopback device `lo`.
    Loopback,
    /// A dummy device.
    Dummy,
    /// One end of a veth pair.
    Veth,
    /// A Linux bridge.
    Bridge,
    /// An 802.1Q VLAN device on a parent link.
    Vlan,
    /// Any other kind, by its kernel name (empty for devices without one, such as physical
    /// NICs).
    Other(String),
}

impl LinkKind {
    /// The kernel's name of the kind (`IFLA_INFO_KIND`), empty for none.
    pub fn as_str(&self) -> &str {
        match self {
            LinkKind::Loopback => "",
            LinkKind::Dummy => "dummy",
            LinkKind::Veth => "veth",
            LinkKind::Bridge => "bridge",
            LinkKind::Vlan => "vlan",
            LinkKind::Other(kind) => kind,
        }
    }

    /// The kind of a kernel name (`IFLA_INFO_KIND`).
    pub fn from_kernel_name(name: &str) -> Self {
        match name {
            "dummy" => LinkKind::Dummy,
            "veth" => LinkKind::Veth,
            "bridge" => LinkKind::Bridge,
            "vlan" => LinkKind::Vlan,
            other => LinkKind::Other(other.to_string()),
        }
    }
}

/// A link as the kernel reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The interface index (unique within its namespace).
    pub index: u32,
    /// The interface name.
    pub name: String,
    /// The type.
    pub kind: LinkKind,
    /// Administratively up (`IFF_UP`).
    pub up: bool,
    /// The lower layer is up (`IFF_LOWER_UP`, "carrier").
    pub carrier: bool,
    /// The MTU.
    pub mtu: u32,
    /// The link-layer address, for links that have one.
    pub mac: Option<MacAddr>,
    /// The alias (`IFLA_IFALIAS`), used to mark links the agent owns.
    pub alias: Option<String>,
    /// The index of the master (the bridge this link is a port of).
    pub master: Option<u32>,
    /// The index of the parent (`IFLA_LINK`): a VLAN's parent, a veth's peer (possibly in
    /// another namespace, see `link_netnsid`).
    pub parent: Option<u32>,
    /// The namespace id, as seen from this link's namespace, of the namespace the parent is
    /// in (`IFLA_LINK_NETNSID`), when that is another one.
    pub link_netnsid: Option<i32>,
    /// The VLAN id of a VLAN link.
    pub vlan_id: Option<u16>,
}

/// A link named by its name or its index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LinkRef {
    /// By interface name.
    Name(String),
    /// By interface index.
    Index(u32),
}

impl fmt::Display for LinkRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkRef::Name(name) => f.write_str(name),
            LinkRef::Index(index) => write!(f, "#{index}"),
        }
    }
}

impl From<&str> for LinkRef {
    fn from(name: &str) -> Self {
        LinkRef::Name(name.to_string())
    }
}

impl From<String> for LinkRef {
    fn from(name: String) -> Self {
        LinkRef::Name(name)
    }
}

impl From<u32> for LinkRef {
    fn from(index: u32) -> Self {
        LinkRef::Index(index)
    }
}

/// A link to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLink {
    /// The name.
    pub name: String,
    /// The type and what it needs.
    pub kind: NewLinkKind,
    /// The MTU, if not the kernel's default.
    pub mtu: Option<u32>,
    /// The link-layer address, if not a random one.
    pub mac: Option<MacAddr>,
    /// The alias (`IFLA_IFALIAS`).
    pub alias: Option<String>,
    /// Create it administratively up.
    pub up: bool,
}

/// The type of a link to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewLinkKind {
    /// A dummy device.
    Dummy,
    /// A Linux bridge.
    Bridge,
    /// An 802.1Q VLAN on the link `parent` (an index in the same namespace).
    Vlan {
        /// The parent's index.
        parent: u32,
        /// The VLAN id (1..=4094).
        id: u16,
    },
    /// A veth pair; this link is one end, the peer the other.
    Veth(VethPeer),
}

/// The other end of a veth pair to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VethPeer {
    /// The peer's name.
    pub name: String,
    /// The namespace the peer is created in directly (`IFLA_NET_NS_FD` in the peer's
    /// message); `None` for the namespace of the first end.
    pub namespace: Option<Namespace>,
    /// The peer's MTU.
    pub mtu: Option<u32>,
    /// The peer's link-layer address.
    pub mac: Option<MacAddr>,
    /// The peer's alias.
    pub alias: Option<String>,
    /// Create the peer administratively up.
    pub up: bool,
}

impl VethPeer {
    /// A peer named `name`, in the namespace of the first end.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            namespace: None,
            mtu: None,
            mac: None,
            alias: None,
            up: false,
        }
    }

    /// Creates the peer in `namespace`.
    pub fn in_namespace(mut self, namespace: Namespace) -> Self {
        self.namespace = Some(namespace);
        self
    }

    /// Sets the peer's MTU.
    pub fn with_mtu(mut self, mtu: u32) -> Self {
        self.mtu = Some(mtu);
        self
    }

    /// Sets the peer's link-layer address.
    pub fn with_mac(mut self, mac: MacAddr) -> Self {
        self.mac = Some(mac);
        self
    }

    /// Sets the peer's alias.
    pub fn with_alias(mut self, alias: impl Into<String>) -> Self {
        self.alias = Some(alias.into());
        self
    }

    /// Creates the peer administratively up.
    pub fn up(mut self) -> Self {
        self.up = true;
        self
    }
}

impl NewLink {
    fn new(name: impl Into<String>, kind: NewLinkKind) -> Self {
        Self {
            name: name.into(),
            kind,
            mtu: None,
            mac: None,
            alias: None,
            up: false,
        }
    }

    /// A dummy device.
    pub fn dummy(name: impl Into<String>) -> Self {
        Self::new(name, NewLinkKind::Dummy)
    }

    /// A Linux bridge.
    pub fn bridge(name: impl Into<String>) -> Self {
        Self::new(name, NewLinkKind::Bridge)
    }

    /// A VLAN `id` on the link of index `parent`.
    pub fn vlan(name: impl Into<String>, parent: u32, id: u16) -> Self {
        Self::new(name, NewLinkKind::Vlan { parent, id })
    }

    /// A veth pair: this end named `name`, the other `peer`.
    pub fn veth(name: impl Into<String>, peer: VethPeer) -> Self {
        Self::new(name, NewLinkKind::Veth(peer))
    }

    /// Sets the MTU.
    pub fn with_mtu(mut self, mtu: u32) -> Self {
        self.mtu = Some(mtu);
        self
    }

    /// Sets the link-layer address.
    pub fn with_mac(mut self, mac: MacAddr) -> Self {
        self.mac = Some(mac);
        self
    }

    /// Sets the alias.
    pub fn with_alias(mut self, alias: impl Into<String>) -> Self {
        self.alias = Some(alias.into());
        self
    }

    /// Creates the link administratively up.
    pub fn up(mut self) -> Self {
        self.up = true;
        self
    }

    /// The kind of link this creates.
    pub fn link_kind(&self) -> LinkKind {
        match self.kind {
            NewLinkKind::Dummy => LinkKind::Dummy,
            NewLinkKind::Bridge => LinkKind::Bridge,
            NewLinkKind::Vlan { .. } => LinkKind::Vlan,
            NewLinkKind::Veth(_) => LinkKind::Veth,
        }
    }
}

/// The master a link is to have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Master {
    /// Enslave the link to the master of this index (make it a port of that bridge).
    Index(u32),
    /// Release the link from its master.
    Detach,
}

/// Changes to a link, applied in one request; `None` leaves the attribute as it is.
///
/// Kernels before 6.2 refuse to rename a link that is up (`EBUSY`): take it down in an
/// earlier request to work on those too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkChange {
    /// Set administratively up (`true`) or down.
    pub up: Option<bool>,
    /// Set the MTU.
    pub mtu: Option<u32>,
    /// Set the link-layer address.
    pub mac: Option<MacAddr>,
    /// Set the alias; an empty alias removes it.
    pub alias: Option<String>,
    /// Enslave to a master or release.
    pub master: Option<Master>,
    /// Rename.
    pub name: Option<String>,
}

impl LinkChange {
    /// No change.
    pub fn new() -> Self {
        Self::default()
    }

    /// `link` as it is after this change (the carrier aside, which the kernel decides).
    pub fn apply_to(&self, link: &mut Link) {
        if let Some(name) = &self.name {
            link.name.clone_from(name);
        }
        if let Some(mtu) = self.mtu {
            link.mtu = mtu;
        }
        if let Some(mac) = self.mac {
            link.mac = Some(mac);
        }
        if let Some(alias) = &self.alias {
            link.alias = Some(alias.clone()).filter(|a| !a.is_empty());
        }
        match self.master {
            Some(Master::Index(master)) => link.master = Some(master),
            Some(Master::Detach) => link.master = None,
            None => {}
        }
        if let Some(up) = self.up {
            link.up = up;
        }
    }

    /// Sets administratively up or down.
    pub fn up(mut self, up: bool) -> Self {
        self.up = Some(up);
        self
    }

    /// Sets the MTU.
    pub fn mtu(mut self, mtu: u32) -> Self {
        self.mtu = Some(mtu);
        self
    }

    /// Sets the link-layer address.
    pub fn mac(mut self, mac: MacAddr) -> Self {
        self.mac = Some(mac);
        self
    }

    /// Sets the alias (empty: remove it).
    pub fn alias(mut self, alias: impl Into<String>) -> Self {
        self.alias = Some(alias.into());
        self
    }

    /// Enslaves to a master or releases.
    pub fn master(mut self, master: Master) -> Self {
        self.master = Some(master);
        self
    }

    /// Renames.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Whether nothing is to change.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}
