//! [`Sockets`]: one request socket per namespace, opened once inside it by a helper thread
//! and reused while the namespace's file still stands for the same namespace.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use super::socket::{Socket, io_cause};
use crate::netns::{NsFile, NsId, id_of};
use crate::{Cause, Namespace};

/// The request sockets of the namespaces in use.
#[derive(Debug)]
pub(crate) struct Sockets {
    timeout: Duration,
    /// The agent's namespace (captured when the client was made).
    default_ns: NsFile,
    default: Arc<Socket>,
    others: Mutex<HashMap<Namespace, (NsId, Arc<Socket>)>>,
}

impl Sockets {
    /// The socket of the calling thread's namespace, which becomes the default namespace.
    pub(crate) fn new(timeout: Duration) -> Result<Self, Cause> {
        Ok(Self {
            timeout,
            default_ns: NsFile::current()?,
            default: Arc::new(Socket::open(timeout).map_err(io_cause)?),
            others: Mutex::new(HashMap::new()),
        })
    }

    /// The request socket of `ns`: the cached one while the namespace's file stands for the
    /// namespace it was opened in, else a new one. A namespace that is gone is forgotten.
    pub(crate) fn socket(&self, ns: &Namespace) -> Result<Arc<Socket>, Cause> {
        let Some(path) = ns.path() else {
            return Ok(self.default.clone());
        };
        let mut others = self.others.lock();
        let id = match id_of(&path) {
            Ok(id) => id,
            Err(cause) => {
                others.remove(ns);
                return Err(cause);
            }
        };
        if let Some((cached, socket)) = others.get(ns)
            && *cached == id
        {
            return Ok(socket.clone());
        }
        let timeout = self.timeout;
        let (socket, id) = match self.open_in(ns, || Socket::open(timeout)) {
            Ok(opened) => opened,
            Err(cause) => {
                others.remove(ns);
                return Err(cause);
            }
        };
        let socket = Arc::new(socket);
        tracing::debug!(namespace = %ns, "opened netlink socket in namespace");
        others.insert(ns.clone(), (id, socket.clone()));
        Ok(socket)
    }

    /// Drops the cached socket of `ns` (so that it no longer holds the namespace).
    pub(crate) fn forget(&self, ns: &Namespace) {
        self.others.lock().remove(ns);
    }

    /// Runs `f` with the open file of `ns`.
    pub(crate) fn with_file<T>(
        &self,
        ns: &Namespace,
        f: impl FnOnce(&NsFile) -> Result<T, Cause>,
    ) -> Result<T, Cause> {
        match ns.path() {
            None => f(&self.default_ns),
            Some(path) => f(&NsFile::open(&path)?),
        }
    }

    /// Opens something bound to a namespace (a socket) with `open`, run inside `ns` on a
    /// helper thread, and tells which namespace that was.
    pub(crate) fn open_in<T: Send>(
        &self,
        ns: &Namespace,
        open: impl FnOnce() -> io::Result<T> + Send,
    ) -> Result<(T, NsId), Cause> {
        self.with_file(ns, |file| {
            let opened = match ns {
                Namespace::Default => open(),
                _ => file.run(open)?,
            };
            Ok((opened.map_err(io_cause)?, file.id()))
        })
    }

    /// Runs `f` inside `ns` (on the calling thread for the default namespace).
    pub(crate) fn run_in<T: Send>(
        &self,
        ns: &Namespace,
        f: impl FnOnce() -> T + Send,
    ) -> Result<T, Cause> {
        match ns.path() {
            None => Ok(f()),
            Some(path) => NsFile::open(&path)?.run(f),
        }
    }
}
