//! The example descriptors.

use std::sync::Arc;

use cninfra_kvscheduler::models::Model;
use cninfra_kvscheduler::{
    Correlated, Dependency, DerivedValue, DescriptorError, InvalidValueError, RetrieveResult,
    Retrieved, TypedDescriptor, Value,
};
use cninfra_ligato::vpp::interfaces::{Interface, interface};
use cninfra_ligato::vpp::l2::{BridgeDomain, FibEntry, fib_entry};

use crate::journal::Op;
use crate::{
    BD_INTERFACE_PREFIX, BdBinding, Dataplane, bd_interface_key, bridge_domain_key, fib_key,
    interface_key, vpp,
};

/// Checks the `name` field against the key's instance name.
fn check_name(key: &str, model: &Model, name: &str) -> Result<(), DescriptorError> {
    if name.is_empty() || model.strip_key_prefix(key) != Some(name) {
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

/// Interfaces (model `vpp.interfaces`): `config/vpp/v2/interfaces/<name>`, any type but
/// `UNDEFINED_TYPE`. A type change re-creates.
#[derive(Debug)]
pub struct InterfaceDescriptor {
    dataplane: Dataplane,
    model: Arc<Model>,
}

impl InterfaceDescriptor {
    /// The descriptor over `dataplane`.
    pub fn new(dataplane: Dataplane) -> Self {
        Self {
            dataplane,
            model: Arc::clone(&vpp().interface),
        }
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
        self.model.key_prefix()
    }

    fn model(&self) -> Option<&Model> {
        Some(&self.model)
    }

    fn validate(&self, key: &str, value: &Interface) -> Result<(), DescriptorError> {
        check_name(key, &self.model, &value.name)?;
        match interface::Type::try_from(value.r#type) {
            Ok(interface::Type::UndefinedType) => {
                Err(InvalidValueError::new("the interface type is undefined", ["type"]).into())
            }
            Ok(_) => Ok(()),
            Err(_) => Err(InvalidValueError::new(
                format!("unknown interface type {}", value.r#type),
                ["type"],
            )
            .into()),
        }
    }

    fn create(&self, _key: &str, value: &Interface) -> Result<(), DescriptorError> {
        self.dataplane.put_interface(Op::Create, value)
    }

    fn update(
        &self,
        _key: &str,
        _old: &Interface,
        new: &Interface,
        _meta: Option<&()>,
    ) -> Result<(), DescriptorError> {
        self.dataplane.put_interface(Op::Update, new)
    }

    fn update_with_recreate(
        &self,
        _key: &str,
        old: &Interface,
        new: &Interface,
        _meta: Option<&()>,
    ) -> bool {
        old.r#type != new.r#type
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

/// Bridge domains (model `vpp.l2.bridge-domain`): `config/vpp/l2/v2/bridge-domain/<name>`,
/// deriving one [`BdBinding`] per member interface.
#[derive(Debug)]
pub struct BridgeDomainDescriptor {
    dataplane: Dataplane,
    model: Arc<Model>,
}

impl BridgeDomainDescriptor {
    /// The descriptor over `dataplane`.
    pub fn new(dataplane: Dataplane) -> Self {
        Self {
            dataplane,
            model: Arc::clone(&vpp().bridge_domain),
        }
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
        self.model.key_prefix()
    }

    fn model(&self) -> Option<&Model> {
        Some(&self.model)
    }

    fn validate(&self, key: &str, value: &BridgeDomain) -> Result<(), DescriptorError> {
        check_name(key, &self.model, &value.name)
    }

    fn create(&self, _key: &str, value: &BridgeDomain) -> Result<(), DescriptorError> {
        self.dataplane.put_bridge_domain(Op::Create, value)
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

/// Bridge-domain membership (derived): `vpp/bd/<bd>/interface/<name>`, depending on the
/// interface.
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

/// FIB entries (model `vpp.l2.fib`): `config/vpp/l2/v2/fib/<bd>/mac/<mac>`, depending on
/// the bridge domain and, with `FORWARD`, on the outgoing interface being its member.
#[derive(Debug)]
pub struct FibDescriptor {
    dataplane: Dataplane,
    model: Arc<Model>,
}

impl FibDescriptor {
    /// The descriptor over `dataplane`.
    pub fn new(dataplane: Dataplane) -> Self {
        Self {
            dataplane,
            model: Arc::clone(&vpp().fib),
        }
    }
}

/// The action of an entry, if it is one of the enum's.
fn action_of(entry: &FibEntry) -> Option<fib_entry::Action> {
    fib_entry::Action::try_from(entry.action).ok()
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
        self.model.key_prefix()
    }

    fn model(&self) -> Option<&Model> {
        Some(&self.model)
    }

    fn validate(&self, key: &str, value: &FibEntry) -> Result<(), DescriptorError> {
        let mut invalid = Vec::new();
        if !is_mac(&value.phys_address) {
            invalid.push("phys_address");
        }
        let action = action_of(value);
        if action.is_none() {
            invalid.push("action");
        }
        if value.outgoing_interface.is_empty() && action == Some(fib_entry::Action::Forward) {
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
        self.dataplane.put_fib(Op::Create, value)
    }

    fn update(
        &self,
        _key: &str,
        _old: &FibEntry,
        new: &FibEntry,
        _meta: Option<&()>,
    ) -> Result<(), DescriptorError> {
        self.dataplane.put_fib(Op::Update, new)
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
        let mut dependencies = vec![Dependency::on_key(
            "bridge-domain",
            bridge_domain_key(&value.bridge_domain),
        )];
        if action_of(value) == Some(fib_entry::Action::Forward) {
            dependencies.push(Dependency::on_key(
                "bridged-interface",
                bd_interface_key(&value.bridge_domain, &value.outgoing_interface),
            ));
        }
        dependencies
    }
}
