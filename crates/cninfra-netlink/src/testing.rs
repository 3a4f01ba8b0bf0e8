//! Helpers for kernel tests (feature `testing`): whether they may run, and scratch named
//! namespaces that are deleted even when the test fails. The Linux plugins' kernel tests
//! use the same helpers, so the skip-or-fail rule lives here only.

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};

use nix::sched::{CloneFlags, unshare};

use crate::{Namespace, Netlink, netns};

/// The variable that turns a skipped kernel test into a failure (set by CI, which runs as
/// root).
pub const REQUIRE_VARIABLE: &str = "CNINFRA_REQUIRE_KERNEL_TESTS";

/// The prefix of every scratch namespace's name.
pub const SCRATCH_PREFIX: &str = "cninfra-test-";

/// Whether the kernel tests may run here: as root, with the right to make network
/// namespaces. When they may not, prints why on stderr, past the test harness's capture
/// (the test then returns early: a skip);
/// when [`REQUIRE_VARIABLE`] is `1`, panics instead, so that a skip under CI fails.
///
/// ```no_run
/// # use cninfra_netlink::testing::kernel_tests_allowed;
/// if !kernel_tests_allowed("veth_pair") {
///     return;
/// }
/// ```
pub fn kernel_tests_allowed(test: &str) -> bool {
    let reason = match why_not() {
        None => return true,
        Some(reason) => reason,
    };
    let required = std::env::var(REQUIRE_VARIABLE).is_ok_and(|v| v == "1");
    if required {
        panic!("kernel test {test} cannot run ({reason}), and {REQUIRE_VARIABLE}=1 requires it");
    }
    // Straight to stderr: the test harness captures `eprintln!` of passing tests.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED kernel test {test}: {reason}; set {REQUIRE_VARIABLE}=1 to fail instead"
    );
    false
}

/// Why kernel tests cannot run here, if they cannot.
fn why_not() -> Option<String> {
    if !nix::unistd::geteuid().is_root() {
        return Some("not root: it needs CAP_NET_ADMIN and CAP_SYS_ADMIN".into());
    }
    // A throwaway thread tries to make a network namespace (the thread's namespace dies
    // with it).
    let probe = std::thread::spawn(|| unshare(CloneFlags::CLONE_NEWNET)).join();
    match probe {
        Ok(Ok(())) => None,
        Ok(Err(errno)) => Some(format!("network namespaces cannot be made here ({errno})")),
        Err(_) => Some("probing for network namespaces panicked".into()),
    }
}

/// A named network namespace for one test, named `cninfra-test-<pid>-<n>-<tag>`, deleted
/// when dropped (also when the test panics). Creating one also deletes the scratch
/// namespaces that earlier test processes, now dead, left behind.
#[derive(Debug)]
pub struct ScratchNamespace {
    name: String,
}

impl ScratchNamespace {
    /// Creates a scratch namespace through `client`, with its loopback up.
    ///
    /// # Panics
    /// When the namespace cannot be created.
    pub fn new(client: &dyn Netlink, tag: &str) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        sweep_leftovers();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("{SCRATCH_PREFIX}{}-{n}-{tag}", std::process::id());
        if let Err(err) = client.create_namespace(&name) {
            panic!("creating scratch namespace {name}: {}", chain(&err));
        }
        let scratch = Self { name };
        let ns = scratch.namespace();
        let lo = client.link(&ns, &"lo".into());
        if let Ok(Some(lo)) = lo {
            let up = client.set_link(&ns, lo.index, &crate::LinkChange::new().up(true));
            if let Err(err) = up {
                panic!("setting lo up in {}: {}", scratch.name, chain(&err));
            }
        }
        scratch
    }

    /// The namespace's name (under `/run/netns`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The namespace, as operations take it.
    pub fn namespace(&self) -> Namespace {
        Namespace::named(self.name.clone())
    }
}

impl Drop for ScratchNamespace {
    fn drop(&mut self) {
        if let Err(cause) = netns::delete_named(&self.name) {
            eprintln!("deleting scratch namespace {}: {cause}", self.name);
        }
    }
}

/// Deletes scratch namespaces whose test process is gone.
fn sweep_leftovers() {
    let Ok(names) = netns::list_named() else {
        return;
    };
    for name in names {
        let Some(rest) = name.strip_prefix(SCRATCH_PREFIX) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        let dead = pid.is_some_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists());
        if dead {
            let _ = netns::delete_named(&name);
        }
    }
}

/// An error with its causes, for panic messages.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
