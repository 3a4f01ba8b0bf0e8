//! The in-memory "dataplane" of the example, a simulated VPP: state plus a log of calls.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use parking_lot::Mutex;

use cninfra_kvscheduler::DescriptorError;
use cninfra_ligato::vpp::interfaces::Interface;
use cninfra_ligato::vpp::l2::{BridgeDomain, FibEntry, bridge_domain};

/// One call made to the dataplane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// `create`, `update` or `delete`.
    pub op: &'static str,
    /// `interface`, `bridge-domain`, `bd-interface` or `fib`.
    pub kind: &'static str,
    /// The object (`tap1`, `bd1`, `bd1/tap1`, `bd1/62:89:c6:a3:7e:3a`).
    pub name: String,
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.op, self.kind, self.name)
    }
}

#[derive(Debug, Default)]
struct State {
    interfaces: BTreeMap<String, Interface>,
    bridge_domains: BTreeMap<String, BridgeDomain>,
    members: BTreeSet<(String, String)>,
    fib: BTreeMap<(String, String), FibEntry>,
    calls: Vec<Call>,
    failures: BTreeMap<String, u32>,
}

/// A shared in-memory dataplane simulating VPP (no VPP involved): what exists, as
/// upstream's messages, and every call made, in order.
#[derive(Debug, Clone, Default)]
pub struct Dataplane {
    state: Arc<Mutex<State>>,
}

impl Dataplane {
    /// An empty dataplane.
    pub fn new() -> Self {
        Self::default()
    }

    /// The calls so far, as `"create interface tap1"`.
    pub fn calls(&self) -> Vec<String> {
        self.state
            .lock()
            .calls
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// The calls so far, cleared.
    pub fn take_calls(&self) -> Vec<String> {
        std::mem::take(&mut self.state.lock().calls)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// Makes the next `times` calls on `call` (`"create interface tap1"`) fail.
    pub fn fail_next(&self, call: &str, times: u32) {
        self.state.lock().failures.insert(call.to_owned(), times);
    }

    /// The interfaces that exist.
    pub fn interfaces(&self) -> Vec<Interface> {
        self.state.lock().interfaces.values().cloned().collect()
    }

    /// Bridge domains that exist, with their members as the dataplane has them.
    pub fn bridge_domains(&self) -> Vec<BridgeDomain> {
        let state = self.state.lock();
        state
            .bridge_domains
            .values()
            .map(|bd| BridgeDomain {
                interfaces: state
                    .members
                    .iter()
                    .filter(|(b, _)| *b == bd.name)
                    .map(|(_, i)| bridge_domain::Interface {
                        name: i.clone(),
                        ..bridge_domain::Interface::default()
                    })
                    .collect(),
                ..bd.clone()
            })
            .collect()
    }

    /// Bridge-domain memberships `(bd, interface)`.
    pub fn members(&self) -> Vec<(String, String)> {
        self.state.lock().members.iter().cloned().collect()
    }

    /// FIB entries that exist.
    pub fn fib_entries(&self) -> Vec<FibEntry> {
        self.state.lock().fib.values().cloned().collect()
    }

    /// Removes an interface behind the scheduler's back (drift, for resync demos).
    pub fn drift_remove_interface(&self, name: &str) {
        self.state.lock().interfaces.remove(name);
    }

    fn call(
        &self,
        op: &'static str,
        kind: &'static str,
        name: String,
        apply: impl FnOnce(&mut State),
    ) -> Result<(), DescriptorError> {
        let mut state = self.state.lock();
        let call = Call { op, kind, name };
        let text = call.to_string();
        state.calls.push(call);
        if let Some(left) = state.failures.get_mut(&text)
            && *left > 0
        {
            *left -= 1;
            return Err(DescriptorError::failed(format!(
                "dataplane refused: {text}"
            )));
        }
        apply(&mut state);
        Ok(())
    }

    pub(crate) fn put_interface(
        &self,
        op: &'static str,
        iface: &Interface,
    ) -> Result<(), DescriptorError> {
        self.call(op, "interface", iface.name.clone(), |s| {
            s.interfaces.insert(iface.name.clone(), iface.clone());
        })
    }

    pub(crate) fn delete_interface(&self, name: &str) -> Result<(), DescriptorError> {
        self.call("delete", "interface", name.to_owned(), |s| {
            s.interfaces.remove(name);
        })
    }

    pub(crate) fn put_bridge_domain(
        &self,
        op: &'static str,
        bd: &BridgeDomain,
    ) -> Result<(), DescriptorError> {
        self.call(op, "bridge-domain", bd.name.clone(), |s| {
            // Members are kept apart (derived values of their own).
            let bare = BridgeDomain {
                interfaces: Vec::new(),
                ..bd.clone()
            };
            s.bridge_domains.insert(bd.name.clone(), bare);
        })
    }

    pub(crate) fn delete_bridge_domain(&self, name: &str) -> Result<(), DescriptorError> {
        self.call("delete", "bridge-domain", name.to_owned(), |s| {
            s.bridge_domains.remove(name);
        })
    }

    pub(crate) fn set_member(
        &self,
        bd: &str,
        iface: &str,
        member: bool,
    ) -> Result<(), DescriptorError> {
        let op = if member { "create" } else { "delete" };
        self.call(op, "bd-interface", format!("{bd}/{iface}"), |s| {
            let pair = (bd.to_owned(), iface.to_owned());
            if member {
                s.members.insert(pair);
            } else {
                s.members.remove(&pair);
            }
        })
    }

    pub(crate) fn put_fib(
        &self,
        op: &'static str,
        entry: &FibEntry,
    ) -> Result<(), DescriptorError> {
        let id = (entry.bridge_domain.clone(), entry.phys_address.clone());
        self.call(op, "fib", format!("{}/{}", id.0, id.1), |s| {
            s.fib.insert(id, entry.clone());
        })
    }

    pub(crate) fn delete_fib(&self, entry: &FibEntry) -> Result<(), DescriptorError> {
        let id = (entry.bridge_domain.clone(), entry.phys_address.clone());
        self.call("delete", "fib", format!("{}/{}", id.0, id.1), |s| {
            s.fib.remove(&id);
        })
    }
}
