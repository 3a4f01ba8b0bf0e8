//! Shared by the kernel test files.
#![allow(dead_code, unreachable_pub)] // each test file uses a part

use std::net::IpAddr;
use std::process::Command;

use cninfra_netlink::ipnet::IpNet;
use cninfra_netlink::{
    Errno, KernelNetlink, Link, LinkKind, Namespace, Netlink, NewLink, NewLinkKind,
};

pub fn net(s: &str) -> IpNet {
    s.parse().unwrap()
}

pub fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

pub fn client() -> KernelNetlink {
    KernelNetlink::new().expect("a netlink socket")
}

/// The link `name` of `ns`, which must exist.
pub fn link(client: &dyn Netlink, ns: &Namespace, name: &str) -> Link {
    client
        .link(ns, &name.into())
        .unwrap()
        .unwrap_or_else(|| panic!("no link {name} in {ns}"))
}

/// Adds a link, panicking with the error's causes. A dummy is made a bridge (also a link
/// of its own, without ports) on kernels built without the dummy driver.
pub fn add(client: &dyn Netlink, ns: &Namespace, new: NewLink) -> Link {
    let added = match client.add_link(ns, &new) {
        Err(err) if new.kind == NewLinkKind::Dummy && err.errno() == Some(Errno::EOPNOTSUPP) => {
            eprintln!(
                "this kernel has no dummy driver: {} is a bridge instead",
                new.name
            );
            client.add_link(
                ns,
                &NewLink {
                    kind: NewLinkKind::Bridge,
                    ..new
                },
            )
        }
        other => other,
    };
    added.unwrap_or_else(|err| panic!("{err}: {:?}", err.cause))
}

/// Whether `kind` is what [`add`] makes of a dummy.
pub fn is_standalone(kind: &LinkKind) -> bool {
    matches!(kind, LinkKind::Dummy | LinkKind::Bridge)
}

/// Runs `ip <args>`; `false` if `ip` is not installed.
pub fn run_ip(args: &[&str]) -> bool {
    match Command::new("ip").args(args).status() {
        Ok(status) => {
            assert!(status.success(), "ip {args:?} failed: {status}");
            true
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => false,
        Err(err) => panic!("ip {args:?}: {err}"),
    }
}

/// A network namespace that lives as long as a thread of this test: the thread unshares a
/// new one and waits; ending the thread makes the namespace vanish, as a pod's does when
/// its process dies.
pub struct ThreadNamespace {
    path: std::path::PathBuf,
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ThreadNamespace {
    pub fn new() -> Self {
        let (tid_tx, tid_rx) = std::sync::mpsc::channel();
        let (stop, stop_rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).expect("unshare");
            tid_tx.send(nix::unistd::gettid().as_raw()).unwrap();
            let _ = stop_rx.recv();
        });
        let tid = tid_rx.recv().expect("the thread's id");
        Self {
            path: format!("/proc/{}/task/{tid}/ns/net", std::process::id()).into(),
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The namespace, by its file under /proc (upstream's FD kind).
    pub fn namespace(&self) -> Namespace {
        Namespace::Path(self.path.clone())
    }

    /// Ends the thread; its namespace file is gone when this returns.
    pub fn end(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }
}

impl Drop for ThreadNamespace {
    fn drop(&mut self) {
        self.end();
    }
}
