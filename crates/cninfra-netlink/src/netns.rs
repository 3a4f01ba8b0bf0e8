//! Network namespaces: opening a namespace's file, running code inside it on a helper
//! thread, and creating and deleting named namespaces (`/run/netns/<name>`) without fork,
//! as iproute2 does.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::mount::{MntFlags, MsFlags, mount, umount2};
use nix::sched::{CloneFlags, setns, unshare};
use nix::sys::statfs::{NSFS_MAGIC, fstatfs};

use crate::namespace::valid_name;
use crate::{Cause, Error, NETNS_RUN_DIR, Namespace, Op, Result};

/// Which namespace a file stands for: the nsfs device and inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct NsId {
    dev: u64,
    ino: u64,
}

/// An open namespace file.
#[derive(Debug)]
pub(crate) struct NsFile {
    file: File,
    id: NsId,
}

impl NsFile {
    /// Opens the file of `path`; a missing file, a dead process or a file that is not a
    /// namespace (a leftover under `/run/netns`) is [`Cause::NamespaceGone`].
    pub(crate) fn open(path: &Path) -> Result<Self, Cause> {
        let file = File::open(path).map_err(gone_or_errno)?;
        let fs = fstatfs(&file).map_err(Cause::Errno)?;
        if fs.filesystem_type() != NSFS_MAGIC {
            return Err(Cause::NamespaceGone);
        }
        let meta = file.metadata().map_err(gone_or_errno)?;
        Ok(Self {
            file,
            id: NsId {
                dev: meta.dev(),
                ino: meta.ino(),
            },
        })
    }

    /// The namespace of the calling thread.
    pub(crate) fn current() -> Result<Self, Cause> {
        Self::open(Path::new("/proc/thread-self/ns/net"))
    }

    /// Which namespace this is.
    pub(crate) fn id(&self) -> NsId {
        self.id
    }

    /// The open file (for `IFLA_NET_NS_FD`).
    pub(crate) fn file(&self) -> &File {
        &self.file
    }

    /// Runs `f` on a short-lived helper thread that has entered this namespace; the
    /// caller's thread never switches. A panic of `f` is resumed on the caller's thread.
    pub(crate) fn run<T: Send>(&self, f: impl FnOnce() -> T + Send) -> Result<T, Cause> {
        std::thread::scope(|scope| {
            let handle = std::thread::Builder::new()
                .name("cninfra-netns".into())
                .spawn_scoped(scope, || {
                    setns(&self.file, CloneFlags::CLONE_NEWNET).map_err(Cause::Errno)?;
                    Ok(f())
                })
                .map_err(io_errno)?;
            match handle.join() {
                Ok(result) => result,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    }
}

/// The identity of the namespace `path` stands for now, without opening it.
pub(crate) fn id_of(path: &Path) -> Result<NsId, Cause> {
    let meta = fs::metadata(path).map_err(gone_or_errno)?;
    Ok(NsId {
        dev: meta.dev(),
        ino: meta.ino(),
    })
}

/// Runs `f` inside the namespace `ns`, on a short-lived helper thread that enters it (for
/// work such as sysctls that acts in the namespace of the calling thread). For
/// [`Namespace::Default`], `f` runs on the calling thread, which is in the agent's
/// namespace (this crate never moves a thread it does not own).
///
/// A namespace that is gone is [`ErrorKind::NamespaceGone`](crate::ErrorKind). Inside
/// `f`, sockets and `/proc/sys/net` are the namespace's; `/proc/net` is the main
/// thread's, so read `/proc/thread-self/net` instead.
pub fn run_in_namespace<T: Send>(ns: &Namespace, f: impl FnOnce() -> T + Send) -> Result<T> {
    let Some(path) = ns.path() else {
        return Ok(f());
    };
    let error = |cause| Error::new(Op::EnterNamespace, "", ns, cause);
    NsFile::open(&path)
        .and_then(|file| file.run(f))
        .map_err(error)
}

/// The path of the named namespace `name`, if the name is valid.
fn named_path(name: &str) -> Result<PathBuf, Cause> {
    if !valid_name(name) {
        return Err(Cause::Invalid(format!("{name:?} is not a namespace name")));
    }
    Ok(Path::new(NETNS_RUN_DIR).join(name))
}

/// Creates the named namespace `name` as `ip netns add` does: `/run/netns` made a shared
/// mount point, an empty file, and a helper thread that unshares a new network namespace
/// and bind-mounts its own namespace file onto it.
pub(crate) fn create_named(name: &str) -> Result<(), Cause> {
    let path = named_path(name)?;
    fs::create_dir_all(NETNS_RUN_DIR).map_err(io_errno)?;
    make_run_dir_shared()?;
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o000)
        .open(&path)
        .map_err(io_errno)?;
    let mounted = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("cninfra-netns-add".into())
            .spawn_scoped(scope, || {
                unshare(CloneFlags::CLONE_NEWNET)?;
                mount(
                    Some("/proc/thread-self/ns/net"),
                    &path,
                    Some("none"),
                    MsFlags::MS_BIND,
                    None::<&str>,
                )
            })
            .map_err(|err| Errno::from_raw(err.raw_os_error().unwrap_or(0)))?
            .join()
            .unwrap_or(Err(Errno::EIO))
    });
    if let Err(errno) = mounted {
        // Best effort: the file was ours; leaving it would look like a broken namespace.
        let _ = fs::remove_file(&path);
        return Err(Cause::Errno(errno));
    }
    tracing::debug!(namespace = name, "created named network namespace");
    Ok(())
}

/// Makes `/run/netns` a shared mount point (bind-mounting it onto itself first if it is
/// not a mount point), so that namespace mounts under it show in every mount namespace.
fn make_run_dir_shared() -> Result<(), Cause> {
    let shared = || {
        mount(
            Some("none"),
            NETNS_RUN_DIR,
            None::<&str>,
            MsFlags::MS_SHARED | MsFlags::MS_REC,
            None::<&str>,
        )
    };
    match shared() {
        Ok(()) => Ok(()),
        Err(Errno::EINVAL) => {
            mount(
                Some(NETNS_RUN_DIR),
                NETNS_RUN_DIR,
                Some("none"),
                MsFlags::MS_BIND | MsFlags::MS_REC,
                None::<&str>,
            )
            .map_err(Cause::Errno)?;
            shared().map_err(Cause::Errno)
        }
        Err(errno) => Err(Cause::Errno(errno)),
    }
}

/// Deletes the named namespace `name` as `ip netns delete` does: detaches its mount and
/// removes the file. The kernel destroys the namespace once nothing holds it.
pub(crate) fn delete_named(name: &str) -> Result<(), Cause> {
    let path = named_path(name)?;
    match umount2(&path, MntFlags::MNT_DETACH) {
        // EINVAL: not a mount point (a leftover file); the file still goes.
        Ok(()) | Err(Errno::EINVAL) => {}
        Err(errno) => return Err(Cause::Errno(errno)),
    }
    fs::remove_file(&path).map_err(io_errno)?;
    tracing::debug!(namespace = name, "deleted named network namespace");
    Ok(())
}

/// The names of the named namespaces (none if `/run/netns` does not exist).
pub(crate) fn list_named() -> Result<Vec<String>, Cause> {
    let entries = match fs::read_dir(NETNS_RUN_DIR) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(io_errno(err)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_errno)?;
        if let Some(name) = entry.file_name().to_str() {
            names.push(name.to_string());
        }
    }
    names.sort();
    Ok(names)
}

/// The cause of an I/O error: its errno.
fn io_errno(err: io::Error) -> Cause {
    crate::kernel::io_cause(err)
}

/// A failure to reach a namespace's file: "gone" when the file or process is missing.
fn gone_or_errno(err: io::Error) -> Cause {
    match err.raw_os_error().map(Errno::from_raw) {
        Some(Errno::ENOENT | Errno::ESRCH | Errno::ENOTDIR) => Cause::NamespaceGone,
        _ => io_errno(err),
    }
}
