//! [`Watcher`]: a multicast netlink socket per watched namespace, read by a dedicated
//! thread that turns link, address, route and neighbour messages into [`Event`]s for the
//! subscribers. Nothing here blocks the caller: events go to unbounded channels.

use std::collections::{HashMap, HashSet};
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use netlink_packet_core::NetlinkPayload;
use netlink_packet_route::RouteNetlinkMessage;
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use parking_lot::Mutex;

use crate::event::Subscribers;
use crate::kernel::{
    Messages, Sockets, io_cause, link_indexes, open_raw, parse_address, parse_link,
    parse_neighbour, parse_route,
};
use crate::netns::{NsId, id_of};
use crate::{Cause, Event, EventKind, EventReceiver, Namespace};

/// The multicast groups watched: links, neighbours, IPv4 and IPv6 addresses and routes
/// (`RTNLGRP_*`).
const GROUPS: [u32; 6] = [1, 3, 5, 7, 9, 11];

/// How often a watching thread checks that its namespace still exists when no event
/// comes.
const LIVENESS_PERIOD: Duration = Duration::from_millis(500);

/// The receive buffer of a multicast socket (the kernel caps it at `rmem_max`).
const SOCKET_BUFFER: usize = 4 * 1024 * 1024;

/// The watching threads, one per watched namespace.
#[derive(Debug, Default)]
pub(crate) struct Watcher {
    subscribers: Arc<Subscribers>,
    watches: Mutex<HashMap<Namespace, Watch>>,
}

/// One watched namespace: closing `stop` ends its thread.
#[derive(Debug)]
struct Watch {
    stop: OwnedFd,
    thread: JoinHandle<()>,
}

impl Watcher {
    /// A new subscription.
    pub(crate) fn subscribe(&self) -> EventReceiver {
        self.subscribers.subscribe()
    }

    /// Starts a thread watching `ns`, unless one is running.
    pub(crate) fn watch(&self, sockets: &Arc<Sockets>, ns: &Namespace) -> Result<(), Cause> {
        let mut watches = self.watches.lock();
        if watches.get(ns).is_some_and(|w| !w.thread.is_finished()) {
            return Ok(());
        }
        let (socket, id) = sockets.open_in(ns, || {
            let socket = open_raw(&GROUPS)?;
            socket.set_non_blocking(true)?;
            // A smaller buffer only means an earlier overrun (reported as such).
            let _ = socket.set_rx_buf_sz(SOCKET_BUFFER);
            Ok(socket)
        })?;
        // Links known now, to tell a new link from a changed one.
        let known = link_indexes(sockets, ns)?;
        let (stop_read, stop) = nix::unistd::pipe().map_err(Cause::Errno)?;
        let reader = Reader {
            namespace: ns.clone(),
            liveness: ns.path().map(|path| (path, id)),
            socket,
            stop: stop_read,
            known,
            subscribers: self.subscribers.clone(),
            sockets: sockets.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("cninfra-netlink-watch".into())
            .spawn(move || reader.run())
            .map_err(io_cause)?;
        tracing::debug!(namespace = %ns, "watching namespace");
        if let Some(old) = watches.insert(ns.clone(), Watch { stop, thread }) {
            old.finish();
        }
        Ok(())
    }

    /// Stops watching `ns`.
    pub(crate) fn unwatch(&self, ns: &Namespace) {
        let watch = self.watches.lock().remove(ns);
        if let Some(watch) = watch {
            watch.finish();
        }
    }
}

impl Watch {
    /// Ends the thread (closing the pipe wakes it) and waits for it.
    fn finish(self) {
        drop(self.stop);
        if self.thread.join().is_err() {
            tracing::warn!("a netlink watching thread panicked");
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        for (_, watch) in self.watches.lock().drain() {
            watch.finish();
        }
    }
}

/// The state of one watching thread.
struct Reader {
    namespace: Namespace,
    /// The namespace's file and what it stood for when watching started.
    liveness: Option<(PathBuf, NsId)>,
    socket: netlink_sys::Socket,
    stop: OwnedFd,
    known: HashSet<u32>,
    subscribers: Arc<Subscribers>,
    sockets: Arc<Sockets>,
}

impl Reader {
    fn run(mut self) {
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let (readable, stopped) = match self.wait() {
                Ok(ready) => ready,
                Err(errno) => {
                    tracing::warn!(namespace = %self.namespace, %errno, "netlink watch stopped");
                    return;
                }
            };
            if stopped {
                return;
            }
            if !self.alive() {
                tracing::info!(namespace = %self.namespace, "watched namespace is gone");
                self.sockets.forget(&self.namespace);
                self.send(EventKind::NamespaceGone);
                return;
            }
            if readable {
                self.drain(&mut buffer);
            }
        }
    }

    /// Waits for messages, the stop pipe, or the liveness period.
    fn wait(&self) -> Result<(bool, bool), Errno> {
        let mut fds = [
            PollFd::new(self.socket.as_fd(), PollFlags::POLLIN),
            PollFd::new(self.stop.as_fd(), PollFlags::POLLIN),
        ];
        let millis = u16::try_from(LIVENESS_PERIOD.as_millis()).unwrap_or(u16::MAX);
        match poll(&mut fds, PollTimeout::from(millis)) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(errno) => return Err(errno),
        }
        let ready = |fd: &PollFd<'_>| fd.revents().is_some_and(|r| !r.is_empty());
        Ok((ready(&fds[0]), ready(&fds[1])))
    }

    /// Whether the namespace's file still stands for the watched namespace.
    fn alive(&self) -> bool {
        match &self.liveness {
            None => true,
            Some((path, id)) => id_of(path).is_ok_and(|now| now == *id),
        }
    }

    fn send(&self, kind: EventKind) {
        self.subscribers.send(Event {
            namespace: self.namespace.clone(),
            kind,
        });
    }

    /// Reads every datagram waiting on the socket.
    fn drain(&mut self, buffer: &mut [u8]) {
        loop {
            let size = match self.socket.recv(&mut &mut buffer[..], 0) {
                Ok(size) => size.min(buffer.len()),
                Err(err) => {
                    match err.raw_os_error().map(Errno::from_raw) {
                        Some(Errno::EAGAIN) => {}
                        Some(Errno::ENOBUFS) => {
                            tracing::warn!(namespace = %self.namespace, "netlink events lost");
                            self.send(EventKind::Overrun);
                        }
                        _ => tracing::warn!(namespace = %self.namespace, %err, "netlink watch"),
                    }
                    return;
                }
            };
            for message in Messages::new(&buffer[..size]) {
                match message {
                    Ok(message) => {
                        if let NetlinkPayload::InnerMessage(inner) = message.payload
                            && let Some(kind) = self.event(inner)
                        {
                            self.send(kind);
                        }
                    }
                    Err(err) => {
                        tracing::warn!(namespace = %self.namespace, %err, "unreadable netlink event");
                    }
                }
            }
        }
    }

    /// The event of a kernel message.
    fn event(&mut self, message: RouteNetlinkMessage) -> Option<EventKind> {
        Some(match message {
            RouteNetlinkMessage::NewLink(message) => {
                let link = parse_link(message);
                if self.known.insert(link.index) {
                    EventKind::LinkAdded(link)
                } else {
                    EventKind::LinkChanged(link)
                }
            }
            RouteNetlinkMessage::DelLink(message) => {
                let link = parse_link(message);
                self.known.remove(&link.index);
                EventKind::LinkRemoved(link)
            }
            RouteNetlinkMessage::NewAddress(message) => {
                EventKind::AddressAdded(parse_address(message)?)
            }
            RouteNetlinkMessage::DelAddress(message) => {
                EventKind::AddressRemoved(parse_address(message)?)
            }
            RouteNetlinkMessage::NewRoute(message) => EventKind::RouteAdded(parse_route(message)?),
            RouteNetlinkMessage::DelRoute(message) => {
                EventKind::RouteRemoved(parse_route(message)?)
            }
            RouteNetlinkMessage::NewNeighbour(message) => {
                EventKind::NeighbourUpdated(parse_neighbour(message)?)
            }
            RouteNetlinkMessage::DelNeighbour(message) => {
                EventKind::NeighbourRemoved(parse_neighbour(message)?)
            }
            _ => return None,
        })
    }
}
