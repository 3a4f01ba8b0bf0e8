//! [`Socket`]: a blocking `NETLINK_ROUTE` socket that sends one request at a time and
//! collects its answer (an acknowledgement, one message, or a dump), checking sequence
//! numbers, with a time limit on every wait.

use std::io;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use netlink_packet_core::{
    DecodeError, NLM_F_ACK, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_MULTIPART, NLM_F_REQUEST,
    NetlinkHeader, NetlinkMessage, NetlinkPayload,
};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{SocketAddr, protocols::NETLINK_ROUTE};
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use parking_lot::Mutex;

use super::trim::trim_link_message;
use crate::Cause;

/// The receive buffer: the kernel sends dump parts of up to 32 KiB; twice that leaves room.
const RECV_BUFFER: usize = 64 * 1024;

/// How often a dump interrupted by concurrent changes (`NLM_F_DUMP_INTR`) is retried.
const DUMP_RETRIES: usize = 5;

/// A `NETLINK_ROUTE` socket, bound to the namespace it was opened in.
#[derive(Debug)]
pub(crate) struct Socket {
    inner: Mutex<Inner>,
    timeout: Duration,
}

#[derive(Debug)]
struct Inner {
    socket: netlink_sys::Socket,
    sequence: u32,
    buffer: Vec<u8>,
}

/// Opens a netlink socket in the current thread's namespace, bound to a port the kernel
/// picks, with `groups` multicast groups joined (none for a request socket).
pub(crate) fn open_raw(groups: &[u32]) -> io::Result<netlink_sys::Socket> {
    let mut socket = netlink_sys::Socket::new(NETLINK_ROUTE)?;
    socket.bind_auto()?;
    socket.connect(&SocketAddr::new(0, 0))?;
    socket.set_netlink_get_strict_chk(true)?;
    socket.set_ext_ack(true)?;
    for group in groups {
        socket.add_membership(*group)?;
    }
    Ok(socket)
}

/// Waits until `fd` is readable or `timeout` passes (`false`), in whole milliseconds
/// rounded up (so that a wait never ends before its deadline).
fn wait_readable(fd: impl AsFd, timeout: Duration) -> Result<bool, Errno> {
    let millis = u16::try_from(timeout.as_micros().div_ceil(1000)).unwrap_or(u16::MAX);
    let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
    loop {
        match poll(&mut fds, PollTimeout::from(millis)) {
            Ok(n) => return Ok(n > 0),
            Err(Errno::EINTR) => continue,
            Err(errno) => return Err(errno),
        }
    }
}

impl Socket {
    /// A request socket in the current thread's namespace; every wait for an answer is
    /// limited to `timeout`.
    pub(crate) fn open(timeout: Duration) -> io::Result<Self> {
        Ok(Self {
            inner: Mutex::new(Inner {
                socket: open_raw(&[])?,
                sequence: 0,
                buffer: vec![0; RECV_BUFFER],
            }),
            timeout,
        })
    }

    /// Sends `message` expecting an acknowledgement (`flags` adds `NLM_F_CREATE`,
    /// `NLM_F_EXCL`, `NLM_F_REPLACE`, ...).
    pub(crate) fn ack(&self, message: RouteNetlinkMessage, flags: u16) -> Result<(), Cause> {
        self.request(message, NLM_F_ACK | flags).map(drop)
    }

    /// Sends a get `message` and returns the one answer, `None` if the kernel answered
    /// `ENODEV` or `ENOENT` (nothing of that name or index).
    pub(crate) fn get(
        &self,
        message: RouteNetlinkMessage,
    ) -> Result<Option<RouteNetlinkMessage>, Cause> {
        match self.request(message, 0) {
            Ok(mut answers) => Ok(answers.pop()),
            Err(Cause::Errno(Errno::ENODEV | Errno::ENOENT)) => Ok(None),
            Err(cause) => Err(cause),
        }
    }

    /// Sends a dump `message` and returns every answer, retrying a dump the kernel marked
    /// as interrupted by concurrent changes.
    pub(crate) fn dump(
        &self,
        message: RouteNetlinkMessage,
    ) -> Result<Vec<RouteNetlinkMessage>, Cause> {
        for _ in 0..DUMP_RETRIES {
            match self.request(message.clone(), NLM_F_DUMP) {
                Err(Cause::Errno(Errno::EINTR)) => continue,
                other => return other,
            }
        }
        Err(Cause::Protocol(format!(
            "the dump was interrupted by changes {DUMP_RETRIES} times in a row"
        )))
    }

    /// Sends one request and collects the answers to it. A dump interrupted by changes is
    /// reported as `EINTR`.
    fn request(
        &self,
        message: RouteNetlinkMessage,
        flags: u16,
    ) -> Result<Vec<RouteNetlinkMessage>, Cause> {
        let mut inner = self.inner.lock();
        inner.sequence = inner.sequence.wrapping_add(1);
        let sequence = inner.sequence;
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_REQUEST | flags;
        header.sequence_number = sequence;
        let mut packet = NetlinkMessage::new(header, NetlinkPayload::from(message));
        packet.finalize();
        let mut bytes = vec![0; packet.buffer_len()];
        packet.serialize(&mut bytes);
        inner.socket.send(&bytes, 0).map_err(io_cause)?;
        let expect = if flags & NLM_F_DUMP == NLM_F_DUMP {
            Expect::Done
        } else if flags & NLM_F_ACK != 0 {
            Expect::Ack
        } else {
            Expect::One
        };
        inner.receive(sequence, expect, self.timeout)
    }
}

/// What ends the answer to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// The acknowledgement (`NLMSG_ERROR` with code 0) or an error.
    Ack,
    /// One answer or an error.
    One,
    /// `NLMSG_DONE` or an error.
    Done,
}

impl Inner {
    /// Reads datagrams until the answer to `sequence` is complete: the acknowledgement or
    /// error, the single answer of a get, or `NLMSG_DONE` of a dump. Stale answers (to a
    /// request that timed out earlier) are skipped.
    fn receive(
        &mut self,
        sequence: u32,
        kind: Expect,
        timeout: Duration,
    ) -> Result<Vec<RouteNetlinkMessage>, Cause> {
        let deadline = Instant::now() + timeout;
        let mut answers = Vec::new();
        let mut interrupted = false;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || !wait_readable(&self.socket, left).map_err(Cause::Errno)? {
                return Err(Cause::Timeout(timeout));
            }
            let size = self
                .socket
                .recv(&mut &mut self.buffer[..], nix::libc::MSG_TRUNC)
                .map_err(io_cause)?;
            if size > self.buffer.len() {
                return Err(Cause::Protocol(format!(
                    "an answer of {size} bytes does not fit the {} byte buffer",
                    self.buffer.len()
                )));
            }
            for packet in Messages::new(&self.buffer[..size]) {
                let packet = packet.map_err(|err| Cause::Protocol(err.to_string()))?;
                if packet.header.sequence_number != sequence {
                    continue;
                }
                interrupted |= packet.header.flags & NLM_F_DUMP_INTR != 0;
                match packet.payload {
                    NetlinkPayload::Done(_) => {
                        return if interrupted {
                            Err(Cause::Errno(Errno::EINTR))
                        } else {
                            Ok(answers)
                        };
                    }
                    NetlinkPayload::Error(error) => {
                        return match error.code {
                            None => Ok(answers),
                            Some(code) => Err(Cause::Errno(Errno::from_raw(-code.get()))),
                        };
                    }
                    NetlinkPayload::InnerMessage(message) => {
                        answers.push(message);
                        // A get ends with its one answer; a dump with NLMSG_DONE, an
                        // acknowledged request with the acknowledgement.
                        let multipart = packet.header.flags & NLM_F_MULTIPART != 0;
                        if kind == Expect::One && !multipart {
                            return Ok(answers);
                        }
                    }
                    NetlinkPayload::Noop => {}
                    NetlinkPayload::Overrun(_) => {
                        return Err(Cause::Protocol("the kernel reported an overrun".into()));
                    }
                    _ => {}
                }
            }
        }
    }
}

/// The netlink messages of one datagram, in order.
#[derive(Debug)]
pub(crate) struct Messages<'a> {
    rest: &'a [u8],
}

impl<'a> Messages<'a> {
    /// The messages of `datagram`.
    pub(crate) fn new(datagram: &'a [u8]) -> Self {
        Self { rest: datagram }
    }
}

impl Iterator for Messages<'_> {
    type Item = Result<NetlinkMessage<RouteNetlinkMessage>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let trimmed = trim_link_message(self.rest);
        let message = match NetlinkMessage::deserialize(trimmed.as_deref().unwrap_or(self.rest)) {
            Ok(message) => message,
            Err(err) => {
                // The rest cannot be split reliably either.
                self.rest = &[];
                return Some(Err(err));
            }
        };
        // The length as sent (a trimmed message is shorter).
        let sent = self
            .rest
            .get(0..4)
            .and_then(|b| b.try_into().ok())
            .map_or(0, u32::from_ne_bytes);
        let length = nlmsg_align(sent as usize);
        self.rest = self.rest.get(length..).unwrap_or_default();
        if length == 0 {
            self.rest = &[];
        }
        Some(Ok(message))
    }
}

/// Netlink messages are aligned to 4 bytes (`NLMSG_ALIGN`).
fn nlmsg_align(length: usize) -> usize {
    (length + 3) & !3
}

/// The errno of a socket error.
pub(crate) fn io_cause(err: io::Error) -> Cause {
    match err.raw_os_error() {
        Some(code) => Cause::Errno(Errno::from_raw(code)),
        None => Cause::Protocol(err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use netlink_packet_route::link::{LinkAttribute, LinkMessage};

    use super::*;

    /// A datagram holding `names` as link messages, each padded to 4 bytes.
    fn datagram(names: &[&str]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for name in names {
            let mut link = LinkMessage::default();
            link.attributes
                .push(LinkAttribute::IfName(name.to_string()));
            let mut packet = NetlinkMessage::new(
                NetlinkHeader::default(),
                NetlinkPayload::from(RouteNetlinkMessage::NewLink(link)),
            );
            packet.finalize();
            let mut one = vec![0; nlmsg_align(packet.buffer_len())];
            packet.serialize(&mut one);
            bytes.extend(one);
        }
        bytes
    }

    #[test]
    fn a_datagram_splits_into_its_messages() {
        let bytes = datagram(&["a", "bcdefg", "h"]);
        let names: Vec<String> = Messages::new(&bytes)
            .map(|m| match m.unwrap().payload {
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(link)) => {
                    crate::kernel::parse_link(link).name
                }
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(names, ["a", "bcdefg", "h"]);
        let mut broken = Messages::new(&bytes[..7]);
        assert!(broken.next().unwrap().is_err());
        assert!(broken.next().is_none());
    }

    #[cfg(feature = "testing")]
    #[test]
    fn an_unanswered_request_times_out_and_the_socket_stays_usable() {
        use nix::sched::{CloneFlags, unshare};

        if !crate::testing::kernel_tests_allowed("socket timeout") {
            return;
        }
        // In a namespace of its own: the request changes nothing, but stays off the host.
        let (timed_out, next) = std::thread::spawn(|| {
            unshare(CloneFlags::CLONE_NEWNET).unwrap();
            let socket = Socket::open(Duration::from_millis(100)).unwrap();
            let mut message = LinkMessage::default();
            message.header.index = 1;
            // A change without NLM_F_ACK that succeeds gets no answer at all.
            let started = Instant::now();
            let timed_out = socket.request(RouteNetlinkMessage::SetLink(message.clone()), 0);
            assert!(started.elapsed() >= Duration::from_millis(100));
            let next = socket.get(RouteNetlinkMessage::GetLink(message));
            (timed_out, next)
        })
        .join()
        .unwrap();
        assert!(matches!(timed_out, Err(Cause::Timeout(_))), "{timed_out:?}");
        assert!(
            matches!(next, Ok(Some(RouteNetlinkMessage::NewLink(_)))),
            "{next:?}"
        );
    }

    #[test]
    fn messages_are_aligned_to_four_bytes() {
        assert_eq!(nlmsg_align(17), 20);
        assert_eq!(nlmsg_align(20), 20);
    }
}
