//! A synchronous rtnetlink client for cninfra's Linux plugins: links, addresses, routes,
//! neighbours and network namespaces, behind the [`Netlink`] trait, with
//! [`FakeNetlink`], an in-memory model that records the requests, for tests without root.
//!
//! # Why synchronous
//!
//! The KVScheduler runs descriptors synchronously on its engine thread. An async netlink
//! handle (`rtnetlink`) would need its own runtime and a blocking bridge on every call,
//! and its API has changed with every minor release. So this crate does what netavark
//! (Podman's network stack, since its "use low level sync api" change) and youki do: it
//! builds messages with `netlink-packet-route`, sends them on a blocking `netlink-sys`
//! socket with strict checking, checks sequence numbers and answers, and puts a time limit
//! on every receive so that no call blocks forever.
//!
//! # Namespaces
//!
//! Every operation names the [`Namespace`] it acts in. A netlink socket stays bound to the
//! namespace it was opened in, so a socket per namespace is opened once, by a short-lived
//! helper thread that enters the namespace (`setns`), and reused from any thread: neither
//! the caller's thread nor a tokio worker ever switches namespace. Before each use the
//! namespace's file is checked: a namespace that is gone (a PID whose process died, a
//! removed file) fails with [`ErrorKind::NamespaceGone`], which the plugins map to
//! PENDING rather than FAILED.
//!
//! # Errors
//!
//! [`Error`] names the operation ([`Op`]), the object and the namespace; its [`Cause`]
//! holds the errno the kernel answered. [`Error::kind`] tells "already gone"
//! ([`ErrorKind::NotFound`]) and "already there" ([`ErrorKind::Exists`]) apart from
//! real failures.
//!
//! # Features
//!
//! | feature | what it adds | default |
//! |---|---|---|
//! | `testing` | the `testing` module: whether kernel tests may run (root, else a printed skip, or a failure under `CNINFRA_REQUIRE_KERNEL_TESTS=1`), and scratch namespaces deleted on drop | no |

mod address;
mod client;
mod error;
mod event;
mod fake;
mod kernel;
mod link;
mod mac;
mod namespace;
mod neighbour;
mod netns;
mod route;
#[cfg(feature = "testing")]
pub mod testing;
mod watch;

pub use address::Address;
pub use client::Netlink;
pub use error::{Cause, Error, ErrorKind, Op, Result};
pub use event::{Event, EventKind, EventReceiver};
pub use fake::{FakeNetlink, Outside, Request};
pub use kernel::KernelNetlink;
pub use link::{Link, LinkChange, LinkKind, LinkRef, Master, NewLink, NewLinkKind, VethPeer};
pub use mac::{MacAddr, ParseMacError};
pub use namespace::{NETNS_RUN_DIR, Namespace};
pub use neighbour::{Neighbour, NeighbourState};
pub use netns::run_in_namespace;
pub use route::{
    Family, Route, RouteFilter, RouteKind, RouteProtocol, Scope, TABLE_LOCAL, TABLE_MAIN,
};

/// IP networks (`IpNet`, `Ipv4Net`, `Ipv6Net`), as the API takes them.
pub use ipnet;
/// The kernel's error numbers, as [`Cause::Errno`] holds them.
pub use nix::errno::Errno;
