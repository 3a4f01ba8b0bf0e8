//! The "dataplane" of the example, a simulated VPP: state plus a log of calls, in memory
//! and optionally in a file ([`crate::journal`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use parking_lot::Mutex;

use cninfra_kvscheduler::DescriptorError;
use cninfra_ligato::vpp::interfaces::Interface;
use cninfra_ligato::vpp::l2::{BridgeDomain, FibEntry, bridge_domain};

use crate::BdBinding;
use crate::journal::{Journal, JournalError, Object, Op};

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
    duplicates: Vec<Call>,
    journal: Option<Journal>,
}

impl State {
    /// Makes the change of one call; a create of an object that exists already is kept as
    /// a duplicate (VPP would have made a second one).
    fn apply(&mut self, op: Op, object: Object) {
        let call = || Call {
            op: op.as_str(),
            kind: object.kind(),
            name: object.name(),
        };
        let delete = op == Op::Delete;
        let existed = match &object {
            Object::Interface(iface) if delete => self.interfaces.remove(&iface.name).is_some(),
            Object::Interface(iface) => self
                .interfaces
                .insert(iface.name.clone(), iface.clone())
                .is_some(),
            Object::BridgeDomain(bd) if delete => self.bridge_domains.remove(&bd.name).is_some(),
            Object::BridgeDomain(bd) => self
                .bridge_domains
                .insert(bd.name.clone(), bd.clone())
                .is_some(),
            Object::BdInterface(binding) => {
                let pair = (binding.bridge_domain.clone(), binding.interface.clone());
                if delete {
                    self.members.remove(&pair)
                } else {
                    !self.members.insert(pair)
                }
            }
            Object::Fib(entry) => {
                let id = (entry.bridge_domain.clone(), entry.phys_address.clone());
                if delete {
                    self.fib.remove(&id).is_some()
                } else {
                    self.fib.insert(id, entry.clone()).is_some()
                }
            }
        };
        if op == Op::Create && existed {
            self.duplicates.push(call());
        }
    }
}

/// A shared dataplane simulating VPP (no VPP involved): what exists, as upstream's
/// messages, and every call made, in order. In memory, or kept in a file as well
/// ([`persist_to`](Self::persist_to)) so that its objects outlive the process.
#[derive(Debug, Clone, Default)]
pub struct Dataplane {
    state: Arc<Mutex<State>>,
}

impl Dataplane {
    /// An empty dataplane.
    pub fn new() -> Self {
        Self::default()
    }

    /// A dataplane with the objects kept in the file at `path` (empty if there is none),
    /// for inspection: its calls are not written to the file.
    ///
    /// # Errors
    /// When the file cannot be read or a line of it is not a call record.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, JournalError> {
        let (records, _) = Journal::read(path.as_ref())?;
        let dataplane = Self::new();
        {
            let mut state = dataplane.state.lock();
            for record in records {
                state.apply(record.op, record.object);
            }
        }
        Ok(dataplane)
    }

    /// Keeps the dataplane in the file at `path`: the objects it holds (from an earlier
    /// process) replace this dataplane's, and every later call is appended to it before it
    /// takes effect, so a process killed at any point leaves the objects it was told exist
    /// (an append-only journal, never compacted: an example's, not a database).
    ///
    /// # Errors
    /// When the file cannot be read, opened for appending, or a line of it is not a call
    /// record.
    pub fn persist_to(&self, path: impl AsRef<Path>) -> Result<(), JournalError> {
        let path = path.as_ref();
        let (records, valid) = Journal::read(path)?;
        let journal = Journal::append_after(path, valid)?;
        let mut state = self.state.lock();
        let calls = std::mem::take(&mut state.calls);
        let failures = std::mem::take(&mut state.failures);
        *state = State {
            calls,
            failures,
            ..State::default()
        };
        for record in records {
            state.apply(record.op, record.object);
        }
        state.journal = Some(journal);
        Ok(())
    }

    /// The creates of objects that existed already (VPP would hold two of each), as
    /// `"create interface tap1"`; with a file, over every process that used it.
    pub fn duplicates(&self) -> Vec<String> {
        self.state
            .lock()
            .duplicates
            .iter()
            .map(ToString::to_string)
            .collect()
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

    fn call(&self, op: Op, object: Object) -> Result<(), DescriptorError> {
        let mut state = self.state.lock();
        let call = Call {
            op: op.as_str(),
            kind: object.kind(),
            name: object.name(),
        };
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
        if let Some(journal) = &mut state.journal {
            journal
                .append(op, &object)
                .map_err(|err| DescriptorError::from_error(&err))?;
        }
        state.apply(op, object);
        Ok(())
    }

    pub(crate) fn put_interface(&self, op: Op, iface: &Interface) -> Result<(), DescriptorError> {
        self.call(op, Object::Interface(iface.clone()))
    }

    pub(crate) fn delete_interface(&self, name: &str) -> Result<(), DescriptorError> {
        let iface = Interface {
            name: name.to_owned(),
            ..Interface::default()
        };
        self.call(Op::Delete, Object::Interface(iface))
    }

    pub(crate) fn put_bridge_domain(
        &self,
        op: Op,
        bd: &BridgeDomain,
    ) -> Result<(), DescriptorError> {
        // Members are kept apart (derived values of their own).
        let bare = BridgeDomain {
            interfaces: Vec::new(),
            ..bd.clone()
        };
        self.call(op, Object::BridgeDomain(bare))
    }

    pub(crate) fn delete_bridge_domain(&self, name: &str) -> Result<(), DescriptorError> {
        let bd = BridgeDomain {
            name: name.to_owned(),
            ..BridgeDomain::default()
        };
        self.call(Op::Delete, Object::BridgeDomain(bd))
    }

    pub(crate) fn set_member(
        &self,
        bd: &str,
        iface: &str,
        member: bool,
    ) -> Result<(), DescriptorError> {
        let op = if member { Op::Create } else { Op::Delete };
        let binding = BdBinding {
            bridge_domain: bd.to_owned(),
            interface: iface.to_owned(),
        };
        self.call(op, Object::BdInterface(binding))
    }

    pub(crate) fn put_fib(&self, op: Op, entry: &FibEntry) -> Result<(), DescriptorError> {
        self.call(op, Object::Fib(entry.clone()))
    }

    pub(crate) fn delete_fib(&self, entry: &FibEntry) -> Result<(), DescriptorError> {
        self.call(Op::Delete, Object::Fib(entry.clone()))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn tap(name: &str) -> Interface {
        Interface {
            name: name.into(),
            enabled: true,
            ..Interface::default()
        }
    }

    #[test]
    fn a_file_keeps_the_objects_for_the_next_process_and_counts_duplicate_creates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vpp.jsonl");
        let first = Dataplane::new();
        first.persist_to(&path).unwrap();
        first.put_interface(Op::Create, &tap("tap1")).unwrap();
        first.put_interface(Op::Create, &tap("tap2")).unwrap();
        first.set_member("bd1", "tap1", true).unwrap();
        first.delete_interface("tap2").unwrap();
        first.fail_next("create interface tap3", 1);
        assert!(first.put_interface(Op::Create, &tap("tap3")).is_err());
        // A crash in the middle of writing a line leaves it without its newline.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(br#"{"op":"create","object":{"kind":"interf"#)
            .unwrap();

        let seen = Dataplane::load(&path).unwrap();
        assert_eq!(seen.interfaces(), [tap("tap1")]);
        assert_eq!(seen.members(), [("bd1".to_owned(), "tap1".to_owned())]);
        assert!(seen.calls().is_empty(), "loading makes no calls");

        let second = Dataplane::new();
        second.persist_to(&path).unwrap();
        assert_eq!(second.interfaces(), [tap("tap1")]);
        assert!(second.duplicates().is_empty());
        second.put_interface(Op::Create, &tap("tap1")).unwrap();
        assert_eq!(second.duplicates(), ["create interface tap1"]);
        // The cut line was cut off; the duplicate is in the file for the next reader.
        assert_eq!(
            Dataplane::load(&path).unwrap().duplicates(),
            ["create interface tap1"]
        );
    }

    #[test]
    fn a_line_that_is_not_a_call_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vpp.jsonl");
        std::fs::write(&path, "{\"op\":\"create\"}\n").unwrap();
        let err = Dataplane::load(&path).unwrap_err();
        assert!(
            matches!(err, JournalError::Corrupt { line: 1, .. }),
            "{err:?}"
        );
    }
}
