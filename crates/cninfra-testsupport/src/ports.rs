//! Loopback ports for test servers that no other test of this run is given.
//!
//! A port comes from below Linux's ephemeral range (`/proc/sys/net/ipv4/ip_local_port_range`),
//! so the kernel never picks it for an outgoing connection. Inside a process an atomic
//! cursor (starting at an offset derived from the pid) hands each port out once; across
//! processes (the test binaries of one run, `scripts/services.sh`, other runs on the
//! machine) a port is claimed by an exclusive lock on `<temp>/cninfra-ports/<port>.lock`,
//! held until the process exits. A claimed port is then checked with a bind.

use std::fs::File;
use std::net::TcpListener;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// Where the lock files live; `scripts/services.sh` uses the same folder.
const LOCK_DIR: &str = "cninfra-ports";

/// The lowest port handed out.
const LOWEST: u16 = 10_000;

/// The highest port handed out when the ephemeral range starts above it.
const HIGHEST: u16 = 32_000;

/// Hands out ports of a range, each once, claimed by a lock file and checked with a bind.
#[derive(Debug)]
pub(crate) struct PortAllocator {
    range: Range<u16>,
    cursor: AtomicUsize,
    lock_dir: Option<PathBuf>,
    /// The lock files of the ports handed out, kept open (and so locked) until exit.
    claims: Mutex<Vec<File>>,
}

impl PortAllocator {
    /// An allocator over `range`, starting at `offset` (modulo its length), claiming ports
    /// by lock files in `lock_dir` (without it, by the bind check only).
    pub(crate) fn new(range: Range<u16>, offset: usize, lock_dir: Option<PathBuf>) -> Self {
        assert!(!range.is_empty(), "an empty port range");
        Self {
            range,
            cursor: AtomicUsize::new(offset),
            lock_dir,
            claims: Mutex::new(Vec::new()),
        }
    }

    /// The allocator of this process: ports below the ephemeral range, lock files in the
    /// temp folder, a start derived from the pid.
    pub(crate) fn process() -> &'static Self {
        static ALLOCATOR: OnceLock<PortAllocator> = OnceLock::new();
        ALLOCATOR.get_or_init(|| {
            let lock_dir = std::env::temp_dir().join(LOCK_DIR);
            let lock_dir = std::fs::create_dir_all(&lock_dir)
                .is_ok()
                .then_some(lock_dir);
            // Far apart per process, so that concurrent test binaries rarely meet.
            let offset = (std::process::id() as usize).wrapping_mul(7_919);
            Self::new(test_port_range(), offset, lock_dir)
        })
    }

    /// The next port that is claimed by no other process and free to bind.
    ///
    /// # Panics
    /// When every port of the range was tried.
    pub(crate) fn next(&self) -> u16 {
        let len = self.range.len();
        for _ in 0..len {
            let step = self.cursor.fetch_add(1, Ordering::Relaxed) % len;
            let port = self.range.start + u16::try_from(step).unwrap_or_default();
            if let Some(claim) = self.claim(port)
                && bindable(port)
            {
                if let Some(file) = claim {
                    self.claims
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(file);
                }
                return port;
            }
        }
        panic!("no free port left in {:?}", self.range)
    }

    /// `Some(lock)` when `port` is ours now (`Some(None)` without a lock folder), `None`
    /// when another process holds it.
    fn claim(&self, port: u16) -> Option<Option<File>> {
        let Some(dir) = &self.lock_dir else {
            return Some(None);
        };
        let Ok(file) = lock_file(dir, port) else {
            // An unusable lock folder must not stop the tests: the bind check remains.
            return Some(None);
        };
        file.try_lock().ok().map(|()| Some(file))
    }
}

fn lock_file(dir: &Path, port: u16) -> std::io::Result<File> {
    File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(format!("{port}.lock")))
}

/// Whether nothing listens on `port` (on any address).
fn bindable(port: u16) -> bool {
    TcpListener::bind(("0.0.0.0", port)).is_ok()
}

/// [`LOWEST`] up to [`HIGHEST`] or the start of the ephemeral range, whichever is lower.
fn test_port_range() -> Range<u16> {
    let ephemeral_start = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32_768);
    let end = HIGHEST.min(ephemeral_start);
    if end > LOWEST + 1_000 {
        LOWEST..end
    } else {
        // An unusual ephemeral range low down: take what lies below it.
        1_024..end.max(2_048)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn the_range_stays_below_the_ephemeral_ports() {
        let range = test_port_range();
        let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").unwrap();
        let ephemeral_start: u16 = text.split_whitespace().next().unwrap().parse().unwrap();
        assert!(range.end <= ephemeral_start, "{range:?} vs {text}");
        assert!(range.len() >= 1_000, "{range:?}");
    }

    #[test]
    fn no_port_is_handed_out_twice_across_threads() {
        let allocator = PortAllocator::process();
        let threads: Vec<_> = (0..8)
            .map(|_| std::thread::spawn(|| (0..100).map(|_| allocator.next()).collect::<Vec<_>>()))
            .collect();
        let mut seen = HashSet::new();
        for thread in threads {
            for port in thread.join().unwrap() {
                assert!(seen.insert(port), "port {port} handed out twice");
                assert!(test_port_range().contains(&port), "{port}");
            }
        }
        assert_eq!(seen.len(), 800);
    }

    #[test]
    fn a_port_locked_by_another_allocator_is_skipped() {
        // Two allocators over one small range and one lock folder stand for two processes.
        let dir = tempfile::tempdir().unwrap();
        let first = PortAllocator::new(LOWEST..LOWEST + 200, 0, Some(dir.path().to_owned()));
        let second = PortAllocator::new(LOWEST..LOWEST + 200, 0, Some(dir.path().to_owned()));
        let mine: HashSet<u16> = (0..50).map(|_| first.next()).collect();
        let theirs: HashSet<u16> = (0..50).map(|_| second.next()).collect();
        assert_eq!((mine.len(), theirs.len()), (50, 50));
        assert!(
            mine.is_disjoint(&theirs),
            "{:?}",
            mine.intersection(&theirs)
        );
    }

    #[test]
    fn a_port_in_use_is_skipped() {
        let busy = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = busy.local_addr().unwrap().port();
        let allocator = PortAllocator::new(port..port + 1, 0, None);
        let result = std::panic::catch_unwind(|| allocator.next());
        assert!(result.is_err(), "the busy port {port} was handed out");
    }
}
