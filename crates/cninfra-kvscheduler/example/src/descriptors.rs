//! The example descriptors.

use cninfra_kvscheduler::{
    Correlated, Dependency, DerivedValue, DescriptorError, InvalidValueError, RetrieveResult,
    Retrieved, TypedDescriptor, Value,
};

use crate::{
    BD_INTERFACE_PREFIX, BRIDGE_DOMAIN_PREFIX, BdBinding, BridgeDomain, Dataplane, FIB_PREFIX,
    FibEntry, INTERFACE_PREFIX, Interface, bd_interface_key, bridge_domain_key, fib_key,
    interface_key,
};

/// Checks the `name` field against the key's last segment.
fn check_name(key: &str, prefix: &str, name: &str) -> Result<(), DescriptorError> {
    if name.is_empty() || key.strip_prefix(prefix) != Some(name) {
        return Err(InvalidValueError::new(
            format!("name `{name}` does not match key `{key}`"),
            ["name"],
        )
        .into());
    }
    Ok(())
}

fn retrieved<V>(key: String, value: V) -> Retrieved<V, ()> {
    Retrieved::new(key, value)
}

/// Interfaces: `config/example/v1/interfaces/<name>`. A type change re-creates.
#[derive(Debug)]
pub struct InterfaceDescriptor {
    dataplane: Dataplane,
}

impl InterfaceDescriptor {
    /// The descriptor over `dataplane`.
    pub fn new(dataplane: Dataplane) -> Self {
        Self { dataplane }
    }
}

impl TypedDescriptor for InterfaceDescriptor {
    type Value = Interface;
    type Metadata = ();
    const SUPPORTS_UPDATE: bool = true;
    const SUPPORTS_RETRIEVE: bool = true;

    fn name(&self) -> &str {
        "example-interface"
    }

    fn key_prefix(&self) -> &str {
        INTERFACE_PREFIX
    }

    fn validate(&self, key: &str, value: &Interface) -> Result<(), DescriptorError> {
        check_name(key, INTERFACE_PREFIX, &value.name)?;
        if !matches!(value.kind.as_str(), "ethernet" | "loopback" | "tap") {
            return Err(InvalidValueError::new(
                format!("unknown interface type `{}`", value.kind),
                ["type"],
            )
            .into());
        }
        Ok(())
    }

    fn create(&self, _key: &str, value: &Interface) -> Result<(), DescriptorError> {
        self.dataplane.put_interface("create", value)
    }

    fn update(
        &self,
        _key: &str,
        _old: &Interface,
        new: &Interface,
        _meta: Option<&()>,
    ) -> Result<(), DescriptorError> {
        self.dataplane.put_interface("update", new)
    }

    fn update_with_recreate(
        &self,
        _key: &str,
        old: &Interface,
        new: &Interface,
        _meta: Option<&()>,
    ) -> bool {
        old.kind != new.kind
    }

    fn delete(
        &self,
        _key: &str,
        value: &Interface,
        _meta: Option<&()>,
    ) -> Result<(), DescriptorError> {
        self.dataplane.delete_interface(&value.name)
    }

    fn retrieve(
        &self,
        _correlate: &[Correlated<'_, Interface, ()>],
    ) -> RetrieveResult<Interface, ()> {
        Ok(self
            .dataplane
            .interfaces()
            .into_iter()
            .map(|i| retrieved(interface_key(&i.name), i))
            .collect())
    }
}

/// Bridge domains: `config/example/v1/bridge-domains/<name>`, deriving one
/// [`BdBinding`] per member interface.
#[derive(Debug)]
pub struct BridgeDomainDescriptor {
    dataplane: Dataplane,
}

impl BridgeDomainDescriptor {
    /// The descriptor over `dataplane`.
    pub fn new(dataplane: Dataplane) -> Self {
        Self { dataplane }
    }
}

impl TypedDescriptor for BridgeDomainDescriptor {
    type Value = BridgeDomain;
    type Metadata = ();
    const SUPPORTS_UPDATE: bool = true;
    const SUPPORTS_RETRIEVE: bool = true;

    fn name(&self) -> &str {
        "example-bridge-domain"
    }

    fn key_prefix(&self) -> &str {
        BRIDGE_DOMAIN_PREFIX
    }

    fn validate(&self, key: &str, value: &BridgeDomain) -> Result<(), DescriptorError> {
        check_name(key, BRIDGE_DOMAIN_PREFIX, &value.name)
    }

    fn create(&self, _key: &str, value: &BridgeDomain) -> Result<(), DescriptorError> {
        self.dataplane.put_bridge_domain("create", value)
    }

    fn update(
        &self,
        _key: &str,
        _old: &BridgeDomain,
        _new: &BridgeDomain,
        _meta: Option<&()>,
    ) -> Result<(), DescriptorError> {
        // Members are derived values: the bridge domain itself has nothing to change.
        Ok(())
    }

    fn delete(
        &self,
        _key: &str,
        value: &BridgeDomain,
        _meta: Option<&()>,
    ) -> Result<(), DescriptorError> {
        self.dataplane.delete_bridge_domain(&value.name)
    }

    fn retrieve(
        &self,
        _correlate: &[Correlated<'_, BridgeDomain, ()>],
    ) -> RetrieveResult<BridgeDomain, ()> {
        Ok(self
            .dataplane
            .bridge_domains()
            .into_iter()
            .map(|bd| retrieved(bridge_domain_key(&bd.name), bd))
            .collect())
    }

    fn retrieve_dependencies(&self) -> Vec<String> {
        vec!["example-interface".to_owned()]
    }

    fn derived_values(&self, _key: &str, value: &BridgeDomain) -> Vec<DerivedValue> {
        value
            .interfaces
            .iter()
            .map(|i| {
                DerivedValue::new(
                    bd_interface_key(&value.name, &i.name),
                    Value::new(BdBinding {
                        bridge_domain: value.name.clone(),
                        interface: i.name.clone(),
                    }),
                )
            })
            .collect()
    }
}

/// Bridge-domain membership (derived): `example/bd/<bd>/interface/<name>`, depending on
/// the interface.
#[derive(Debug)]
pub struct BdInterfaceDescriptor {
    dataplane: Dataplane,
}

impl BdInterfaceDescriptor {
    /// The descriptor over `dataplane`.
    pub fn new(dataplane: Dataplane) -> Self {
        Self { dataplane }
    }
}

impl TypedDescriptor for BdInterfaceDescriptor {
    type Value = BdBinding;
    type Metadata = ();

    fn name(&self) -> &str {
        "example-bd-interface"
    }

    fn key_prefix(&self) -> &str {
        BD_INTERFACE_PREFIX
    }

    fn nb_key_prefix(&self) -> Option<&str> {
        None
    }

    fn create(&self, _key: &str, value: &BdBinding) -> Result<(), DescriptorError> {
        self.dataplane
            .set_member(&value.bridge_domain, &value.interface, true)
    }

    fn delete(
        &self,
        _key: &str,
        value: &BdBinding,
        _meta: Option<&()>,
    ) -> Result<(), DescriptorError> {
        self.dataplane
            .set_member(&value.bridge_domain, &value.interface, false)
    }

    fn dependencies(&self, _key: &str, value: &BdBinding) -> Vec<Dependency> {
        vec![Dependency::on_key(
            "interface",
            interface_key(&value.interface),
        )]
    }
}

/// FIB entries: `config/example/v1/fib/<bd>/mac/<mac>`, depending on the bridge domain
/// and on the outgoing interface being its member.
#[derive(Debug)]
pub struct FibDescriptor {
    dataplane: Dataplane,
}

impl FibDescriptor {
    /// The descriptor over `dataplane`.
    pub fn new(dataplane: Dataplane) -> Self {
        Self { dataplane }
    }
}

fn is_mac(text: &str) -> bool {
    let parts: Vec<&str> = text.split(':').collect();
    parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()))
}

impl TypedDescriptor for FibDescriptor {
    type Value = FibEntry;
    type Metadata = ();
    const SUPPORTS_UPDATE: bool = true;
    const SUPPORTS_RETRIEVE: bool = true;

    fn name(&self) -> &str {
        "example-fib"
    }

    fn key_prefix(&self) -> &str {
        FIB_PREFIX
    }

    fn validate(&self, key: &str, value: &FibEntry) -> Result<(), DescriptorError> {
        let mut invalid = Vec::new();
        if !is_mac(&value.phys_address) {
            invalid.push("phys_address");
        }
        if !matches!(value.action.as_str(), "forward" | "drop") {
            invalid.push("action");
        }
        if value.outgoing_interface.is_empty() && value.action == "forward" {
            invalid.push("outgoing_interface");
        }
        if key != fib_key(&value.bridge_domain, &value.phys_address) {
            invalid.push("bridge_domain");
        }
        if invalid.is_empty() {
            Ok(())
        } else {
            Err(InvalidValueError::new("invalid FIB entry", invalid).into())
        }
    }

    fn create(&self, _key: &str, value: &FibEntry) -> Result<(), DescriptorError> {
        self.dataplane.put_fib("create", value)
    }

    fn update(
        &self,
        _key: &str,
        _old: &FibEntry,
        new: &FibEntry,
        _meta: Option<&()>,
    ) -> Result<(), DescriptorError> {
        self.dataplane.put_fib("update", new)
    }

    fn delete(
        &self,
        _key: &str,
        value: &FibEntry,
        _meta: Option<&()>,
    ) -> Result<(), DescriptorError> {
        self.dataplane.delete_fib(value)
    }

    fn retrieve(
        &self,
        _correlate: &[Correlated<'_, FibEntry, ()>],
    ) -> RetrieveResult<FibEntry, ()> {
        Ok(self
            .dataplane
            .fib_entries()
            .into_iter()
            .map(|f| retrieved(fib_key(&f.bridge_domain, &f.phys_address), f))
            .collect())
    }

    fn retrieve_dependencies(&self) -> Vec<String> {
        vec!["example-bridge-domain".to_owned()]
    }

    fn dependencies(&self, _key: &str, value: &FibEntry) -> Vec<Dependency> {
        vec![
            Dependency::on_key("bridge-domain", bridge_domain_key(&value.bridge_domain)),
            Dependency::on_key(
                "bridged-interface",
                bd_interface_key(&value.bridge_domain, &value.outgoing_interface),
            ),
        ]
    }
}
